import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  LONG_WAIT_MS,
  newJob,
  PATIENCE_MS,
  releasedUntil,
  reserveIds,
  reserveOne,
  settle,
  T0,
  within,
} from './fixtures.js';

export function waitForWorkSuite(factory: DriverFactory): void {
  describe('waitForWork', () => {
    let driver: Driver;
    let abort: AbortController;
    beforeEach(async () => {
      driver = await factory.create();
      abort = new AbortController();
    });
    afterEach(async () => {
      abort.abort();
      await factory.destroy(driver);
    });

    it('resolves soon after another call pushes work to a watched queue', async () => {
      const waiting = driver.waitForWork(['other', 'default'], LONG_WAIT_MS, abort.signal);

      await driver.push({ jobs: [newJob()] }, T0);

      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
    });

    it('resolves soon after a release puts a job back', async () => {
      await driver.push({ jobs: [newJob()] }, T0);
      const job = await reserveOne(driver, T0);
      const waiting = driver.waitForWork(['default'], LONG_WAIT_MS, abort.signal);

      await settle(driver, job, releasedUntil(T0), T0);

      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
    });

    it('resolves at once when work is already ready', async () => {
      await driver.push({ jobs: [newJob()] }, T0);

      expect(await within(driver.waitForWork(['default'], LONG_WAIT_MS, abort.signal), PATIENCE_MS)).toBe(
        'resolved',
      );
    });

    it('resolves, without rejecting, when the signal aborts', async () => {
      const waiting = driver.waitForWork(['default'], LONG_WAIT_MS, abort.signal);

      abort.abort();

      await expect(within(waiting, PATIENCE_MS)).resolves.toBe('resolved');
      await expect(waiting).resolves.toBeUndefined();
    });

    it('resolves at once for a signal that already aborted', async () => {
      abort.abort();
      const waiting = driver.waitForWork(['default'], LONG_WAIT_MS, abort.signal);
      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
      await expect(waiting).resolves.toBeUndefined();
    });

    it('resolves after about timeoutMs when nothing happens', async () => {
      const waiting = driver.waitForWork(['default'], 50, abort.signal);
      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
    });

    it('leaves no idle worker asleep while work is ready: three waiting workers each get one of three jobs', async () => {
      const idleWorker = async (i: number) => {
        await driver.waitForWork(['default'], LONG_WAIT_MS, abort.signal);
        return reserveIds(driver, T0, { max: 1, workerId: `worker-${i}` });
      };
      const workers = Promise.all([1, 2, 3].map(idleWorker));
      const jobs = [newJob(), newJob(), newJob()];

      await driver.push({ jobs }, T0);

      expect(await within(workers, PATIENCE_MS)).toBe('resolved');
      expect((await workers).flat().sort()).toEqual(jobs.map((job) => job.id).sort());
    });
  });
}
