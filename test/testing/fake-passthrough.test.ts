import { Conveyor, FakeClock, Job, type JobContext, Scheduler } from '@conveyor/core';
import { fake } from '@conveyor/core/testing';
import { MemoryDriver } from '@conveyor/memory-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What ran, in order. */
let ran: string[];

class Charge extends Job {
  constructor(public orderId: string) {
    super();
  }
  handle() {
    ran.push(`charge:${this.orderId}`);
  }
}

class SendReceipt extends Job {
  static queue = 'emails';
  constructor(public orderId: string) {
    super();
  }
  handle() {
    ran.push(`receipt:${this.orderId}`);
  }
}

/** A link that grows its chain while it runs. */
class Fulfil extends Job {
  constructor(public orderId: string) {
    super();
  }
  async handle(ctx: JobContext) {
    ran.push(`fulfil:${this.orderId}`);
    await ctx.chain?.append(new SendReceipt(this.orderId));
  }
}

/** A batch member that adds to its batch while it runs. */
class Restock extends Job {
  constructor(public sku: string) {
    super();
  }
  async handle(ctx: JobContext) {
    ran.push(`restock:${this.sku}`);
    if (this.sku === 'a') await ctx.batch?.add([new SendReceipt('restock')]);
  }
}

const JOBS = [Charge, SendReceipt, Fulfil, Restock];

let clock: FakeClock;
let driver: MemoryDriver;
let conveyor: Conveyor;

beforeEach(() => {
  ran = [];
  clock = new FakeClock();
  driver = new MemoryDriver();
  conveyor = new Conveyor({ driver, clock, jobs: JOBS });
});

afterEach(async () => {
  await conveyor.close();
});

describe('a fake in front of the memory driver', () => {
  it('records faked jobs and lets the others through to the driver, where a worker runs them', async () => {
    const queue = fake(conveyor, { only: [SendReceipt] });
    const charge = await conveyor.dispatch(new Charge('o-1'));
    const receipt = await conveyor.dispatch(new SendReceipt('o-1'));
    expect(await conveyor.drain()).toBe(1);
    expect(ran).toEqual(['charge:o-1']);
    expect(await charge.status()).toBe('completed');
    expect(await receipt.status()).toBe('pending'); // the fake's answer: it never runs
    expect(await driver.get(receipt.id)).toBeNull();
    queue.assertDispatched(SendReceipt, (job) => job.orderId === 'o-1');
    queue.assertNotDispatched(Charge); // it was let through, not recorded
  });

  it('except: lets the listed classes through', async () => {
    const queue = fake(conveyor, { except: [Charge] });
    await conveyor.dispatch(new Charge('o-1'));
    await conveyor.dispatch(new SendReceipt('o-1'));
    await conveyor.drain();
    expect(ran).toEqual(['charge:o-1']);
    queue.assertDispatchedTimes(SendReceipt, 1);
  });

  it('a chain or a batch with a faked job (a link, a member or a callback) is recorded whole, and none of it runs', async () => {
    const queue = fake(conveyor, { only: [SendReceipt] });
    await conveyor.chain([new Charge('o-1'), new SendReceipt('o-1')]);
    await conveyor.chain([new Charge('o-2'), new Fulfil('o-2')]);
    await conveyor
      .batch([new Restock('a')])
      .then(new SendReceipt('batch'))
      .dispatch();
    await conveyor.batch([new Restock('b')]).dispatch();
    await conveyor.drain();
    expect(ran).toEqual(['charge:o-2', 'restock:b', 'fulfil:o-2']);
    queue.assertChained([Charge, SendReceipt]);
    queue.assertBatchCount(1);
    queue.assertBatched((batch) => batch.has(Restock, (job) => job.sku === 'a'));
  });

  it('records faked jobs a running job adds to its real chain or batch, which go on without them', async () => {
    const queue = fake(conveyor, { only: [SendReceipt] });
    const chain = await conveyor.chain([new Charge('o-1'), new Fulfil('o-1')]);
    const batch = await conveyor.batch([new Restock('a'), new Restock('b')]).dispatch();
    await conveyor.drain();
    expect(ran.sort()).toEqual(['charge:o-1', 'fulfil:o-1', 'restock:a', 'restock:b']);
    expect(await chain.status()).toBe('completed');
    expect(await batch.progress()).toMatchObject({ total: 2, processed: 2, finished: true });
    queue.assertDispatched(
      SendReceipt,
      (job, dispatch) => job.orderId === 'o-1' && dispatch.chainId === chain.id,
    );
    queue.assertDispatched(
      SendReceipt,
      (job, dispatch) => job.orderId === 'restock' && dispatch.batchId === batch.id,
    );
  });

  it('records the occurrences a scheduler dispatches', async () => {
    const queue = fake(conveyor, { only: [SendReceipt] });
    conveyor.schedule(new SendReceipt('daily')).everyMinute();
    const scheduler = new Scheduler({ conveyor });
    await scheduler.start();
    await clock.advance('1m');
    await scheduler.idle();
    await scheduler.close();
    queue.assertDispatched(
      SendReceipt,
      (job, dispatch) => job.orderId === 'daily' && dispatch.meta.schedule !== undefined,
    );
    expect(await conveyor.drain()).toBe(0);
  });

  it('fakes named connections too, and says which one a job went through', async () => {
    const reports = new MemoryDriver();
    conveyor.use('reports', reports);
    const queue = fake(conveyor);
    await conveyor.dispatch(new Charge('o-1')).onConnection('reports');
    queue.assertDispatched(Charge, (_job, dispatch) => dispatch.connection === 'reports');
    expect(await reports.queues()).toEqual([]);
    queue.restore();
    await conveyor.dispatch(new Charge('o-2')).onConnection('reports');
    expect(await reports.queues()).toEqual(['default']);
  });

  it('a worker started before fake() keeps running the jobs the fake lets through', async () => {
    const worker = conveyor.worker({ queues: ['default', 'emails'] });
    await worker.start();
    const queue = fake(conveyor, { only: [SendReceipt] });
    const done = new Promise<void>((resolve) => conveyor.once('completed', () => resolve()));
    const charge = await conveyor.dispatch(new Charge('o-1'));
    await conveyor.dispatch(new SendReceipt('o-1'));
    await done;
    expect(await charge.wait({ timeout: '5s' })).toBeUndefined();
    expect(ran).toEqual(['charge:o-1']);
    queue.assertDispatched(SendReceipt);
    await worker.close();
  });

  it('restore() sends dispatches to the driver again', async () => {
    const queue = fake(conveyor);
    await conveyor.dispatch(new Charge('o-1'));
    queue.restore();
    expect(conveyor.driver).toBe(driver);
    await conveyor.dispatch(new Charge('o-2'));
    await conveyor.drain();
    expect(ran).toEqual(['charge:o-2']);
    queue.assertDispatchedTimes(Charge, 1);
  });

  it('lists and counts recorded jobs alongside stored ones', async () => {
    fake(conveyor, { only: [SendReceipt] });
    await conveyor.dispatch(new Charge('o-1'));
    await clock.advance(1);
    await conveyor.dispatch(new SendReceipt('o-1'));
    expect(await conveyor.counts()).toMatchObject({ pending: 2 });
    expect(await conveyor.queues()).toEqual(['default', 'emails']);
    expect((await conveyor.list()).map((job) => job.name)).toEqual(['SendReceipt', 'Charge']);
    expect((await conveyor.list({ limit: 1, offset: 1 })).map((job) => job.name)).toEqual(['Charge']);
  });
});
