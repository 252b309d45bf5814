import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, makeDriver, newJob, newPrefix, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

const LONG_WAIT_MS = 60_000;

describe('waitForWork', () => {
  it('wakes an idle waiter within a few ms of a push from another process (connection)', async () => {
    const worker = makeDriver(prefix);
    const dispatcher = makeDriver(prefix);
    const abort = new AbortController();
    const latencies: number[] = [];
    await dispatcher.push({ jobs: [newJob({ queue: 'latency' })] }, T0); // warm both connections up
    await worker.waitForWork(['latency'], 1_000, abort.signal);
    await worker.redis.del(worker.keys.queue('latency', 'marker'));

    for (let i = 0; i < 20; i++) {
      const waiting = worker.waitForWork(['latency'], LONG_WAIT_MS, abort.signal);
      await new Promise((resolve) => setTimeout(resolve, 5)); // let the BLPOP reach the server
      const start = performance.now();
      await dispatcher.push({ jobs: [newJob({ queue: 'latency' })] }, T0);
      await waiting;
      latencies.push(performance.now() - start);
    }

    latencies.sort((a, b) => a - b);
    const p50 = latencies[10]!;
    const max = latencies.at(-1)!;
    console.log(`waitForWork wake-up after push: p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
    expect(max).toBeLessThan(200);
  });

  it('resolves every local waiter of a queue on one push', async () => {
    const driver = makeDriver(prefix);
    const abort = new AbortController();
    const waiters = [1, 2, 3].map(() => driver.waitForWork(['fan'], LONG_WAIT_MS, abort.signal));

    await driver.push({ jobs: [newJob({ queue: 'fan' })] }, T0);

    await expect(Promise.all(waiters)).resolves.toHaveLength(3);
  });

  it('resolves at once on abort, and close() ends every pending wait without waiting for the block', async () => {
    const driver = makeDriver(prefix);
    const abort = new AbortController();
    const aborted = driver.waitForWork(['quiet'], LONG_WAIT_MS, abort.signal);
    const pending = driver.waitForWork(['quiet-2'], LONG_WAIT_MS, new AbortController().signal);

    let start = performance.now();
    abort.abort();
    await aborted;
    expect(performance.now() - start).toBeLessThan(50);

    start = performance.now();
    await driver.close();
    await pending;
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('wakes a waiter whose blocking connection is killed (watchdog), and works again after', async () => {
    const driver = makeDriver(prefix, { redisOptions: { connectionName: `${prefix}-kill` } });
    const abort = new AbortController();
    const waiting = driver.waitForWork(['killed'], LONG_WAIT_MS, abort.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const start = performance.now();
    await driver.redis.client('KILL', 'SKIPME', 'yes', 'USER', 'default').catch(() => 0);
    await waiting;
    expect(performance.now() - start).toBeLessThan(2_000);

    const again = driver.waitForWork(['killed'], LONG_WAIT_MS, abort.signal);
    await driver.push({ jobs: [newJob({ queue: 'killed' })] }, T0);
    await again;
  });
});
