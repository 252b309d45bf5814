import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { completed, newJob, recordEvents, reserveOne, settle, T0 } from './fixtures.js';

export function progressSuite(factory: DriverFactory): void {
  describe('setProgress', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('stores progress of a processing job byte-identical and publishes a progress event', async () => {
      const job = newJob({ queue: 'imports' });
      await driver.push({ jobs: [job] }, T0);
      const reserved = await reserveOne(driver, T0, { queues: ['imports'] });
      const log = await recordEvents(driver);
      const progress = '{"done": 50, "of":100, "step":"résumé"}';

      expect(await driver.setProgress({ jobId: job.id, token: reserved.token }, progress, T0 + 1)).toBe(true);

      expect((await driver.get(job.id))?.progress).toBe(progress);
      expect(await log.waitFor((event) => event.type === 'progress')).toEqual({
        type: 'progress',
        jobId: job.id,
        queue: 'imports',
        progress,
      });
    });

    it('replaces earlier progress with the latest', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const reserved = await reserveOne(driver, T0);
      const lease = { jobId: job.id, token: reserved.token };

      await driver.setProgress(lease, '10', T0 + 1);
      await driver.setProgress(lease, '90', T0 + 2);

      expect((await driver.get(job.id))?.progress).toBe('90');
    });

    it('is fenced: a wrong token stores nothing and returns false', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      await reserveOne(driver, T0);

      expect(await driver.setProgress({ jobId: job.id, token: 'forged' }, '50', T0 + 1)).toBe(false);
      expect((await driver.get(job.id))?.progress).toBeNull();
    });

    it('returns false for a job that is not processing or does not exist', async () => {
      const waiting = newJob();
      const finished = newJob();
      await driver.push({ jobs: [finished] }, T0);
      const reserved = await reserveOne(driver, T0);
      await settle(driver, reserved, completed(), T0 + 1);
      await driver.push({ jobs: [waiting] }, T0 + 2);

      expect(await driver.setProgress({ jobId: finished.id, token: reserved.token }, '99', T0 + 3)).toBe(
        false,
      );
      expect(await driver.setProgress({ jobId: waiting.id, token: reserved.token }, '99', T0 + 3)).toBe(
        false,
      );
      expect(await driver.setProgress({ jobId: 'no-such-job', token: reserved.token }, '99', T0 + 3)).toBe(
        false,
      );
      expect((await driver.get(finished.id))?.progress).toBeNull();
      expect((await driver.get(waiting.id))?.progress).toBeNull();
    });
  });
}
