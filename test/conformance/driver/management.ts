import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { failNext, newJob, reserveIds, reserveOne, runNext, SECOND, statesOf, T0 } from './fixtures.js';

export function managementSuite(factory: DriverFactory): void {
  describe('retryFailed', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    /** Fails one job of `queue` finally after `maxAttempts` 1; returns its id. */
    async function failedJob(queue = 'default'): Promise<string> {
      const job = newJob({ queue, maxAttempts: 1 });
      await driver.push({ jobs: [job] }, T0);
      await failNext(driver, T0, queue);
      return job.id;
    }

    it('moves the given failed jobs back to pending with attempts reset, ready to run now', async () => {
      const id = await failedJob();

      expect(await driver.retryFailed({ ids: [id] }, T0 + SECOND)).toEqual([id]);

      expect(await driver.get(id)).toMatchObject({ state: 'pending', attempts: 0 });
      expect(await reserveOne(driver, T0 + SECOND)).toMatchObject({ id, attempts: 1 });
    });

    it('ignores ids that are not failed', async () => {
      const failed = await failedJob();
      const completed = newJob();
      await driver.push({ jobs: [completed] }, T0);
      await runNext(driver, T0);
      const pending = newJob();
      await driver.push({ jobs: [pending] }, T0);

      const moved = await driver.retryFailed(
        { ids: [completed.id, failed, pending.id, 'no-such-job'] },
        T0 + 1,
      );

      expect(moved).toEqual([failed]);
      expect(await statesOf(driver, [completed.id, pending.id])).toEqual(['completed', 'pending']);
    });

    it('moves every failed job of one queue', async () => {
      const a1 = await failedJob('a');
      const a2 = await failedJob('a');
      const b = await failedJob('b');

      expect([...(await driver.retryFailed({ queue: 'a' }, T0 + 1))].sort()).toEqual([a1, a2].sort());
      expect(await statesOf(driver, [a1, a2, b])).toEqual(['pending', 'pending', 'failed']);
    });

    it('moves every failed job of every queue when no selector field is given', async () => {
      const ids = [await failedJob('a'), await failedJob('b')];

      expect([...(await driver.retryFailed({}, T0 + 1))].sort()).toEqual([...ids].sort());
      expect(await driver.counts()).toMatchObject({ failed: 0, pending: 2 });
      expect(await driver.retryFailed({}, T0 + 2)).toEqual([]);
    });
  });

  describe('remove', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('deletes waiting and finished jobs and returns how many', async () => {
      const pending = newJob();
      const delayed = newJob({ delayMs: SECOND });
      const done = newJob();
      await driver.push({ jobs: [done] }, T0);
      await runNext(driver, T0);
      await driver.push({ jobs: [pending, delayed] }, T0);

      expect(await driver.remove([pending.id, delayed.id, done.id, 'no-such-job'])).toBe(3);

      expect(await statesOf(driver, [pending.id, delayed.id, done.id])).toEqual([null, null, null]);
      expect(await reserveIds(driver, T0 + 10 * SECOND)).toEqual([]);
      expect(await driver.counts()).toMatchObject({ pending: 0, delayed: 0, completed: 0 });
      expect(await driver.list({})).toEqual([]);
    });

    it('does not delete a processing job', async () => {
      const running = newJob();
      await driver.push({ jobs: [running] }, T0);
      const reserved = await reserveOne(driver, T0);

      expect(await driver.remove([running.id])).toBe(0);

      expect(await driver.get(running.id)).toMatchObject({ state: 'processing' });
      expect(
        await driver.extendLeases([{ jobId: running.id, token: reserved.token }], 1_000, T0 + 1),
      ).toEqual([]);
    });
  });
}
