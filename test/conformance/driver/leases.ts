import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  completed,
  jobError,
  LEASE_MS,
  newJob,
  newToken,
  releasedUntil,
  reserve,
  reserveOne,
  retryAt,
  SECOND,
  settle,
  T0,
} from './fixtures.js';

export function leasesSuite(factory: DriverFactory): void {
  describe('reserve: leases and attempts', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('marks a reserved job processing, counts the attempt and sets its lease', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const token = newToken();

      const { jobs } = await reserve(driver, T0 + SECOND, { token, workerId: 'w-7', leaseMs: 15 * SECOND });

      const expected = {
        id: job.id,
        state: 'processing',
        attempts: 1,
        startedAt: T0 + SECOND,
        workerId: 'w-7',
        leaseExpiresAt: T0 + 16 * SECOND,
        finishedAt: null,
      };
      expect(jobs).toEqual([expect.objectContaining({ ...expected, token })]);
      expect(await driver.get(job.id)).toMatchObject(expected);
    });

    it('gives every job of one reservation the request token', async () => {
      await driver.push({ jobs: [newJob(), newJob(), newJob()] }, T0);
      const token = newToken();
      const { jobs } = await reserve(driver, T0, { token });
      expect(jobs.map((job) => job.token)).toEqual([token, token, token]);
    });

    it('counts one attempt per reservation and gives a released attempt back', async () => {
      const job = newJob({ maxAttempts: 5 });
      await driver.push({ jobs: [job] }, T0);

      const first = await reserveOne(driver, T0);
      await settle(driver, first, retryAt(T0 + 1, jobError(1, T0)), T0);
      const second = await reserveOne(driver, T0 + 1);
      await settle(driver, second, releasedUntil(T0 + 2), T0 + 1);
      expect((await driver.get(job.id))?.attempts).toBe(1);
      const third = await reserveOne(driver, T0 + 2);

      expect([first.attempts, second.attempts, third.attempts]).toEqual([1, 2, 2]);
    });
  });

  describe('extendLeases', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('renews held leases to now + leaseMs and reports none lost', async () => {
      await driver.push({ jobs: [newJob(), newJob()] }, T0);
      const { jobs } = await reserve(driver, T0);
      const leases = jobs.map((job) => ({ jobId: job.id, token: job.token }));

      const lost = await driver.extendLeases(leases, LEASE_MS, T0 + 20 * SECOND);

      expect(lost).toEqual([]);
      for (const job of jobs) {
        expect((await driver.get(job.id))?.leaseExpiresAt).toBe(T0 + 20 * SECOND + LEASE_MS);
      }
    });

    it('returns the ids whose lease is lost (stale token, finished, gone) and still renews the rest', async () => {
      await driver.push({ jobs: [newJob(), newJob(), newJob()] }, T0);
      const { jobs } = await reserve(driver, T0);
      const [held, stolen, done] = jobs as [(typeof jobs)[0], (typeof jobs)[0], (typeof jobs)[0]];
      await settle(driver, done, completed(), T0 + 1);

      const lost = await driver.extendLeases(
        [
          { jobId: held.id, token: held.token },
          { jobId: stolen.id, token: 'not-the-token' },
          { jobId: done.id, token: done.token },
          { jobId: 'no-such-job', token: held.token },
        ],
        LEASE_MS,
        T0 + 10 * SECOND,
      );

      expect([...lost].sort()).toEqual([stolen.id, done.id, 'no-such-job'].sort());
      expect((await driver.get(held.id))?.leaseExpiresAt).toBe(T0 + 10 * SECOND + LEASE_MS);
      expect((await driver.get(stolen.id))?.leaseExpiresAt).toBe(T0 + LEASE_MS);
    });

    it('keeps a renewed job from being recovered as stalled', async () => {
      await driver.push({ jobs: [newJob()] }, T0);
      const job = await reserveOne(driver, T0);
      await driver.extendLeases([{ jobId: job.id, token: job.token }], LEASE_MS, T0 + 20 * SECOND);

      expect(await driver.recoverStalled(['default'], T0 + 40 * SECOND, LEASE_MS, newToken(), 10)).toEqual(
        [],
      );
    });
  });

  describe('recoverStalled', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('takes nothing while the lease is still valid', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const reserved = await reserveOne(driver, T0);

      expect(await driver.recoverStalled(['default'], T0 + LEASE_MS - 1, LEASE_MS, newToken(), 10)).toEqual(
        [],
      );
      expect(await driver.get(job.id)).toMatchObject({ state: 'processing', leaseExpiresAt: T0 + LEASE_MS });
      expect(await settle(driver, reserved, completed(), T0 + LEASE_MS - 1)).toMatchObject({ ok: true });
    });

    it('takes a job whose lease expired and hands it over under a fresh lease, without counting an attempt', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      await reserveOne(driver, T0);
      const token = newToken();
      const now = T0 + LEASE_MS + 1;

      const recovered = await driver.recoverStalled(['default'], now, 10 * SECOND, token, 10);

      expect(recovered).toEqual([
        expect.objectContaining({
          id: job.id,
          token,
          state: 'processing',
          attempts: 1,
          leaseExpiresAt: now + 10 * SECOND,
        }),
      ]);
      expect(await driver.get(job.id)).toMatchObject({
        state: 'processing',
        leaseExpiresAt: now + 10 * SECOND,
      });
    });

    it('lets the new holder settle the recovered job as a failed attempt', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      await reserveOne(driver, T0);
      const now = T0 + LEASE_MS + 1;
      const [recovered] = await driver.recoverStalled(['default'], now, LEASE_MS, newToken(), 10);

      const result = await settle(
        driver,
        recovered!,
        retryAt(now + SECOND, jobError(1, now, 'stalled')),
        now,
      );

      expect(result).toMatchObject({ ok: true, state: 'retrying' });
      expect(await driver.get(job.id)).toMatchObject({ attempts: 1, errors: [jobError(1, now, 'stalled')] });
    });

    it('takes at most `max` jobs, only from the queues asked for, and each only once', async () => {
      await driver.push({ jobs: [newJob(), newJob(), newJob(), newJob({ queue: 'other' })] }, T0);
      await reserve(driver, T0, { queues: ['default', 'other'] });
      const now = T0 + LEASE_MS + 1;

      const first = await driver.recoverStalled(['default'], now, LEASE_MS, newToken(), 2);
      const second = await driver.recoverStalled(['default'], now, LEASE_MS, newToken(), 10);
      const third = await driver.recoverStalled(['default'], now, LEASE_MS, newToken(), 10);

      expect(first).toHaveLength(2);
      expect(second).toHaveLength(1);
      expect(third).toEqual([]);
      expect(new Set([...first, ...second].map((job) => job.queue))).toEqual(new Set(['default']));
    });
  });
}
