import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { MINUTE, SECOND, T0 } from './fixtures.js';

/** The shared primitives behind `withoutOverlapping` and `rateLimited`. */
export function locksSuite(factory: DriverFactory): void {
  describe('locks', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('gives a free key to the first owner and refuses others while held', async () => {
      expect(await driver.acquireLock('report', 'job-a', MINUTE, T0)).toBe(true);
      expect(await driver.acquireLock('report', 'job-b', MINUTE, T0 + 1)).toBe(false);
      expect(await driver.acquireLock('other-key', 'job-b', MINUTE, T0 + 1)).toBe(true);
    });

    it('is released only by its owner', async () => {
      await driver.acquireLock('report', 'job-a', MINUTE, T0);

      expect(await driver.releaseLock('report', 'job-b')).toBe(false);
      expect(await driver.acquireLock('report', 'job-b', MINUTE, T0 + 1)).toBe(false);
      expect(await driver.releaseLock('report', 'job-a')).toBe(true);
      expect(await driver.acquireLock('report', 'job-b', MINUTE, T0 + 2)).toBe(true);
    });

    it('reports false when releasing a key nobody holds', async () => {
      expect(await driver.releaseLock('never-taken', 'job-a')).toBe(false);
    });

    it('lets another owner take the key once the TTL ran out, and not before', async () => {
      await driver.acquireLock('report', 'job-a', MINUTE, T0);

      expect(await driver.acquireLock('report', 'job-b', MINUTE, T0 + MINUTE - 1)).toBe(false);
      expect(await driver.acquireLock('report', 'job-b', MINUTE, T0 + MINUTE + 1)).toBe(true);
      expect(await driver.releaseLock('report', 'job-a')).toBe(false);
      expect(await driver.acquireLock('report', 'job-c', MINUTE, T0 + MINUTE + 2)).toBe(false);
    });

    it('never expires a lock taken with a null TTL', async () => {
      await driver.acquireLock('report', 'job-a', null, T0);
      expect(await driver.acquireLock('report', 'job-b', MINUTE, T0 + 365 * 24 * 60 * MINUTE)).toBe(false);
    });
  });

  describe('hitRateLimit (fixed window)', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('allows `limit` hits in a window, counting each', async () => {
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await driver.hitRateLimit('mail', 3, MINUTE, T0 + i * SECOND));

      expect(results).toEqual([
        { allowed: true, count: 1, retryAt: null },
        { allowed: true, count: 2, retryAt: null },
        { allowed: true, count: 3, retryAt: null },
      ]);
    });

    it('refuses once the limit is reached, without counting, and says when the window frees a slot', async () => {
      for (let i = 0; i < 3; i++) await driver.hitRateLimit('mail', 3, MINUTE, T0 + i);

      expect(await driver.hitRateLimit('mail', 3, MINUTE, T0 + 10 * SECOND)).toEqual({
        allowed: false,
        count: 3,
        retryAt: T0 + MINUTE,
      });
      expect(await driver.hitRateLimit('mail', 3, MINUTE, T0 + MINUTE - 1)).toEqual({
        allowed: false,
        count: 3,
        retryAt: T0 + MINUTE,
      });
    });

    it('uses the fixed window containing now: a new window starts from zero', async () => {
      // T0 is a whole minute, so [T0 + 30 s, T0 + 60 s) and [T0 + 60 s, ...) are different windows.
      await driver.hitRateLimit('mail', 1, MINUTE, T0 + 30 * SECOND);
      expect((await driver.hitRateLimit('mail', 1, MINUTE, T0 + 59 * SECOND)).allowed).toBe(false);

      expect(await driver.hitRateLimit('mail', 1, MINUTE, T0 + MINUTE)).toEqual({
        allowed: true,
        count: 1,
        retryAt: null,
      });
    });

    it('keeps keys apart', async () => {
      await driver.hitRateLimit('mail', 1, MINUTE, T0);
      expect(await driver.hitRateLimit('sms', 1, MINUTE, T0)).toMatchObject({ allowed: true, count: 1 });
      expect(await driver.hitRateLimit('mail', 1, MINUTE, T0)).toMatchObject({ allowed: false, count: 1 });
    });
  });
}
