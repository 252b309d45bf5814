import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, makeDriver, newJob, newPrefix, reserveAll, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

const MINUTE = 60_000;
const jobs = (queue: string, n: number) => Array.from({ length: n }, () => newJob({ queue }));

describe('queue settings obeyed by reserve', () => {
  it('stores settings whole and returns the defaults when none were stored', async () => {
    const driver = makeDriver(prefix);
    expect(await driver.getQueueSettings('s')).toEqual({ paused: false, concurrency: null, rateLimit: null });
    const settings = { paused: true, concurrency: 3, rateLimit: { limit: 10, windowMs: MINUTE } };
    await driver.setQueueSettings('s', settings);
    expect(await driver.getQueueSettings('s')).toEqual(settings);
    await driver.setQueueSettings('s', { paused: false, concurrency: null, rateLimit: null });
    expect(await driver.getQueueSettings('s')).toEqual({ paused: false, concurrency: null, rateLimit: null });
  });

  it('hands out nothing from a paused queue, and a resume wakes a waiting worker', async () => {
    const driver = makeDriver(prefix);
    await driver.setQueueSettings('paused', { paused: true, concurrency: null, rateLimit: null });
    await driver.push({ jobs: jobs('paused', 2) }, T0);
    expect((await reserveAll(driver, T0, ['paused'])).jobs).toEqual([]);
    await driver.redis.del(driver.keys.queue('paused', 'marker'));

    const waiting = driver.waitForWork(['paused'], 60_000, new AbortController().signal);
    await driver.setQueueSettings('paused', { paused: false, concurrency: null, rateLimit: null });
    await waiting;

    expect((await reserveAll(driver, T0, ['paused'])).jobs).toHaveLength(2);
  });

  it('caps processing jobs of a queue across workers, and a settle that frees a slot wakes a worker', async () => {
    const driver = makeDriver(prefix);
    await driver.setQueueSettings('capped', { paused: false, concurrency: 2, rateLimit: null });
    await driver.push({ jobs: jobs('capped', 5) }, T0);

    const first = await reserveAll(driver, T0, ['capped']);
    const second = await reserveAll(driver, T0, ['capped']);
    expect([first.jobs.length, second.jobs.length]).toEqual([2, 0]);

    await driver.redis.del(driver.keys.queue('capped', 'marker'));
    const waiting = driver.waitForWork(['capped'], 60_000, new AbortController().signal);
    const done = first.jobs[0]!;
    await driver.settle(
      [{ jobId: done.id, token: done.token, outcome: { type: 'completed', result: null } }],
      T0,
    );
    await waiting;
    expect((await reserveAll(driver, T0, ['capped'])).jobs).toHaveLength(1);
  });

  it('caps starts per fixed window and reports the window end as nextAvailableAt', async () => {
    const driver = makeDriver(prefix);
    await driver.setQueueSettings('rated', {
      paused: false,
      concurrency: null,
      rateLimit: { limit: 3, windowMs: MINUTE },
    });
    await driver.push({ jobs: jobs('rated', 5) }, T0);

    const first = await reserveAll(driver, T0 + 1_000, ['rated'], 2);
    const second = await reserveAll(driver, T0 + 2_000, ['rated']);
    const third = await reserveAll(driver, T0 + MINUTE, ['rated']);

    expect(first.jobs).toHaveLength(2);
    expect(second).toMatchObject({ nextAvailableAt: T0 + MINUTE });
    expect(second.jobs).toHaveLength(1);
    expect(third.jobs).toHaveLength(2);
    expect(third.nextAvailableAt).toBeNull();
  });

  it('takes strictly in queue order even when an earlier queue is capped', async () => {
    const driver = makeDriver(prefix);
    await driver.setQueueSettings('first', { paused: false, concurrency: 1, rateLimit: null });
    await driver.push({ jobs: [...jobs('first', 3), ...jobs('second', 2)] }, T0);

    const { jobs: taken } = await reserveAll(driver, T0, ['first', 'second']);

    expect(taken.map((job) => job.queue)).toEqual(['first', 'second', 'second']);
  });
});

describe('worker registry', () => {
  it('upserts, lists the live ones (dropping expired), and removes', async () => {
    const driver = makeDriver(prefix);
    await driver.saveWorker({ id: 'w-1', info: '{"pid":1}', heartbeatAt: T0, expiresAt: T0 + MINUTE });
    await driver.saveWorker({ id: 'w-2', info: '{"pid":2}', heartbeatAt: T0, expiresAt: T0 + 2 * MINUTE });
    await driver.saveWorker({
      id: 'w-1',
      info: '{"pid":1,"n":5}',
      heartbeatAt: T0 + 1,
      expiresAt: T0 + 3 * MINUTE,
    });

    expect(await driver.listWorkers(T0)).toEqual([
      { id: 'w-2', info: '{"pid":2}', heartbeatAt: T0, expiresAt: T0 + 2 * MINUTE },
      { id: 'w-1', info: '{"pid":1,"n":5}', heartbeatAt: T0 + 1, expiresAt: T0 + 3 * MINUTE },
    ]);
    expect((await driver.listWorkers(T0 + 2 * MINUTE)).map((w) => w.id)).toEqual(['w-1']);
    expect(await driver.redis.exists(driver.keys.worker('w-2'))).toBe(0);
    await driver.removeWorker('w-1');
    expect(await driver.listWorkers(T0)).toEqual([]);
  });
});

describe('metrics', () => {
  it('adds into per-minute buckets, reads a range oldest first, and bounds their lifetime', async () => {
    const driver = makeDriver(prefix);
    await driver.incrementMetrics(
      [
        { queue: 'm', minute: T0, fields: { completed: 2, runMs: 10.5 } },
        { queue: 'm', minute: T0 + MINUTE, fields: { failed: 1 } },
        { queue: 'other', minute: T0, fields: { completed: 9 } },
      ],
      60 * MINUTE,
    );
    await driver.incrementMetrics(
      [{ queue: 'm', minute: T0, fields: { completed: 1, runMs: 0.25 } }],
      60 * MINUTE,
    );

    expect(await driver.readMetrics('m', T0 - MINUTE, T0 + 5 * MINUTE)).toEqual([
      { minute: T0, fields: { completed: 3, runMs: 10.75 } },
      { minute: T0 + MINUTE, fields: { failed: 1 } },
    ]);
    expect(await driver.readMetrics('m', T0 + MINUTE, T0 + MINUTE)).toHaveLength(1);
    expect(await driver.redis.pttl(driver.keys.metrics('m', T0))).toBeGreaterThan(59 * MINUTE);
  });
});
