import { randomUUID } from 'node:crypto';
import type { NewBatch, NewJob } from '@conveyor/core/driver';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Keys } from '../src/keys.js';
import { cleanup, makeDriver, newJob, newPrefix, REDIS_URL, reserveAll, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

const batchOf = (): NewBatch => ({
  id: randomUUID(),
  allowFailures: false,
  // biome-ignore lint/suspicious/noThenProperty: the batch threshold named by the driver contract
  then: [],
  catch: [],
  finally: [],
  options: '{}',
});

/**
 * push.lua takes jobs as runs of one template (ids concatenated when they share a length and are ASCII, else
 * one argument each; jobs with a unique key one by one): every mix must store the same records, in order.
 */
describe('push: runs of jobs', () => {
  it('stores every job of mixed runs (templates, id lengths, non-ASCII ids, unique keys, newlines in payloads, delays) with its fields', async () => {
    const driver = makeDriver(prefix);
    const batch = batchOf();
    const q = `runs-${randomUUID()}`;
    const jobs: NewJob[] = [
      newJob({ queue: q, id: 'a-1', payload: '"first"', batchId: batch.id }),
      newJob({ queue: q, id: 'a-22', payload: '"second"', batchId: batch.id }),
      newJob({ queue: q, id: 'a-3', payload: '"third"', batchId: batch.id }),
      newJob({ queue: q, id: 'é-4', payload: '"fourth: non-ASCII id"', batchId: batch.id }),
      newJob({ queue: q, id: 'ü-5', payload: '"fifth"', batchId: batch.id }),
      newJob({ queue: q, name: 'Other', priority: 4, batchId: batch.id }),
      newJob({ queue: q, name: 'Other', priority: 4, payload: '', batchId: batch.id }),
      newJob({ queue: q, unique: { key: `u-${q}`, ttlMs: null, until: 'completed' }, batchId: batch.id }),
      newJob({ queue: q, unique: { key: `u-${q}`, ttlMs: null, until: 'completed' }, batchId: batch.id }),
      newJob({ queue: q, payload: '', batchId: batch.id }),
      newJob({ queue: q, payload: '"a\nraw newline"', batchId: batch.id }),
      newJob({ queue: q, payload: '"after it"', batchId: batch.id }),
      newJob({ queue: q, delayMs: 5_000, batchId: batch.id }),
      newJob({ queue: q, delayMs: 5_000, batchId: batch.id }),
      newJob({ queue: q, batchId: batch.id }),
    ];

    const result = await driver.push({ jobs, batch }, T0);

    const duplicate = jobs[8]!;
    expect(result.jobs).toEqual(
      jobs.map((job) =>
        job === duplicate ? { outcome: 'duplicate', id: jobs[7]!.id } : { outcome: 'added', id: job.id },
      ),
    );
    for (const job of jobs) {
      const stored = await driver.get(job.id);
      if (job === duplicate) {
        expect(stored).toBeNull();
        continue;
      }
      expect(stored).toMatchObject({
        id: job.id,
        name: job.name,
        queue: q,
        payload: job.payload,
        priority: job.priority,
        state: job.delayMs > 0 ? 'delayed' : 'pending',
        availableAt: T0 + job.delayMs,
        batchId: batch.id,
      });
    }
    expect((await driver.getBatch(batch.id))?.total).toBe(jobs.length - 1);
    const listed = await driver.list({ queue: q, limit: 100 });
    expect(listed.map((job) => job.id).sort()).toEqual(
      jobs
        .filter((job) => job !== duplicate)
        .map((job) => job.id)
        .sort(),
    );
    // priority 4 first, then the others in dispatch order; the delayed ones are not due
    const { jobs: reserved } = await reserveAll(driver, T0, [q]);
    const ready = jobs.filter((job) => job !== duplicate && job.delayMs === 0);
    const expected = [
      ...ready.filter((job) => job.priority === 4),
      ...ready.filter((job) => job.priority !== 4),
    ];
    expect(reserved.map((job) => job.id)).toEqual(expected.map((job) => job.id));
  });

  it('keeps names with commas, digits and characters of 2, 3 and 4 UTF-8 bytes whole in every read', async () => {
    const driver = makeDriver(prefix);
    const q = `names-${randomUUID()}`;
    const names = ['Send,Email', '12,3', 'Réçu', '通知', 'Alert🚀'];
    const jobs = names.map((name, i) => newJob({ queue: q, name, options: `{"n":${i},"x":"a,b"}` }));
    // one plain push per name (its own template), and one through enqueue (a unique key)
    await driver.push({ jobs }, T0);
    const unique = newJob({
      queue: q,
      name: 'Ünïque🚀,x',
      unique: { key: `u-${q}`, ttlMs: null, until: 'completed' },
    });
    await driver.push({ jobs: [unique] }, T0);
    const all = [...jobs, unique];

    for (const job of all) {
      expect(await driver.get(job.id)).toMatchObject({ name: job.name, options: job.options, createdAt: T0 });
      const listed = await driver.list({ queue: q, name: job.name });
      expect(listed.map((j) => j.id)).toEqual([job.id]);
    }
    const { jobs: reserved } = await reserveAll(driver, T0, [q]);
    expect(reserved.map((j) => [j.id, j.name, j.options, j.maxAttempts])).toEqual(
      all.map((j) => [j.id, j.name, j.options, j.maxAttempts]),
    );
  });

  it('stores a batch of more jobs than one variadic write holds: one long run, then runs alternating queues', async () => {
    const driver = makeDriver(prefix);
    const batch = batchOf();
    const [q1, q2] = [`big-${randomUUID()}`, `big-${randomUUID()}`];
    const jobs = Array.from({ length: 2_500 }, (_, i) =>
      newJob({ queue: i < 2_000 || i % 2 === 0 ? q1 : q2, payload: `{"n":${i}}`, batchId: batch.id }),
    );

    await driver.push({ jobs, batch }, T0);

    expect((await driver.getBatch(batch.id))?.total).toBe(jobs.length);
    const counts = await driver.counts(q1);
    expect(counts.pending).toBe(2_250);
    const { jobs: reserved } = await reserveAll(driver, T0, [q1], 5_000);
    expect(reserved.map((job) => job.id)).toEqual(
      jobs.filter((job) => job.queue === q1).map((job) => job.id),
    );
    expect((await driver.list({ queue: q2, limit: 1_000 })).length).toBe(250);
    // seq texts across the 999 / 1,000 / 1,999 / 2,000 boundaries: each job's seq field and ready member
    const admin = new Redis(REDIS_URL);
    const keys = new Keys(prefix);
    const q1Jobs = jobs.filter((job) => job.queue === q1);
    const [members, seqs] = await Promise.all([
      admin.zrange(keys.queue(q1, 'jobs'), 0, -1),
      Promise.all(q1Jobs.map((job) => admin.hget(keys.job(q1, job.id), 'seq'))),
    ]);
    await admin.quit();
    expect(seqs).toEqual(q1Jobs.map((_, i) => String(i + 1)));
    expect(members).toEqual(q1Jobs.map((job, i) => `${String(i + 1).padStart(16, '0')}${job.id}`));
  });
});
