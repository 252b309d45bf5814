import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  cancelled,
  completed,
  failNext,
  jobError,
  newJob,
  recordEvents,
  reserve,
  reserveIds,
  reserveOne,
  retryAt,
  SECOND,
  settle,
  T0,
} from './fixtures.js';

export function cancelSuite(factory: DriverFactory): void {
  describe('cancel', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('cancels a pending job at once; it is never reserved', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);

      expect(await driver.cancel(job.id, T0 + SECOND)).toEqual({ state: 'cancelled', batch: null });
      expect(await driver.get(job.id)).toMatchObject({ state: 'cancelled', finishedAt: T0 + SECOND });
      expect(await reserveIds(driver, T0 + SECOND)).toEqual([]);
    });

    it('cancels a delayed job at once; it no longer counts as waiting', async () => {
      const job = newJob({ delayMs: 10 * SECOND });
      await driver.push({ jobs: [job] }, T0);

      expect(await driver.cancel(job.id, T0 + SECOND)).toEqual({ state: 'cancelled', batch: null });
      expect(await reserve(driver, T0 + 20 * SECOND)).toEqual({ jobs: [], nextAvailableAt: null });
      expect(await driver.get(job.id)).toMatchObject({ state: 'cancelled' });
    });

    it('cancels a retrying job at once', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      await settle(driver, await reserveOne(driver, T0), retryAt(T0 + 10 * SECOND, jobError(1, T0)), T0);

      expect(await driver.cancel(job.id, T0 + SECOND)).toEqual({ state: 'cancelled', batch: null });
      expect(await reserveIds(driver, T0 + 20 * SECOND)).toEqual([]);
      expect(await driver.get(job.id)).toMatchObject({ state: 'cancelled', errors: [jobError(1, T0)] });
    });

    it('asks a processing job to cancel: sets cancelRequested and publishes a cancel event', async () => {
      const job = newJob({ queue: 'emails' });
      await driver.push({ jobs: [job] }, T0);
      const reserved = await reserveOne(driver, T0, { queues: ['emails'] });
      const log = await recordEvents(driver);

      const result = await driver.cancel(job.id, T0 + SECOND);

      expect(result).toEqual({ state: 'processing', batch: null });
      expect(await driver.get(job.id)).toMatchObject({ state: 'processing', cancelRequested: true });
      expect(await log.waitFor((event) => event.type === 'cancel')).toEqual({
        type: 'cancel',
        jobId: job.id,
        queue: 'emails',
      });

      expect(await settle(driver, reserved, cancelled(), T0 + 2 * SECOND)).toMatchObject({
        ok: true,
        state: 'cancelled',
      });
      expect(await driver.get(job.id)).toMatchObject({ state: 'cancelled', finishedAt: T0 + 2 * SECOND });
    });

    it('leaves finished jobs unchanged and reports their state', async () => {
      const done = newJob();
      const dead = newJob();
      const gone = newJob();
      await driver.push({ jobs: [done] }, T0);
      await settle(driver, await reserveOne(driver, T0), completed('"r"'), T0 + 1);
      await driver.push({ jobs: [dead] }, T0 + 2);
      await failNext(driver, T0 + 2);
      await driver.push({ jobs: [gone] }, T0 + 3);
      await driver.cancel(gone.id, T0 + 3);
      const before = await Promise.all([done, dead, gone].map((job) => driver.get(job.id)));

      const results = await Promise.all([done, dead, gone].map((job) => driver.cancel(job.id, T0 + 10)));

      expect(results).toEqual([
        { state: 'completed', batch: null },
        { state: 'failed', batch: null },
        { state: 'cancelled', batch: null },
      ]);
      expect(await Promise.all([done, dead, gone].map((job) => driver.get(job.id)))).toEqual(before);
    });

    it('returns null for a job that does not exist', async () => {
      expect(await driver.cancel('no-such-job', T0)).toBeNull();
    });
  });
}
