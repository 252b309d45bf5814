import { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from '@conveyor/core/driver';
import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../src/index.js';
import { completed, job, take } from './fixtures.js';

const MINUTE = 60_000;
const settings = (fields: Partial<QueueSettings>): QueueSettings => ({
  ...DEFAULT_QUEUE_SETTINGS,
  ...fields,
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

const waitOn = (driver: MemoryDriver, controller = new AbortController()) =>
  driver.waitForWork(['default'], 60_000, controller.signal);

/**
 * What the memory driver adds to the conformance rules: ready jobs that a queue's settings hold back are not
 * work for `waitForWork` (a worker would spin on them), and what frees them wakes the worker.
 */
describe('queue settings and waitForWork', () => {
  it('a paused queue with ready jobs lets a worker sleep; resuming wakes it', async () => {
    const driver = new MemoryDriver();
    await driver.setQueueSettings('default', settings({ paused: true }));
    await driver.push({ jobs: [job('a')] }, 0);

    const waiting = waitOn(driver);
    expect(await isSettled(waiting)).toBe(false);
    await driver.setQueueSettings('default', settings({ paused: false }));
    expect(await isSettled(waiting)).toBe(true);
    await driver.close();
  });

  it('a full concurrency cap lets a worker sleep; a settle that frees a slot wakes it', async () => {
    const driver = new MemoryDriver();
    await driver.setQueueSettings('default', settings({ concurrency: 1 }));
    await driver.push({ jobs: [job('a'), job('b')] }, 0);
    const [running] = await take(driver, 0);

    const waiting = waitOn(driver);
    expect(await isSettled(waiting)).toBe(false);
    await driver.settle([{ jobId: running!.id, token: running!.token, outcome: completed() }], 1);
    expect(await isSettled(waiting)).toBe(true);
    expect((await take(driver, 1)).map((j) => j.id)).toEqual(['b']);
    await driver.close();
  });

  it('a spent rate window lets a worker sleep until the window end that reserve reported', async () => {
    const driver = new MemoryDriver();
    await driver.setQueueSettings('default', settings({ rateLimit: { limit: 1, windowMs: MINUTE } }));
    await driver.push({ jobs: [job('a'), job('b')] }, 0);
    await take(driver, 0);
    const held = await driver.reserve({
      queues: ['default'],
      max: 5,
      leaseMs: 30_000,
      workerId: 'w',
      token: 't',
      now: 10,
    });
    expect(held).toEqual({ jobs: [], nextAvailableAt: MINUTE });

    const controller = new AbortController();
    const waiting = waitOn(driver, controller);
    expect(await isSettled(waiting)).toBe(false);
    controller.abort(); // the worker's own timer at nextAvailableAt
    expect(await isSettled(waiting)).toBe(true);
    expect((await take(driver, MINUTE)).map((j) => j.id)).toEqual(['b']);
    await driver.close();
  });

  it('keeps nothing for a queue set back to the defaults', async () => {
    const driver = new MemoryDriver();
    await driver.setQueueSettings('default', settings({ concurrency: 2 }));
    await driver.setQueueSettings('default', DEFAULT_QUEUE_SETTINGS);
    expect(await driver.getQueueSettings('default')).toEqual(DEFAULT_QUEUE_SETTINGS);
    await driver.push({ jobs: [job('a'), job('b'), job('c')] }, 0);
    expect(await take(driver, 0, { max: 3 })).toHaveLength(3);
    await driver.close();
  });

  it('returns copies: changing what getQueueSettings returned changes nothing stored', async () => {
    const driver = new MemoryDriver();
    const stored = settings({ rateLimit: { limit: 3, windowMs: MINUTE } });
    await driver.setQueueSettings('default', stored);
    stored.rateLimit!.limit = 100;
    const read = await driver.getQueueSettings('default');
    read.rateLimit!.limit = 50;
    expect(await driver.getQueueSettings('default')).toEqual(
      settings({ rateLimit: { limit: 3, windowMs: MINUTE } }),
    );
    await driver.close();
  });
});
