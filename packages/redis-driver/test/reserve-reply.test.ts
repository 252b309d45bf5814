import { randomUUID } from 'node:crypto';
import type { ReservedJob } from '@conveyor/core/driver';
import { afterAll, describe, expect, it } from 'vitest';
import type { RedisDriver } from '../src/index.js';
import { cleanup, makeDriver, newJob, newPrefix, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

/** Reserves from `queues` and checks each job against its stored record (what a job hash reads as). */
async function reserveAndCompare(driver: RedisDriver, queues: string[], now: number): Promise<ReservedJob[]> {
  const token = randomUUID();
  const { jobs } = await driver.reserve({ queues, max: 100, leaseMs: 30_000, workerId: 'w-1', token, now });
  for (const job of jobs) {
    const stored = await driver.get(job.id);
    expect(job).toEqual({ ...stored, token });
  }
  return jobs;
}

describe('reserve reply', () => {
  it('carries every field of the stored record, for jobs of every kind', async () => {
    const driver = makeDriver(prefix);
    const plain = newJob({ queue: 'kinds', priority: 4, maxAttempts: 5 });
    const unique = newJob({
      queue: 'kinds',
      unique: { key: `u-${randomUUID()}`, ttlMs: 60_000, until: 'started' },
    });
    const held = newJob({
      queue: 'kinds',
      unique: { key: `u-${randomUUID()}`, ttlMs: null, until: 'completed' },
    });
    const delayed = newJob({ queue: 'kinds', delayMs: 1_000 });
    const link = newJob({ queue: 'kinds' });
    const member = newJob({ queue: 'kinds', batchId: 'b-1' });
    await driver.push(
      {
        jobs: [plain, unique, held, delayed, member],
        chains: [
          { id: 'c-1', links: [link, newJob({ queue: 'kinds' })], catch: [], options: '{}', batchId: null },
        ],
        // biome-ignore lint/suspicious/noThenProperty: `then` is the batch threshold named by the driver contract
        batch: { id: 'b-1', allowFailures: true, then: [], catch: [], finally: [], options: '{}' },
      },
      T0,
    );

    const jobs = await reserveAndCompare(driver, ['kinds'], T0 + 2_000);

    expect(jobs.map((job) => job.id).sort()).toEqual(
      [plain, unique, held, delayed, link, member].map((job) => job.id).sort(),
    );
    const byId = new Map(jobs.map((job) => [job.id, job]));
    expect(byId.get(plain.id)).toMatchObject({
      priority: 4,
      maxAttempts: 5,
      attempts: 1,
      state: 'processing',
    });
    expect(byId.get(link.id)).toMatchObject({ chainId: 'c-1', chainIndex: 0 });
    expect(byId.get(member.id)).toMatchObject({ batchId: 'b-1' });
    expect(byId.get(held.id)!.uniqueKey).toBe(held.unique!.key);
    expect(byId.get(delayed.id)).toMatchObject({ availableAt: T0 + 1_000, startedAt: T0 + 2_000 });
  });

  it('carries the error history and attempts of a retried job, and clears an old cancel request', async () => {
    const driver = makeDriver(prefix);
    const job = newJob({ queue: 'again' });
    await driver.push({ jobs: [job] }, T0);
    const [first] = await reserveAndCompare(driver, ['again'], T0);
    await driver.setProgress({ jobId: job.id, token: first!.token }, '{"p":50}', T0);
    await driver.cancel(job.id, T0 + 1);
    const error = { name: 'Error', message: 'boom', attempt: 1, at: T0 + 2 };
    await driver.settle(
      [{ jobId: job.id, token: first!.token, outcome: { type: 'retry', availableAt: T0 + 10, error } }],
      T0 + 2,
    );

    const [second] = await reserveAndCompare(driver, ['again'], T0 + 20);

    expect(second).toMatchObject({ attempts: 2, cancelRequested: false, progress: '{"p":50}' });
    expect(second!.errors).toEqual([error]);
  });
});
