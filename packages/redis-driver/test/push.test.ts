import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, makeDriver, newJob, newPrefix, REDIS_URL, reserveAll, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

describe('push coalescing', () => {
  it('merges concurrent pushes into few script calls; each keeps its own now, order and outcome', async () => {
    const driver = makeDriver(prefix);
    const admin = new Redis(REDIS_URL);
    const jobs = Array.from({ length: 200 }, (_, i) => newJob({ queue: 'coalesced', name: `J${i}` }));
    await driver.push({ jobs: [newJob({ queue: 'warm-up' })] }, T0); // scripts loaded, connection ready
    const before = Number((await admin.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0);

    const results = await Promise.all(jobs.map((job, i) => driver.push({ jobs: [job] }, T0 + (i % 2))));

    const after = Number((await admin.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0);
    await admin.quit();
    expect(results.map((r) => r.jobs[0])).toEqual(jobs.map((job) => ({ outcome: 'added', id: job.id })));
    // other suites may share the server, so only a loose bound: far fewer calls than pushes
    expect(after - before).toBeLessThan(100);
    const stored = await Promise.all(jobs.slice(0, 2).map((job) => driver.get(job.id)));
    expect(stored.map((job) => job?.createdAt)).toEqual([T0, T0 + 1]);
    const { jobs: reserved } = await reserveAll(driver, T0 + 1, ['coalesced']);
    // same priority: by availableAt, then dispatch order
    const expected = [...jobs.filter((_, i) => i % 2 === 0), ...jobs.filter((_, i) => i % 2 === 1)];
    expect(reserved.map((job) => job.id)).toEqual(expected.map((job) => job.id));
  });

  it('applies uniqueness across pushes merged into one call: the first one in wins', async () => {
    const driver = makeDriver(prefix);
    const unique = { key: 'merged', ttlMs: null, until: 'completed' as const };
    const [first, second] = [newJob({ unique }), newJob({ unique })];

    const [a, b] = await Promise.all([
      driver.push({ jobs: [first] }, T0),
      driver.push({ jobs: [second] }, T0),
    ]);

    expect(a.jobs).toEqual([{ outcome: 'added', id: first.id }]);
    expect(b.jobs).toEqual([{ outcome: 'duplicate', id: first.id }]);
  });
});
