import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  batchOf,
  batchWithCallbacks,
  completed,
  members,
  newBatch,
  newJob,
  reserve,
  reserveOne,
  T0,
  uniqueJob,
} from './fixtures.js';

/** Many callers at once: every transition is atomic, so none of them can interleave. */
export function concurrencySuite(factory: DriverFactory): void {
  describe('concurrency', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('lets exactly one of 100 concurrent pushes of one unique key in', async () => {
      const jobs = Array.from({ length: 100 }, () => uniqueJob('report:daily', 'completed'));

      const results = await Promise.all(jobs.map((job) => driver.push({ jobs: [job] }, T0)));

      const outcomes = results.map((result) => result.jobs[0]!);
      const added = outcomes.filter((outcome) => outcome.outcome === 'added');
      expect(added).toHaveLength(1);
      expect(new Set(outcomes.map((outcome) => outcome.id))).toEqual(new Set([added[0]!.id]));
      expect(await driver.counts()).toMatchObject({ pending: 1 });
    });

    it('never hands one job to two of 20 concurrent reservers', async () => {
      const jobs = Array.from({ length: 50 }, () => newJob());
      await driver.push({ jobs }, T0);

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => reserve(driver, T0, { max: 3, workerId: `worker-${i}` })),
      );

      const ids = results.flatMap((result) => result.jobs.map((job) => job.id));
      expect(ids).toHaveLength(50);
      expect(new Set(ids).size).toBe(50);
      expect(await driver.counts()).toMatchObject({ pending: 0, processing: 50 });
    });

    it('accepts only one of two concurrent settles with the same lease', async () => {
      const batch = newBatch();
      await driver.push({ jobs: members(batch.id, 2), batch }, T0);
      const job = await reserveOne(driver, T0);

      const results = await Promise.all([
        driver.settle([{ jobId: job.id, token: job.token, outcome: completed() }], T0 + 1),
        driver.settle([{ jobId: job.id, token: job.token, outcome: completed() }], T0 + 1),
      ]);

      const accepted = results.flat().filter((result) => result.ok);
      expect(accepted).toHaveLength(1);
      expect(batchOf(accepted[0]!).batch.processed).toBe(1);
      expect(await driver.getBatch(batch.id)).toMatchObject({ processed: 1, thenFired: false });
    });

    it('counts every one of 50 concurrent completions in a batch and crosses then exactly once', async () => {
      const batch = batchWithCallbacks();
      await driver.push({ jobs: members(batch.id, 50), batch }, T0);
      const { jobs } = await reserve(driver, T0, { max: 50 });

      const results = await Promise.all(
        jobs.map((job) => driver.settle([{ jobId: job.id, token: job.token, outcome: completed() }], T0 + 1)),
      );

      const crossings = results.flat().filter((result) => result.ok && result.batch?.crossed.then);
      expect(crossings).toHaveLength(1);
      expect(await driver.getBatch(batch.id)).toMatchObject({ processed: 50, thenFired: true });
      expect(await driver.get(batch.then[0]!.id)).toMatchObject({ state: 'pending' });
    });
  });
}
