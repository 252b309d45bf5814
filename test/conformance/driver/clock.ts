import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { LEASE_MS, MINUTE, newJob, newToken, reserveIds, reserveOne, SECOND, uniqueJob } from './fixtures.js';

/**
 * Core supplies every `now`; a driver never reads a clock for semantics. So the same rules hold at any `now`,
 * however far it is from the machine's (or the server's) own time: a fake clock drives every driver.
 */
const ERAS = [
  { era: 'long before real time (1990)', start: Date.UTC(1990, 0, 1) },
  { era: 'long after real time (2100)', start: Date.UTC(2100, 0, 1) },
];

export function clockSuite(factory: DriverFactory): void {
  describe.each(ERAS)('time comes from core: $era', ({ start }) => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('makes a delayed job due at now + delayMs', async () => {
      const job = newJob({ delayMs: 5 * SECOND });
      await driver.push({ jobs: [job] }, start);

      expect(await reserveIds(driver, start + 5 * SECOND - 1)).toEqual([]);
      expect(await reserveIds(driver, start + 5 * SECOND)).toEqual([job.id]);
    });

    it('expires a lease at now + leaseMs', async () => {
      await driver.push({ jobs: [newJob()] }, start);
      await reserveOne(driver, start);

      expect(
        await driver.recoverStalled(['default'], start + LEASE_MS - 1, LEASE_MS, newToken(), 10),
      ).toEqual([]);
      expect(
        await driver.recoverStalled(['default'], start + LEASE_MS + 1, LEASE_MS, newToken(), 10),
      ).toHaveLength(1);
    });

    it('holds a uniqueness lock until now + ttlMs', async () => {
      const holder = uniqueJob('report', 'completed', MINUTE);
      await driver.push({ jobs: [holder] }, start);

      const early = await driver.push(
        { jobs: [uniqueJob('report', 'completed', MINUTE)] },
        start + MINUTE - 1,
      );
      const late = await driver.push(
        { jobs: [uniqueJob('report', 'completed', MINUTE)] },
        start + MINUTE + 1,
      );

      expect(early.jobs[0]).toEqual({ outcome: 'duplicate', id: holder.id });
      expect(late.jobs[0]?.outcome).toBe('added');
    });

    it('holds a lock until now + ttlMs', async () => {
      await driver.acquireLock('report', 'a', MINUTE, start);

      expect(await driver.acquireLock('report', 'b', MINUTE, start + MINUTE - 1)).toBe(false);
      expect(await driver.acquireLock('report', 'b', MINUTE, start + MINUTE + 1)).toBe(true);
    });

    it('keeps a worker record until its expiresAt', async () => {
      const record = { id: 'w-1', info: '{}', heartbeatAt: start, expiresAt: start + 30 * SECOND };
      await driver.saveWorker(record);

      expect(await driver.listWorkers(start + 30 * SECOND - 1)).toEqual([record]);
      expect(await driver.listWorkers(start + 30 * SECOND + 1)).toEqual([]);
    });

    it('counts rate-limit hits in the window containing now', async () => {
      // `start` is a whole minute: [start, start + 1 min) is one window.
      await driver.hitRateLimit('mail', 2, MINUTE, start);
      await driver.hitRateLimit('mail', 2, MINUTE, start + 10 * SECOND);

      expect(await driver.hitRateLimit('mail', 2, MINUTE, start + 59 * SECOND)).toEqual({
        allowed: false,
        count: 2,
        retryAt: start + MINUTE,
      });
      expect(await driver.hitRateLimit('mail', 2, MINUTE, start + MINUTE)).toMatchObject({
        allowed: true,
        count: 1,
      });
    });
  });

  describe('close', () => {
    it('is idempotent: closing a closed driver resolves', async () => {
      const driver = await factory.create();
      await factory.destroy(driver);

      await expect(driver.close()).resolves.toBeUndefined();
      await expect(driver.close()).resolves.toBeUndefined();
    });
  });
}
