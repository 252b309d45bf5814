import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, makeDriver, newJob, newPrefix, reserveAll, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

describe('reserve', () => {
  it('orders by priority desc, then availableAt asc, then dispatch order, across many pushes', async () => {
    const driver = makeDriver(prefix);
    const expected: string[][] = [[], [], [], []];
    // 4 priorities x 3 ready times x 5 jobs, pushed in a shuffled-looking order
    for (const delay of [2_000, 0, 1_000]) {
      for (const priority of [1, 3, 2, 4]) {
        const jobs = Array.from({ length: 5 }, () => newJob({ queue: 'ordered', priority, delayMs: delay }));
        await driver.push({ jobs }, T0);
      }
    }
    const all = await driver.list({ queue: 'ordered', limit: 1_000 });
    for (const job of [...all].reverse()) expected[4 - job.priority]!.push(job.id);
    const byReadiness = expected.map((ids) =>
      ids
        .map((id) => all.find((job) => job.id === id)!)
        .sort((a, b) => a.availableAt - b.availableAt)
        .map((job) => job.id),
    );

    const { jobs } = await reserveAll(driver, T0 + 5_000, ['ordered']);

    expect(jobs.map((job) => job.id)).toEqual(byReadiness.flat());
  });

  it('takes many jobs in one call and leaves a wake-up marker while ready jobs remain', async () => {
    const driver = makeDriver(prefix);
    await driver.push({ jobs: Array.from({ length: 50 }, () => newJob({ queue: 'bulk' })) }, T0);
    const marker = driver.keys.queue('bulk', 'marker');
    await driver.redis.del(marker);

    const { jobs } = await reserveAll(driver, T0, ['bulk'], 20);

    expect(jobs).toHaveLength(20);
    expect(await driver.redis.llen(marker)).toBe(1);
  });

  it("keeps a busy queue's active set a skiplist, without the member that made it one", async () => {
    const driver = makeDriver(prefix);
    const jobs = Array.from({ length: 9 }, () => newJob({ queue: 'wide' }));
    await driver.push({ jobs }, T0);
    const active = driver.keys.queue('wide', 'active');

    const one = await reserveAll(driver, T0, ['wide'], 1);
    expect(await driver.redis.object('ENCODING', active)).toBe('listpack');
    const more = await reserveAll(driver, T0, ['wide'], 5);

    expect(await driver.redis.object('ENCODING', active)).toBe('skiplist');
    const taken = [...one.jobs, ...more.jobs].map((job) => job.id);
    expect((await driver.redis.zrange(active, 0, -1)).sort()).toEqual([...taken].sort());
    expect((await driver.counts('wide')).processing).toBe(6);
  });

  it('returns every stored field of a job that has more than the ones each job is pushed with', async () => {
    const driver = makeDriver(prefix);
    const job = newJob({ queue: 'extra' });
    await driver.push({ jobs: [job] }, T0);
    await driver.redis.hset(driver.keys.job('extra', job.id), 'progress', '{"done":3}');

    const { jobs } = await reserveAll(driver, T0, ['extra']);

    expect(jobs[0]).toMatchObject({ id: job.id, payload: job.payload, progress: '{"done":3}', attempts: 1 });
  });

  it('hands out a job whose hash is corrupt instead of failing the whole reservation', async () => {
    const driver = makeDriver(prefix);
    const broken = newJob({ queue: 'corrupt' });
    const fine = newJob({ queue: 'corrupt' });
    await driver.push({ jobs: [broken, fine] }, T0);
    const key = driver.keys.job('corrupt', broken.id);
    await driver.redis.hset(key, 'errors', '[{not json', 'attempts', 'x');
    await driver.redis.hdel(key, 'payload', 'meta');

    const { jobs } = await reserveAll(driver, T0, ['corrupt']);

    expect(jobs.map((job) => job.id)).toEqual([broken.id, fine.id]);
    expect(jobs[0]).toMatchObject({ id: broken.id, payload: '', name: '', state: 'processing' });
    expect(jobs[0]!.errors[0]).toMatchObject({ name: 'CorruptRecord' });
    expect(jobs[1]).toMatchObject({ payload: fine.payload, attempts: 1 });
  });

  it('skips a ready entry whose job hash vanished', async () => {
    const driver = makeDriver(prefix);
    const gone = newJob({ queue: 'vanished' });
    const kept = newJob({ queue: 'vanished' });
    await driver.push({ jobs: [gone, kept] }, T0);
    await driver.redis.del(driver.keys.job('vanished', gone.id));

    const { jobs } = await reserveAll(driver, T0, ['vanished']);

    expect(jobs.map((job) => job.id)).toEqual([kept.id]);
  });

  it('fences concurrent settles: of many settles with the same and stale tokens exactly one wins', async () => {
    const driver = makeDriver(prefix);
    const job = newJob({ queue: 'fenced' });
    await driver.push({ jobs: [job] }, T0);
    const { jobs } = await reserveAll(driver, T0, ['fenced']);
    const token = jobs[0]!.token;

    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        driver.settle(
          [
            {
              jobId: job.id,
              token: i % 2 ? token : 'stale',
              outcome: { type: 'completed', result: `"${i}"` },
            },
          ],
          T0 + 1,
        ),
      ),
    );

    expect(attempts.flat().filter((result) => result.ok)).toHaveLength(1);
  });
});
