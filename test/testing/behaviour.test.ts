import { ConfigurationError, Conveyor, FakeClock, Job, type JobContext } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * Behaviour runs: the memory driver, the worker code production runs (through `conveyor.drain()`), and a
 * FakeClock that moves delays and backoffs without sleeping.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What ran: label and clock time (ms since the clock's start). */
let ran: Array<[string, number]>;
/** Labels whose next attempts throw, with how many failures are left. */
let failures: Map<string, number>;
let clock: FakeClock;
let start: number;
let conveyor: Conveyor;

class Step extends Job<string> {
  constructor(
    public label: string,
    queue?: string,
  ) {
    super();
    if (queue !== undefined) this.queue = queue;
  }
  handle(ctx: JobContext) {
    ran.push([`${this.label}#${ctx.attempt}`, clock.now() - start]);
    const left = failures.get(this.label) ?? 0;
    if (left > 0) {
      failures.set(this.label, left - 1);
      throw new Error(`${this.label} failed`);
    }
    return this.label;
  }
}

/** Retries three times, a minute then five minutes then an hour apart. */
class Flaky extends Step {
  static override maxAttempts = 4;
  static override backoff = [MINUTE, 5 * MINUTE, HOUR];
}

/** Puts itself back a second later, forever. */
class Snooze extends Job {
  handle(ctx: JobContext): never {
    ran.push(['snooze', clock.now() - start]);
    return ctx.release('1s');
  }
}

beforeEach(() => {
  ran = [];
  failures = new Map();
  clock = new FakeClock();
  start = clock.now();
  conveyor = new Conveyor({ driver: new MemoryDriver(), clock, jobs: [Step, Flaky, Snooze] });
});

afterEach(async () => {
  await conveyor.close();
});

describe('drain() with the clock moved by hand', () => {
  it('runs a retry once its backoff is over, not a millisecond before', async () => {
    failures.set('pay', 2);
    const job = await conveyor.dispatch(new Flaky('pay'));
    expect(await conveyor.drain()).toBe(1);
    expect(await job.status()).toBe('retrying');
    await clock.advance(MINUTE - 1);
    expect(await conveyor.drain()).toBe(0);
    await clock.advance(1);
    expect(await conveyor.drain()).toBe(1);
    await clock.advance('5m');
    expect(await conveyor.drain()).toBe(1);
    expect(await job.status()).toBe('completed');
    expect(ran).toEqual([
      ['pay#1', 0],
      ['pay#2', MINUTE],
      ['pay#3', 6 * MINUTE],
    ]);
  });

  it('runs a delayed job once its delay is over', async () => {
    const job = await conveyor.dispatch(new Step('later')).delay('5m');
    expect(await conveyor.drain()).toBe(0);
    expect(await job.status()).toBe('delayed');
    await clock.advance('5m');
    expect(await conveyor.drain()).toBe(1);
    expect(await job.result()).toBe('later');
  });

  it('runs a whole chain and a batch with its callback job in one drain, whatever their queues', async () => {
    const chain = await conveyor.chain([new Step('a'), new Step('b', 'other'), new Step('c', 'third')]);
    const batch = await conveyor
      .batch([new Step('m1'), new Step('m2')])
      .then(new Step('then', 'callbacks'))
      .dispatch();
    expect(await conveyor.drain()).toBe(6);
    expect((await chain.info())?.state).toBe('completed');
    expect(await batch.progress()).toMatchObject({ processed: 2, finished: true });
    expect(ran.map(([label]) => label)).toContain('then#1');
  });
});

describe('drain({ advance })', () => {
  it('advance: true moves the clock to each next due job until nothing is left', async () => {
    failures.set('pay', 3);
    const pay = await conveyor.dispatch(new Flaky('pay'));
    await conveyor.dispatch(new Step('reminder')).delay('2d');
    await conveyor.chain([new Step('first'), new Step('second')]).delay('10m');
    expect(await conveyor.drain({ advance: true })).toBe(7);
    expect(ran).toEqual([
      ['pay#1', 0],
      ['pay#2', MINUTE],
      ['pay#3', 6 * MINUTE],
      ['first#1', 10 * MINUTE],
      ['second#1', 10 * MINUTE],
      ['pay#4', 66 * MINUTE],
      ['reminder#1', 2 * 24 * HOUR],
    ]);
    expect(clock.now() - start).toBe(2 * 24 * HOUR); // the last due time: it stops there
    expect(await pay.status()).toBe('completed');
    expect(await conveyor.counts()).toMatchObject({ pending: 0, delayed: 0, retrying: 0, completed: 4 });
  });

  it('does not move the clock when nothing waits', async () => {
    await conveyor.dispatch(new Step('now'));
    expect(await conveyor.drain({ advance: true })).toBe(1);
    expect(clock.now()).toBe(start);
  });

  it('a duration bounds it: what is due within it runs, and the clock ends exactly there', async () => {
    failures.set('pay', 3);
    await conveyor.dispatch(new Flaky('pay'));
    const tomorrow = await conveyor.dispatch(new Step('tomorrow')).delay('1d');
    expect(await conveyor.drain({ advance: '1h' })).toBe(3);
    expect(clock.now() - start).toBe(HOUR);
    expect(await tomorrow.status()).toBe('delayed');
    expect(await conveyor.drain({ advance: '1d' })).toBe(2);
    expect(clock.now() - start).toBe(25 * HOUR);
  });

  it('runs a failed job out of attempts to failed, once', async () => {
    failures.set('pay', 10);
    const pay = await conveyor.dispatch(new Flaky('pay'));
    expect(await conveyor.drain({ advance: true })).toBe(4);
    expect(await pay.status()).toBe('failed');
    expect(clock.now() - start).toBe(66 * MINUTE);
  });

  it('stops with a clear error when work never ends, unless bounded by a duration', async () => {
    await conveyor.dispatch(new Snooze());
    expect(await conveyor.drain({ advance: '10s' })).toBe(11);
    await expect(conveyor.drain({ advance: true })).rejects.toThrow(
      /moved the clock 10000 times and work is still due .*drain\(\{ advance: '1h' \}\)/,
    );
  });

  it('needs a FakeClock', async () => {
    const real = new Conveyor({ driver: new MemoryDriver(), jobs: [Step] });
    await expect(real.drain({ advance: true })).rejects.toThrow(ConfigurationError);
    await expect(real.drain({ advance: '1m' })).rejects.toThrow(/needs a FakeClock: new Conveyor/);
    await real.close();
  });
});
