import type { CleanRequest, Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { failNext, newJob, runNext, SECOND, statesOf, T0 } from './fixtures.js';

/** `clean` is what the retention sweeper calls: by age, by count, bounded per call. */
export function retentionSuite(factory: DriverFactory): void {
  describe('clean (retention)', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    /** Completes `count` jobs of `queue`, the i-th finishing at T0 + (i + 1) s; returns ids oldest first. */
    async function completeJobs(count: number, queue = 'default'): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const job = newJob({ queue });
        await driver.push({ jobs: [job] }, T0);
        await runNext(driver, T0 + (i + 1) * SECOND, undefined, queue);
        ids.push(job.id);
      }
      return ids;
    }

    const request = (fields: Partial<CleanRequest>): CleanRequest => ({
      queue: 'default',
      state: 'completed',
      finishedBefore: 0,
      keep: 1_000_000,
      limit: 1_000,
      ...fields,
    });

    it('removes jobs finished before `finishedBefore`', async () => {
      const ids = await completeJobs(5);

      expect(await driver.clean(request({ finishedBefore: T0 + 2.5 * SECOND }))).toBe(2);

      expect(await statesOf(driver, ids)).toEqual([null, null, 'completed', 'completed', 'completed']);
      expect((await driver.counts('default')).completed).toBe(3);
    });

    it('removes the oldest beyond the `keep` newest', async () => {
      const ids = await completeJobs(5);

      expect(await driver.clean(request({ keep: 2 }))).toBe(3);

      expect(await statesOf(driver, ids)).toEqual([null, null, null, 'completed', 'completed']);
    });

    it('applies both bounds: a job goes when it is too old or beyond `keep`', async () => {
      const ids = await completeJobs(5);

      expect(await driver.clean(request({ finishedBefore: T0 + 1.5 * SECOND, keep: 3 }))).toBe(2);

      expect(await statesOf(driver, ids)).toEqual([null, null, 'completed', 'completed', 'completed']);
    });

    it('removes at most `limit` per call, oldest first', async () => {
      const ids = await completeJobs(5);
      const everything = request({ finishedBefore: T0 + 60 * SECOND, limit: 2 });

      expect(await driver.clean(everything)).toBe(2);
      expect(await statesOf(driver, ids)).toEqual([null, null, 'completed', 'completed', 'completed']);
      expect(await driver.clean(everything)).toBe(2);
      expect(await driver.clean(everything)).toBe(1);
      expect(await driver.clean(everything)).toBe(0);
    });

    it('touches only the queue and state asked for', async () => {
      const done = await completeJobs(2, 'a');
      const otherQueue = await completeJobs(2, 'b');
      const failed = newJob({ queue: 'a' });
      await driver.push({ jobs: [failed] }, T0);
      await failNext(driver, T0 + SECOND, 'a');
      const pending = newJob({ queue: 'a' });
      await driver.push({ jobs: [pending] }, T0);

      expect(await driver.clean(request({ queue: 'a', keep: 0 }))).toBe(2);

      expect(await statesOf(driver, done)).toEqual([null, null]);
      expect(await statesOf(driver, otherQueue)).toEqual(['completed', 'completed']);
      expect(await statesOf(driver, [failed.id, pending.id])).toEqual(['failed', 'pending']);
    });

    it('cleans failed and cancelled jobs by their finish time too', async () => {
      const failed = newJob();
      const cancelled = newJob();
      await driver.push({ jobs: [failed, cancelled] }, T0);
      await failNext(driver, T0 + SECOND);
      await driver.cancel(cancelled.id, T0 + SECOND);

      expect(await driver.clean(request({ state: 'failed', finishedBefore: T0 + 2 * SECOND }))).toBe(1);
      expect(await driver.clean(request({ state: 'cancelled', finishedBefore: T0 + SECOND }))).toBe(0);
      expect(await driver.clean(request({ state: 'cancelled', finishedBefore: T0 + 2 * SECOND }))).toBe(1);
      expect(await statesOf(driver, [failed.id, cancelled.id])).toEqual([null, null]);
    });
  });
}
