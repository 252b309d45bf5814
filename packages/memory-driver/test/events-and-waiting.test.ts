import type { DriverEvent } from '@conveyor/core/driver';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryDriver } from '../src/index.js';
import { batch, collect, completed, job, runNext, take } from './fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Whether `promise` has settled once pending microtasks have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
  return settled;
}

describe('events', () => {
  it('publishes job state changes after the transition, never inside it', async () => {
    const driver = new MemoryDriver();
    const { events } = await collect(driver);
    const pushing = driver.push({ jobs: [job('a'), job('d', { delayMs: 5 })] }, 0);
    expect(events).toEqual([]);
    await pushing;
    expect(events).toEqual([
      { type: 'job', jobId: 'a', queue: 'default', state: 'pending' },
      { type: 'job', jobId: 'd', queue: 'default', state: 'delayed' },
    ]);
    events.length = 0;
    await runNext(driver, 1, completed());
    expect(events).toEqual([
      { type: 'job', jobId: 'a', queue: 'default', state: 'processing' },
      { type: 'job', jobId: 'a', queue: 'default', state: 'completed' },
    ]);
  });

  it('publishes batch changes', async () => {
    const driver = new MemoryDriver();
    const { events } = await collect(driver);
    await driver.push({ jobs: [job('a', { batchId: 'b' })], batch: batch('b') }, 0);
    await runNext(driver, 1, completed());
    const batchEvents = events.filter((event) => event.type === 'batch');
    expect(batchEvents).toEqual([
      { type: 'batch', batchId: 'b', finished: false },
      { type: 'batch', batchId: 'b', finished: true },
    ]);
  });

  it('stops delivering after unsubscribe; a throwing listener does not starve the others', async () => {
    const driver = new MemoryDriver();
    const seen: DriverEvent[] = [];
    const stop = await driver.subscribe((event) => seen.push(event));
    const thrown: unknown[] = [];
    const onError = (error: unknown) => thrown.push(error);
    process.on('uncaughtException', onError);
    const stopBad = await driver.subscribe(() => {
      throw new Error('listener bug');
    });
    try {
      await driver.push({ jobs: [job('a')] }, 0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toHaveLength(1);
      await stop();
      await stopBad();
      await driver.push({ jobs: [job('b')] }, 0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toHaveLength(1);
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(thrown).toEqual([new Error('listener bug')]);
  });
});

describe('waitForWork', () => {
  it('resolves at once when work is ready or the signal already aborted', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a')] }, 0);
    await driver.waitForWork(['other', 'default'], 60_000, new AbortController().signal);
    const aborted = new AbortController();
    aborted.abort();
    await driver.waitForWork(['empty'], 60_000, aborted.signal);
  });

  it('wakes on a push to one of its queues, not to another', async () => {
    vi.useFakeTimers();
    const driver = new MemoryDriver();
    const waiting = driver.waitForWork(['a', 'b'], 60_000, new AbortController().signal);
    await driver.push({ jobs: [job('x', { queue: 'c' })] }, 0);
    expect(await isSettled(waiting)).toBe(false);
    await driver.push({ jobs: [job('y', { queue: 'b' })] }, 0);
    expect(await isSettled(waiting)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('wakes on a release back to the queue and on retryFailed', async () => {
    vi.useFakeTimers();
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a')] }, 0);
    const [taken] = await take(driver, 0, { token: 't' });
    const released = driver.waitForWork(['default'], 60_000, new AbortController().signal);
    expect(await isSettled(released)).toBe(false);
    await driver.settle([{ jobId: taken!.id, token: 't', outcome: { type: 'released', availableAt: 0 } }], 1);
    expect(await isSettled(released)).toBe(true);
    await runNext(driver, 2, { type: 'failed', error: { name: 'E', message: 'x', attempt: 1, at: 2 } });
    const retried = driver.waitForWork(['default'], 60_000, new AbortController().signal);
    await driver.retryFailed({}, 3);
    expect(await isSettled(retried)).toBe(true);
  });

  it('resolves (never rejects) on abort, and after its timeout, clearing its timer', async () => {
    vi.useFakeTimers();
    const driver = new MemoryDriver();
    const controller = new AbortController();
    const aborting = driver.waitForWork(['q'], 60_000, controller.signal);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    await expect(aborting).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);

    const timing = driver.waitForWork(['q'], 1_000, new AbortController().signal);
    vi.advanceTimersByTime(999);
    expect(await isSettled(timing)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await isSettled(timing)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('close', () => {
  it('ends pending waits, leaves no timer, is idempotent, and refuses later calls', async () => {
    vi.useFakeTimers();
    const driver = new MemoryDriver();
    const waiting = driver.waitForWork(['q'], 60_000, new AbortController().signal);
    await driver.close();
    await driver.close();
    expect(await isSettled(waiting)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await expect(driver.push({ jobs: [job('a')] }, 0)).rejects.toThrow(/closed/);
    await expect(driver.get('a')).rejects.toThrow(/closed/);
    await expect(driver.waitForWork(['q'], 10, new AbortController().signal)).rejects.toThrow(/closed/);
  });
});
