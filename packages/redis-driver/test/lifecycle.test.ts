import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisDriver, RedisDriverError } from '../src/index.js';
import { cleanup, makeDriver, newJob, newPrefix, REDIS_URL, reserveAll, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

async function clientsNamed(name: string): Promise<number> {
  const admin = new Redis(REDIS_URL);
  try {
    const list = (await admin.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
  } finally {
    await admin.quit();
  }
}

describe('lifecycle and faults', () => {
  it('opens nothing until used, and close() leaves no connection open', async () => {
    const name = `${prefix}-close`;
    const driver = new RedisDriver({ url: REDIS_URL, prefix, redisOptions: { connectionName: name } });
    expect(await clientsNamed(name)).toBe(0);
    await driver.push({ jobs: [newJob()] }, T0);
    const unsubscribe = await driver.subscribe(() => {});
    const abort = new AbortController();
    const waiting = driver.waitForWork(['empty'], 60_000, abort.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await clientsNamed(name)).toBe(3); // commands, subscriber, blocking

    await driver.close();
    await waiting;
    await unsubscribe();
    await driver.close(); // idempotent

    expect(await clientsNamed(name)).toBe(0);
    await expect(driver.get('x')).rejects.toMatchObject({ code: 'REDIS_CLOSED' });
  });

  it("never closes a caller's connection, only the duplicates it made", async () => {
    const name = `${prefix}-own`;
    const connection = new Redis(REDIS_URL, { connectionName: name });
    const driver = new RedisDriver({ connection, prefix });
    await driver.push({ jobs: [newJob({ queue: 'own' })] }, T0);
    await driver.subscribe(() => {});

    await driver.close();

    expect(connection.status).toBe('ready');
    expect(await clientsNamed(name)).toBe(1);
    await connection.quit();
  });

  it('rejects within a bounded time with a clear error when Redis is unreachable', async () => {
    const driver = new RedisDriver({ url: 'redis://127.0.0.1:1', prefix });
    const start = performance.now();

    const error = await driver.push({ jobs: [newJob()] }, T0).catch((e: unknown) => e);

    expect(performance.now() - start).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(RedisDriverError);
    expect(error).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect((error as Error).message).toMatch(
      /push failed: Redis at redis:\/\/127\.0\.0\.1:1.* is unreachable/,
    );
    const closing = performance.now();
    await driver.close();
    expect(performance.now() - closing).toBeLessThan(500);
  });

  it('reconnects by itself after its connection is killed', async () => {
    const name = `${prefix}-reconnect`;
    const driver = makeDriver(prefix, { redisOptions: { connectionName: name } });
    await driver.push({ jobs: [newJob({ queue: 'rc' })] }, T0);
    const admin = new Redis(REDIS_URL);
    await admin.client('KILL', 'SKIPME', 'yes', 'USER', 'default').catch(() => 0);
    await admin.quit();

    await driver.push({ jobs: [newJob({ queue: 'rc' })] }, T0);

    expect((await reserveAll(driver, T0, ['rc'])).jobs).toHaveLength(2);
  });

  it('delivers events published by another driver on the same prefix', async () => {
    const publisher = makeDriver(prefix);
    const listener = makeDriver(prefix);
    const job = newJob({ queue: 'events' });
    await publisher.push({ jobs: [job] }, T0);
    const seen = new Promise((resolve) => {
      void listener.subscribe((event) => {
        if (event.type === 'job' && event.jobId === job.id) resolve(event);
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { jobs } = await reserveAll(publisher, T0, ['events']);
    await publisher.settle(
      [{ jobId: job.id, token: jobs[0]!.token, outcome: { type: 'cancelled' } }],
      T0 + 1,
    );

    expect(await seen).toEqual({ type: 'job', jobId: job.id, queue: 'events', state: 'cancelled' });
  });
});
