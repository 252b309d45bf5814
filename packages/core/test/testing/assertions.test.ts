import { AssertionError } from 'node:assert';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, Conveyor, type Job } from '../../src/index.js';
import { fake, type QueueFake } from '../../src/testing/index.js';
import {
  AlertOps,
  CreateAccount,
  ImportContacts,
  MarkOnboarded,
  Renamed,
  SendEmail,
  SendWelcomeEmail,
} from './jobs.js';

/** The message of the AssertionError `assertion` throws; fails the test when it passes or throws otherwise. */
function failure(assertion: () => void): string {
  try {
    assertion();
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    return (error as Error).message;
  }
  throw new Error('expected the assertion to fail, but it passed');
}

/** The fake needs no driver: every assertion here runs on a conveyor that has none. */
let conveyor: Conveyor;
let queue: QueueFake;

beforeEach(() => {
  conveyor = new Conveyor();
  queue = fake(conveyor);
});

/** A signup: a chain and a batch, and a delayed reminder. */
async function signup() {
  await conveyor.dispatch(new CreateAccount('a@b.c')).chain([new SendWelcomeEmail('u-1')]);
  await conveyor
    .batch([new ImportContacts('u-1', 'google'), [new CreateAccount('x@y.z'), new SendWelcomeEmail('u-2')]])
    .name('onboarding')
    .then(new MarkOnboarded('u-1'))
    .dispatch();
}

describe('assertDispatched', () => {
  it('passes when a job of the class was dispatched, and with a predicate that matches one', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new SendEmail('c@d.e', 'Bye'));
    queue.assertDispatched(SendEmail);
    queue.assertDispatched(SendEmail, (job) => job.to === 'c@d.e' && job.subject === 'Bye');
  });

  it('gives the predicate the job rebuilt from its payload, and its record', async () => {
    const sent = new SendEmail('a@b.c');
    await conveyor.dispatch(sent).onQueue('bulk').delay('5m').meta({ tenant: 't-1' });
    queue.assertDispatched(SendEmail, (job, dispatch) => {
      expect(job).toBeInstanceOf(SendEmail);
      expect(job).not.toBe(sent);
      expect(job).toEqual(sent);
      expect(dispatch).toMatchObject({ name: 'SendEmail', queue: 'bulk', delayMs: 300_000 });
      expect(dispatch.meta).toEqual({ tenant: 't-1' });
      return true;
    });
  });

  it('finds a class by its jobName, with its payload types restored', async () => {
    await conveyor.dispatch(new Renamed(new Date(Date.UTC(2026, 0, 2))));
    queue.assertDispatched(Renamed, (job) => job.at instanceof Date && job.at.getUTCDate() === 2);
    expect(queue.jobs()[0]!.name).toBe('billing.renamed');
  });

  it('fails when nothing was dispatched', () => {
    expect(failure(() => queue.assertDispatched(SendEmail))).toBe(
      'Expected SendEmail to be dispatched, but it was not. Nothing was dispatched.',
    );
  });

  it('fails listing what was dispatched instead', async () => {
    await conveyor.dispatch(new CreateAccount('a@b.c'));
    await conveyor.dispatch(new SendWelcomeEmail('u-1')).delay('5m');
    expect(failure(() => queue.assertDispatched(SendEmail))).toBe(
      [
        'Expected SendEmail to be dispatched, but it was not. Dispatched instead (2 jobs):',
        `  1. CreateAccount on "default" { email: 'a@b.c' }`,
        `  2. SendWelcomeEmail on "emails" { userId: 'u-1' } · delayed 5m`,
      ].join('\n'),
    );
  });

  it('fails listing the jobs of the class when none matches the predicate', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new SendEmail('c@d.e')).onQueue('bulk');
    expect(failure(() => queue.assertDispatched(SendEmail, (job) => job.to === 'x@y.z'))).toBe(
      [
        'Expected SendEmail matching the predicate to be dispatched, but none of the 2 SendEmail jobs dispatched matches:',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
        `  2. SendEmail on "bulk" { to: 'c@d.e', subject: 'Hi' }`,
      ].join('\n'),
    );
  });

  it('fails with a predicate when no job of the class was dispatched at all', async () => {
    await conveyor.dispatch(new AlertOps());
    expect(failure(() => queue.assertDispatched(SendEmail, () => true))).toBe(
      [
        'Expected SendEmail matching the predicate to be dispatched, but no SendEmail was. Dispatched instead (1 job):',
        '  1. AlertOps on "default" {}',
      ].join('\n'),
    );
  });

  it('counts chain links and batch members, and says where each came from', async () => {
    await signup();
    queue.assertDispatched(SendWelcomeEmail, (job) => job.userId === 'u-2');
    queue.assertDispatched(ImportContacts);
    expect(failure(() => queue.assertDispatched(SendEmail))).toBe(
      [
        'Expected SendEmail to be dispatched, but it was not. Dispatched instead (5 jobs):',
        `  1. CreateAccount on "default" { email: 'a@b.c' } · link 1/2 of a chain`,
        `  2. SendWelcomeEmail on "emails" { userId: 'u-1' } · link 2/2 of a chain`,
        `  3. ImportContacts on "default" { userId: 'u-1', source: 'google' } · in batch "onboarding"`,
        `  4. CreateAccount on "default" { email: 'x@y.z' } · link 1/2 of a chain, in batch "onboarding"`,
        `  5. SendWelcomeEmail on "emails" { userId: 'u-2' } · link 2/2 of a chain, in batch "onboarding"`,
      ].join('\n'),
    );
  });

  it('does not count callback jobs: they are not dispatched until their moment', async () => {
    await signup();
    await conveyor.chain([new CreateAccount('c@d.e')]).catch(new AlertOps());
    queue.assertNotDispatched(MarkOnboarded);
    queue.assertNotDispatched(AlertOps);
    expect(queue.batches()[0]!.then.map((callback) => callback.job)).toEqual([new MarkOnboarded('u-1')]);
    expect(queue.chains()[2]!.catch[0]!.job).toBeInstanceOf(AlertOps);
  });

  it('cuts a long payload and a long list', async () => {
    await conveyor.dispatch(new SendEmail('x'.repeat(200)));
    for (let i = 0; i < 21; i++) await conveyor.dispatch(new AlertOps());
    const message = failure(() => queue.assertDispatched(CreateAccount));
    const lines = message.split('\n');
    expect(lines[0]).toBe(
      'Expected CreateAccount to be dispatched, but it was not. Dispatched instead (22 jobs):',
    );
    expect(lines[1]).toMatch(
      /^ {2}1\. SendEmail on "emails" \{ to: 'x{80}'\.\.\. 120 more characters, \w+…$/,
    );
    expect(lines[1]!.length).toBeLessThan(160);
    expect(lines.length).toBe(22);
    expect(lines.at(-1)).toBe('  ... and 2 more');
  });
});

describe('assertDispatchedTimes', () => {
  it('passes for the exact count, zero included, and counts only matches of a predicate', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new SendEmail('c@d.e'));
    queue.assertDispatchedTimes(SendEmail, 3);
    queue.assertDispatchedTimes(SendEmail, 2, (job) => job.to === 'a@b.c');
    queue.assertDispatchedTimes(CreateAccount, 0);
  });

  it('fails with the count and the jobs of the class', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new SendEmail('c@d.e'));
    expect(failure(() => queue.assertDispatchedTimes(SendEmail, 3))).toBe(
      [
        'Expected SendEmail to be dispatched 3 times, but it was dispatched twice:',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
        `  2. SendEmail on "emails" { to: 'c@d.e', subject: 'Hi' }`,
      ].join('\n'),
    );
    expect(failure(() => queue.assertDispatchedTimes(SendEmail, 2, (job) => job.to === 'a@b.c'))).toBe(
      [
        'Expected SendEmail matching the predicate to be dispatched twice, but it was dispatched once:',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
      ].join('\n'),
    );
  });

  it('fails when the class was never dispatched, listing what was', async () => {
    await conveyor.dispatch(new CreateAccount('a@b.c'));
    expect(failure(() => queue.assertDispatchedTimes(SendEmail, 1))).toBe(
      [
        'Expected SendEmail to be dispatched once, but it was not dispatched. Dispatched instead (1 job):',
        `  1. CreateAccount on "default" { email: 'a@b.c' }`,
      ].join('\n'),
    );
  });

  it('fails when a job that should not be there is', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    expect(failure(() => queue.assertDispatchedTimes(SendEmail, 0))).toBe(
      [
        'Expected SendEmail to be dispatched 0 times, but it was dispatched once:',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
      ].join('\n'),
    );
  });

  it('rejects a count that is not a whole number', () => {
    expect(() => queue.assertDispatchedTimes(SendEmail, -1)).toThrow(ConfigurationError);
    expect(() => queue.assertDispatchedTimes(SendEmail, 1.5)).toThrow(/whole number >= 0, got 1\.5/);
  });
});

describe('assertDispatchedOn', () => {
  it('passes on the queue the job went to: the builder over the class static', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new SendEmail('c@d.e')).onQueue('bulk');
    queue.assertDispatchedOn('emails', SendEmail);
    queue.assertDispatchedOn('bulk', SendEmail);
    queue.assertDispatchedOn('bulk', SendEmail, (job) => job.to === 'c@d.e');
  });

  it('fails naming the queues it went to instead', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new SendEmail('c@d.e')).onQueue('bulk');
    expect(failure(() => queue.assertDispatchedOn('critical', SendEmail))).toBe(
      [
        'Expected SendEmail to be dispatched on queue "critical", but it was dispatched on "emails", "bulk":',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
        `  2. SendEmail on "bulk" { to: 'c@d.e', subject: 'Hi' }`,
      ].join('\n'),
    );
    expect(failure(() => queue.assertDispatchedOn('bulk', SendEmail, (job) => job.to === 'a@b.c'))).toBe(
      [
        'Expected SendEmail matching the predicate to be dispatched on queue "bulk", but it was dispatched on "emails":',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
      ].join('\n'),
    );
  });

  it('fails when the class was not dispatched at all', () => {
    expect(failure(() => queue.assertDispatchedOn('emails', SendEmail))).toBe(
      'Expected SendEmail to be dispatched on queue "emails", but it was not dispatched. Nothing was dispatched.',
    );
  });

  it('says the order is queue then class', () => {
    expect(() => queue.assertDispatchedOn(SendEmail as never, 'emails' as never)).toThrow(
      /expected a queue name first/,
    );
  });
});

describe('assertNotDispatched', () => {
  it('passes when no job of the class (or none matching the predicate) was dispatched', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    queue.assertNotDispatched(CreateAccount);
    queue.assertNotDispatched(SendEmail, (job) => job.to === 'c@d.e');
  });

  it('fails listing the jobs that were dispatched', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new CreateAccount('a@b.c'));
    expect(failure(() => queue.assertNotDispatched(SendEmail))).toBe(
      [
        'Expected SendEmail not to be dispatched, but it was dispatched once:',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
      ].join('\n'),
    );
  });

  it('fails listing only the jobs matching the predicate', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.dispatch(new SendEmail('c@d.e'));
    await conveyor.dispatch(new SendEmail('c@d.e', 'Again'));
    expect(failure(() => queue.assertNotDispatched(SendEmail, (job) => job.to === 'c@d.e'))).toBe(
      [
        'Expected no SendEmail matching the predicate to be dispatched, but 2 were:',
        `  1. SendEmail on "emails" { to: 'c@d.e', subject: 'Hi' }`,
        `  2. SendEmail on "emails" { to: 'c@d.e', subject: 'Again' }`,
      ].join('\n'),
    );
  });
});

describe('assertNothingDispatched', () => {
  it('passes when nothing was dispatched', () => {
    queue.assertNothingDispatched();
  });

  it('fails listing every job', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    await conveyor.chain([new CreateAccount('a@b.c'), new SendWelcomeEmail('u-1')]);
    expect(failure(() => queue.assertNothingDispatched())).toBe(
      [
        'Expected nothing to be dispatched, but 3 jobs were:',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
        `  2. CreateAccount on "default" { email: 'a@b.c' } · link 1/2 of a chain`,
        `  3. SendWelcomeEmail on "emails" { userId: 'u-1' } · link 2/2 of a chain`,
      ].join('\n'),
    );
  });

  it('fails for an empty batch too', async () => {
    await conveyor.batch([]).name('nothing-yet').dispatch();
    expect(failure(() => queue.assertNothingDispatched())).toBe(
      [
        'Expected nothing to be dispatched, but 1 empty batch was:',
        '  1. batch "nothing-yet" with no jobs',
      ].join('\n'),
    );
  });
});

describe('assertChained', () => {
  it('passes for a chain of these classes, in order, however it was built', async () => {
    await conveyor.dispatch(new CreateAccount('a@b.c')).chain([new SendWelcomeEmail('u-1')]);
    await conveyor.chain([new ImportContacts('u-1', 'google'), new MarkOnboarded('u-1')]).onQueue('slow');
    queue.assertChained([CreateAccount, SendWelcomeEmail]);
    queue.assertChained([ImportContacts, MarkOnboarded]);
  });

  it('matches jobs by class and equal payload, and predicates by the decoded job', async () => {
    await conveyor.dispatch(new CreateAccount('a@b.c')).chain([new SendWelcomeEmail('u-1')]);
    queue.assertChained([new CreateAccount('a@b.c'), new SendWelcomeEmail('u-1')]);
    queue.assertChained([
      CreateAccount,
      (job: Job) => job instanceof SendWelcomeEmail && job.userId === 'u-1',
    ]);
  });

  it('finds chains inside batches', async () => {
    await signup();
    queue.assertChained([new CreateAccount('x@y.z'), SendWelcomeEmail]);
  });

  it('fails for another order, another payload or only a prefix, listing the chains dispatched', async () => {
    await conveyor.chain([new CreateAccount('a@b.c'), new SendWelcomeEmail('u-1'), new MarkOnboarded('u-1')]);
    const chains = `  1. [CreateAccount { email: 'a@b.c' }, SendWelcomeEmail { userId: 'u-1' }, MarkOnboarded { userId: 'u-1' }]`;
    expect(failure(() => queue.assertChained([CreateAccount, SendWelcomeEmail]))).toBe(
      [
        'Expected a chain [CreateAccount, SendWelcomeEmail] to be dispatched, but the only chain dispatched does not match:',
        chains,
      ].join('\n'),
    );
    expect(failure(() => queue.assertChained([SendWelcomeEmail, CreateAccount, MarkOnboarded]))).toBe(
      [
        'Expected a chain [SendWelcomeEmail, CreateAccount, MarkOnboarded] to be dispatched, but the only chain dispatched does not match:',
        chains,
      ].join('\n'),
    );
    expect(
      failure(() =>
        queue.assertChained([
          CreateAccount,
          new SendWelcomeEmail('u-2'),
          function isLast() {
            return true;
          },
        ]),
      ),
    ).toBe(
      [
        `Expected a chain [CreateAccount, SendWelcomeEmail { userId: 'u-2' }, a job matching isLast()] to be dispatched, but the only chain dispatched does not match:`,
        chains,
      ].join('\n'),
    );
  });

  it('fails when no chain was dispatched, listing the jobs that were', async () => {
    await conveyor.dispatch(new CreateAccount('a@b.c'));
    await conveyor.dispatch(new SendWelcomeEmail('u-1'));
    expect(failure(() => queue.assertChained([CreateAccount, SendWelcomeEmail]))).toBe(
      [
        'Expected a chain [CreateAccount, SendWelcomeEmail] to be dispatched, but no chain was. Dispatched instead (2 jobs):',
        `  1. CreateAccount on "default" { email: 'a@b.c' }`,
        `  2. SendWelcomeEmail on "emails" { userId: 'u-1' }`,
      ].join('\n'),
    );
  });

  it('lists several chains with their name, queue and batch', async () => {
    await signup();
    await conveyor.chain([new AlertOps()]).name('alerting').onQueue('ops');
    expect(failure(() => queue.assertChained([AlertOps, AlertOps]))).toBe(
      [
        'Expected a chain [AlertOps, AlertOps] to be dispatched, but none of the 3 chains dispatched matches:',
        `  1. [CreateAccount { email: 'a@b.c' }, SendWelcomeEmail { userId: 'u-1' }]`,
        `  2. [CreateAccount { email: 'x@y.z' }, SendWelcomeEmail { userId: 'u-2' }] · in batch "onboarding"`,
        '  3. "alerting" [AlertOps {}] on "ops"',
      ].join('\n'),
    );
  });

  it('rejects an empty list and items that are not jobs', () => {
    expect(() => queue.assertChained([])).toThrow(ConfigurationError);
    expect(() => queue.assertChained(['SendEmail' as never])).toThrow(
      /Expected a job class, a job or a predicate \(job\) => boolean, got "SendEmail"/,
    );
  });
});

describe('assertBatched', () => {
  it('passes when a batch matches: name, members, chains, callbacks, options', async () => {
    await signup();
    queue.assertBatched((batch) => batch.name === 'onboarding');
    queue.assertBatched((batch) => batch.has(ImportContacts, (job) => job.source === 'google'));
    queue.assertBatched(
      (batch) =>
        batch.jobs.length === 3 &&
        batch.chains.length === 1 &&
        batch.jobs[0] instanceof ImportContacts &&
        batch.then[0]?.job instanceof MarkOnboarded &&
        !batch.allowFailures,
    );
  });

  it('sees jobs added to the batch later with batch.add()', async () => {
    const batch = await conveyor
      .batch([new ImportContacts('u-1', 'google')])
      .name('import')
      .dispatch();
    await batch.add([new ImportContacts('u-1', 'outlook')]);
    queue.assertBatched((b) => b.has(ImportContacts, (job) => job.source === 'outlook'));
    queue.assertDispatchedTimes(ImportContacts, 2);
  });

  it('fails listing the batches dispatched', async () => {
    await signup();
    await conveyor.batch([new AlertOps()]).onQueue('ops').allowFailures().finally(new AlertOps()).dispatch();
    expect(failure(() => queue.assertBatched((batch) => batch.name === 'newsletter'))).toBe(
      [
        'Expected a batch matching the predicate to be dispatched, but none of the 2 batches dispatched matches:',
        '  1. batch "onboarding" with 3 jobs: ImportContacts, [CreateAccount → SendWelcomeEmail] · then: MarkOnboarded',
        '  2. unnamed batch with 1 job: AlertOps · on "ops", allowFailures, finally: AlertOps',
      ].join('\n'),
    );
  });

  it('fails when no batch was dispatched, listing the jobs that were', async () => {
    await conveyor.dispatch(new SendEmail('a@b.c'));
    expect(failure(() => queue.assertBatched(() => true))).toBe(
      [
        'Expected a batch matching the predicate to be dispatched, but no batch was. Dispatched instead (1 job):',
        `  1. SendEmail on "emails" { to: 'a@b.c', subject: 'Hi' }`,
      ].join('\n'),
    );
  });
});

describe('assertBatchCount', () => {
  it('passes for the exact count', async () => {
    queue.assertBatchCount(0);
    await signup();
    await conveyor.batch([]).dispatch();
    queue.assertBatchCount(2);
  });

  it('fails with the count and the batches', async () => {
    await signup();
    expect(failure(() => queue.assertBatchCount(2))).toBe(
      [
        'Expected 2 batches to be dispatched, but 1 batch was:',
        '  1. batch "onboarding" with 3 jobs: ImportContacts, [CreateAccount → SendWelcomeEmail] · then: MarkOnboarded',
      ].join('\n'),
    );
    expect(failure(() => queue.assertBatchCount(0))).toMatch(
      /^Expected 0 batches to be dispatched, but 1 batch was:/,
    );
  });

  it('fails when no batch was dispatched', () => {
    expect(failure(() => queue.assertBatchCount(1))).toBe(
      'Expected 1 batch to be dispatched, but no batch was.',
    );
  });

  it('rejects a count that is not a whole number', () => {
    expect(() => queue.assertBatchCount(Number.NaN)).toThrow(ConfigurationError);
  });
});

describe('readers', () => {
  it('jobs() lists every dispatched job with its record; jobs(Class) only that class', async () => {
    await signup();
    expect(queue.jobs().map((job) => job.name)).toEqual([
      'CreateAccount',
      'SendWelcomeEmail',
      'ImportContacts',
      'CreateAccount',
      'SendWelcomeEmail',
    ]);
    const [first, second] = queue.jobs(SendWelcomeEmail);
    expect(first).toMatchObject({ queue: 'emails', chainIndex: 1, batchId: null, connection: null });
    expect(second!.batchId).toBe(queue.batches()[0]!.id);
    expect(second!.chainId).toBe(queue.chains()[1]!.id);
    expect(second!.job).toEqual(new SendWelcomeEmail('u-2'));
  });

  it('dispatched(Class, predicate?) gives the decoded jobs', async () => {
    await signup();
    expect(queue.dispatched(CreateAccount)).toEqual([new CreateAccount('a@b.c'), new CreateAccount('x@y.z')]);
    expect(queue.dispatched(CreateAccount, (job) => job.email === 'x@y.z')).toEqual([
      new CreateAccount('x@y.z'),
    ]);
    expect(queue.dispatched(SendEmail)).toEqual([]);
  });

  it('chains() and batches() give the recorded groups', async () => {
    await signup();
    const [alone, inBatch] = queue.chains();
    expect(alone!.jobs).toEqual([new CreateAccount('a@b.c'), new SendWelcomeEmail('u-1')]);
    expect(alone!.batchId).toBeNull();
    const [batch] = queue.batches();
    expect(batch).toMatchObject({ name: 'onboarding', queue: null, allowFailures: false });
    expect(batch!.chains).toEqual([inBatch]);
    expect(batch!.members.map((m) => m.name)).toEqual([
      'ImportContacts',
      'CreateAccount',
      'SendWelcomeEmail',
    ]);
  });

  it('clear() forgets what was recorded', async () => {
    await signup();
    queue.clear();
    queue.assertNothingDispatched();
    queue.assertBatchCount(0);
    await conveyor.dispatch(new SendEmail('a@b.c'));
    queue.assertDispatchedTimes(SendEmail, 1);
  });
});
