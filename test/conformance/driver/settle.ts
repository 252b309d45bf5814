import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  cancelled,
  completed,
  failedWith,
  jobError,
  newJob,
  releasedUntil,
  reserveIds,
  reserveOne,
  retryAt,
  SECOND,
  settle,
  T0,
} from './fixtures.js';

export function settleSuite(factory: DriverFactory): void {
  describe('settle outcomes', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('completed: stores the result, the finish time and ends the lease', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const reserved = await reserveOne(driver, T0);

      const result = await settle(driver, reserved, completed('{"messageId":"m-1"}'), T0 + SECOND);

      expect(result).toEqual({ ok: true, state: 'completed', batch: null });
      expect(await driver.get(job.id)).toMatchObject({
        state: 'completed',
        result: '{"messageId":"m-1"}',
        attempts: 1,
        startedAt: T0,
        finishedAt: T0 + SECOND,
        errors: [],
        workerId: null,
        leaseExpiresAt: null,
      });
    });

    it('completed with a null result stores null', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      await settle(driver, await reserveOne(driver, T0), completed(null), T0 + 1);
      expect((await driver.get(job.id))?.result).toBeNull();
    });

    it('retry: waits in retrying until availableAt, keeps the attempt and records the error', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const reserved = await reserveOne(driver, T0);
      const error = jobError(1, T0 + SECOND, 'SMTP down');

      const result = await settle(driver, reserved, retryAt(T0 + 5 * SECOND, error), T0 + SECOND);

      expect(result).toMatchObject({ ok: true, state: 'retrying' });
      expect(await driver.get(job.id)).toMatchObject({
        state: 'retrying',
        availableAt: T0 + 5 * SECOND,
        attempts: 1,
        finishedAt: null,
        errors: [error],
        leaseExpiresAt: null,
      });
    });

    it('retry: is pending at once when availableAt is already due', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const result = await settle(
        driver,
        await reserveOne(driver, T0),
        retryAt(T0 + 1, jobError(1, T0 + 1)),
        T0 + 1,
      );

      expect(result).toMatchObject({ ok: true, state: 'pending' });
      expect(await driver.get(job.id)).toMatchObject({ state: 'pending', availableAt: T0 + 1 });
    });

    it('failed: is the dead-letter state and keeps the whole error history in order', async () => {
      const job = newJob({ maxAttempts: 3 });
      await driver.push({ jobs: [job] }, T0);
      const errors = [
        jobError(1, T0 + 1, 'first'),
        { name: 'TimeoutError', message: 'timed out after 10000 ms', attempt: 2, at: T0 + 3 },
        { ...jobError(3, T0 + 5, 'last'), stack: 'Error: last\n    at é (ünïcode.ts:1:1)\n\t"quoted"' },
      ];

      await settle(driver, await reserveOne(driver, T0), retryAt(T0 + 2, errors[0]!), T0 + 1);
      await settle(driver, await reserveOne(driver, T0 + 2), retryAt(T0 + 4, errors[1]!), T0 + 3);
      const result = await settle(driver, await reserveOne(driver, T0 + 4), failedWith(errors[2]!), T0 + 5);

      expect(result).toEqual({ ok: true, state: 'failed', batch: null });
      expect(await driver.get(job.id)).toMatchObject({
        state: 'failed',
        attempts: 3,
        finishedAt: T0 + 5,
        errors,
      });
      expect(await reserveIds(driver, T0 + 60 * SECOND)).toEqual([]);
    });

    it('released: gives the attempt back, records no error and waits in delayed until availableAt', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);

      const result = await settle(
        driver,
        await reserveOne(driver, T0),
        releasedUntil(T0 + 10 * SECOND),
        T0 + 1,
      );

      expect(result).toMatchObject({ ok: true, state: 'delayed' });
      expect(await driver.get(job.id)).toMatchObject({
        state: 'delayed',
        attempts: 0,
        availableAt: T0 + 10 * SECOND,
        errors: [],
        finishedAt: null,
        leaseExpiresAt: null,
      });
    });

    it('released: is pending at once when availableAt is already due', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);

      const result = await settle(driver, await reserveOne(driver, T0), releasedUntil(T0 + 1), T0 + 1);

      expect(result).toMatchObject({ ok: true, state: 'pending' });
      expect(await driver.get(job.id)).toMatchObject({ state: 'pending', attempts: 0 });
      expect(await reserveIds(driver, T0 + 1)).toEqual([job.id]);
    });

    it('cancelled: finishes the job as cancelled', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);

      const result = await settle(driver, await reserveOne(driver, T0), cancelled(), T0 + SECOND);

      expect(result).toEqual({ ok: true, state: 'cancelled', batch: null });
      expect(await driver.get(job.id)).toMatchObject({
        state: 'cancelled',
        finishedAt: T0 + SECOND,
        leaseExpiresAt: null,
      });
    });
  });
}
