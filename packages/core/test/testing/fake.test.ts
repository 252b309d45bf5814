import { afterEach, describe, expect, it } from 'vitest';
import {
  Batch,
  BatchClosedError,
  Chain,
  ConfigurationError,
  Conveyor,
  Queue as CoreQueue,
  type Driver,
  FakeClock,
} from '../../src/index.js';
import { FakeDriver, fake, Queue } from '../../src/testing/index.js';
import { CreateAccount, ImportContacts, SendEmail, SendWelcomeEmail } from './jobs.js';

/** A driver nobody calls: only its identity matters to these tests. */
const idleDriver = (name: string) => ({ name, close: async () => {} }) as unknown as Driver;

describe('Queue.fake()', () => {
  afterEach(() => {
    Queue.fake().restore();
  });

  it('is the very Queue of @conveyor/core, typed with fake()', () => {
    expect(Queue).toBe(CoreQueue);
    expect(typeof Queue.fake).toBe('function');
    expect(Object.keys(CoreQueue)).not.toContain('fake');
  });

  it('records what the facades dispatch, with no driver configured, and restore() puts none back', async () => {
    const queue = Queue.fake();
    expect(Queue.driver).toBeInstanceOf(FakeDriver);
    await Queue.dispatch(new SendEmail('a@b.c'));
    await Chain.of([new CreateAccount('a@b.c'), new SendWelcomeEmail('u-1')]);
    await Batch.of([new ImportContacts('u-1', 'google')])
      .name('import')
      .dispatch();
    queue.assertDispatched(SendEmail);
    queue.assertChained([CreateAccount, SendWelcomeEmail]);
    queue.assertBatched((batch) => batch.name === 'import');

    queue.restore();
    expect(queue.restored).toBe(true);
    expect(Queue.hasDriver).toBe(false);
    await expect(Queue.dispatch(new SendEmail('a@b.c'))).rejects.toThrow(/No queue driver is configured/);
    queue.assertDispatchedTimes(SendEmail, 1); // what was recorded stays readable
  });

  it('restore() puts the real driver back, and is idempotent', () => {
    const real = idleDriver('real');
    const conveyor = new Conveyor({ driver: real });
    const queue = fake(conveyor);
    expect(conveyor.driver).not.toBe(real);
    expect(conveyor.driver.name).toBe('fake(real)');
    queue.restore();
    queue.restore();
    expect(conveyor.driver).toBe(real);
  });

  it('leaves a driver set with use() while faked', () => {
    const conveyor = new Conveyor({ driver: idleDriver('first') });
    const queue = fake(conveyor);
    const second = idleDriver('second');
    conveyor.use(second);
    queue.restore();
    expect(conveyor.driver).toBe(second);
  });

  it('faking a faked conveyor again restores the earlier fake first', async () => {
    const real = idleDriver('real');
    const conveyor = new Conveyor({ driver: real });
    const first = fake(conveyor);
    await conveyor.dispatch(new SendEmail('first@b.c'));
    const second = fake(conveyor);
    expect(first.restored).toBe(true);
    expect((conveyor.driver as FakeDriver).inner).toBe(real);
    await conveyor.dispatch(new SendEmail('second@b.c'));
    first.assertDispatched(SendEmail, (job) => job.to === 'first@b.c');
    first.assertNotDispatched(SendEmail, (job) => job.to === 'second@b.c');
    second.assertDispatchedTimes(SendEmail, 1, (job) => job.to === 'second@b.c');
    second.restore();
    expect(conveyor.driver).toBe(real);
  });

  it('rejects options that are not lists of job classes', () => {
    const conveyor = new Conveyor();
    expect(() => fake(conveyor, { only: ['SendEmail' as never] })).toThrow(
      /fake\(\{ only \}\): expected an array of job classes/,
    );
    expect(() => fake(conveyor, { except: SendEmail as never })).toThrow(TypeError);
    expect(conveyor.hasDriver).toBe(false);
  });
});

describe('only / except, with no driver to let jobs through to', () => {
  it('only: records those classes; any other job fails as with no driver, and nothing is recorded', async () => {
    const conveyor = new Conveyor();
    const queue = fake(conveyor, { only: [SendEmail] });
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await expect(conveyor.dispatch(new CreateAccount('a@b.c'))).rejects.toThrow(ConfigurationError);
    await expect(conveyor.dispatch(new CreateAccount('a@b.c'))).rejects.toThrow(
      /No queue driver is configured, and the fake lets this job through/,
    );
    queue.assertDispatchedTimes(SendEmail, 1);
    queue.assertNotDispatched(CreateAccount);
  });

  it('except: records every other class', async () => {
    const conveyor = new Conveyor();
    const queue = fake(conveyor, { except: [CreateAccount] });
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await expect(conveyor.dispatch(new CreateAccount('a@b.c'))).rejects.toThrow(/lets this job through/);
    queue.assertDispatched(SendEmail);
  });

  it('a chain or batch holding a faked job is recorded whole', async () => {
    const conveyor = new Conveyor();
    const queue = fake(conveyor, { only: [SendWelcomeEmail] });
    await conveyor.chain([new CreateAccount('a@b.c'), new SendWelcomeEmail('u-1')]);
    await conveyor.batch([new ImportContacts('u-1', 'google'), new SendWelcomeEmail('u-2')]).dispatch();
    queue.assertChained([CreateAccount, SendWelcomeEmail]);
    queue.assertDispatchedTimes(CreateAccount, 1);
    queue.assertBatched((batch) => batch.has(ImportContacts));
  });
});

describe('handles of faked dispatches', () => {
  it('a job has an id and is pending (delayed when delayed), as its stored record says', async () => {
    const clock = new FakeClock();
    const conveyor = new Conveyor({ clock });
    const queue = fake(conveyor);
    const now = await conveyor.dispatch(new SendEmail('a@b.c'));
    const later = await conveyor.dispatch(new SendEmail('c@d.e')).delay('1h');
    expect(now.id).toBe(queue.jobs()[0]!.id);
    expect(now.duplicate).toBe(false);
    expect(await now.status()).toBe('pending');
    expect(await later.status()).toBe('delayed');
    expect(await conveyor.getJob(later.id)).toMatchObject({
      name: 'SendEmail',
      queue: 'emails',
      state: 'delayed',
      availableAt: clock.now() + 3_600_000,
      data: { to: 'c@d.e', subject: 'Hi' },
    });
    expect(await now.result()).toBeUndefined();
    expect(await conveyor.counts()).toMatchObject({ pending: 1, delayed: 1 });
    expect(await conveyor.queues()).toEqual(['emails']);
    expect((await conveyor.list()).map((job) => job.id)).toEqual([later.id, now.id]);
  });

  it('cancelling a faked job marks it cancelled; the dispatch stays recorded', async () => {
    const conveyor = new Conveyor();
    const queue = fake(conveyor);
    const job = await conveyor.dispatch(new SendEmail('a@b.c'));
    expect(await job.cancel()).toBe('cancelled');
    expect(await job.status()).toBe('cancelled');
    queue.assertDispatched(SendEmail);
  });

  it('a chain is running; its first link is pending', async () => {
    const conveyor = new Conveyor();
    fake(conveyor);
    const chain = await conveyor
      .chain([new CreateAccount('a@b.c'), new SendWelcomeEmail('u-1')])
      .name('signup');
    expect(await chain.status()).toBe('running');
    expect(await chain.info()).toMatchObject({ name: 'signup', position: 0, jobIds: expect.any(Array) });
    const [first] = await chain.jobs();
    expect(await first!.status()).toBe('pending');
    expect(await conveyor.findChain(chain.id)).not.toBeNull();
  });

  it('a batch counts its members; add() and cancel() work on it', async () => {
    const conveyor = new Conveyor();
    const queue = fake(conveyor);
    const batch = await conveyor
      .batch([new ImportContacts('u-1', 'google'), [new CreateAccount('a@b.c'), new SendWelcomeEmail('u-1')]])
      .dispatch();
    expect(await batch.progress()).toMatchObject({ total: 3, pending: 3, processed: 0, finished: false });
    await batch.add([new ImportContacts('u-1', 'outlook')]);
    expect((await batch.progress()).total).toBe(4);
    expect(await batch.cancel()).toMatchObject({ total: 4, cancelled: 4, finished: true });
    await expect(batch.add([new ImportContacts('u-1', 'yahoo')])).rejects.toThrow(BatchClosedError);
    expect(queue.batches()[0]!.members).toHaveLength(4);
    expect(await conveyor.findBatch(batch.id)).not.toBeNull();
  });
});

describe('a fake with no driver behind it', () => {
  it('gives workers nothing to do: drain() runs nothing', async () => {
    const conveyor = new Conveyor({ jobs: [SendEmail] });
    const queue = fake(conveyor);
    await conveyor.dispatch(new SendEmail('a@b.c'));
    expect(await conveyor.drain()).toBe(0);
    queue.assertDispatched(SendEmail);
  });

  it('says so when a call needs storage it does not have', async () => {
    const conveyor = new Conveyor();
    fake(conveyor);
    await expect(conveyor.driver.acquireLock('k', 'me', null, 0)).rejects.toThrow(
      /The fake records dispatches but has no storage for a lock: configure a driver before faking/,
    );
    expect(await conveyor.driver.listSchedules()).toEqual([]);
  });
});
