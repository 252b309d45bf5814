import { DEFAULT_QUEUE_SETTINGS, type Driver, type QueueSettings } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { completed, MINUTE, newJob, reserve, reserveIds, SECOND, settle, T0 } from './fixtures.js';

const settings = (fields: Partial<QueueSettings>): QueueSettings => ({
  ...DEFAULT_QUEUE_SETTINGS,
  ...fields,
});

/** Queue settings are shared by every worker through the driver, and `reserve` obeys them. */
export function queueSettingsSuite(factory: DriverFactory): void {
  describe('queue settings', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    const pushJobs = async (count: number, queue = 'default') => {
      const jobs = Array.from({ length: count }, () => newJob({ queue }));
      await driver.push({ jobs }, T0);
      return jobs.map((job) => job.id);
    };

    it('reads the defaults for a queue whose settings were never stored', async () => {
      expect(await driver.getQueueSettings('emails')).toEqual(DEFAULT_QUEUE_SETTINGS);
    });

    it('a whole settings object replaces every field, per queue', async () => {
      const limited = settings({ paused: true, concurrency: 3, rateLimit: { limit: 10, windowMs: MINUTE } });
      await driver.setQueueSettings('emails', limited);
      await driver.setQueueSettings('reports', settings({ concurrency: 1 }));

      expect(await driver.getQueueSettings('emails')).toEqual(limited);
      expect(await driver.getQueueSettings('reports')).toEqual(settings({ concurrency: 1 }));
      await driver.setQueueSettings('emails', DEFAULT_QUEUE_SETTINGS);
      expect(await driver.getQueueSettings('emails')).toEqual(DEFAULT_QUEUE_SETTINGS);
    });

    it('a patch changes only the fields it gives, null removes a limit, and the result is returned', async () => {
      const rateLimit = { limit: 10, windowMs: MINUTE };
      await driver.setQueueSettings('emails', settings({ paused: true, concurrency: 3, rateLimit }));

      expect(await driver.setQueueSettings('emails', { concurrency: 5 })).toEqual(
        settings({ paused: true, concurrency: 5, rateLimit }),
      );
      expect(await driver.setQueueSettings('emails', { paused: false, rateLimit: undefined })).toEqual(
        settings({ concurrency: 5, rateLimit }),
      );
      expect(await driver.setQueueSettings('emails', { rateLimit: null })).toEqual(
        settings({ concurrency: 5 }),
      );
      expect(await driver.setQueueSettings('emails', {})).toEqual(settings({ concurrency: 5 }));
      expect(await driver.setQueueSettings('emails', { concurrency: null })).toEqual(DEFAULT_QUEUE_SETTINGS);
      expect(await driver.getQueueSettings('emails')).toEqual(DEFAULT_QUEUE_SETTINGS);
      expect(await driver.setQueueSettings('reports', { rateLimit })).toEqual(settings({ rateLimit }));
      expect(await driver.getQueueSettings('reports')).toEqual(settings({ rateLimit }));
    });

    it('patches of different fields issued at once all survive (one atomic step each, no lost update)', async () => {
      const rateLimit = { limit: 10, windowMs: MINUTE };
      await Promise.all([
        driver.setQueueSettings('emails', { paused: true }),
        driver.setQueueSettings('emails', { concurrency: 5 }),
        driver.setQueueSettings('emails', { rateLimit }),
      ]);
      expect(await driver.getQueueSettings('emails')).toEqual(
        settings({ paused: true, concurrency: 5, rateLimit }),
      );

      await Promise.all([
        driver.setQueueSettings('emails', { paused: false }),
        driver.setQueueSettings('emails', { concurrency: null }),
      ]);
      expect(await driver.getQueueSettings('emails')).toEqual(settings({ rateLimit }));
    });

    it('paused: hands out nothing from the queue, and resumes when unpaused', async () => {
      const ids = await pushJobs(2);
      const other = await pushJobs(1, 'other');
      await driver.setQueueSettings('default', settings({ paused: true }));

      expect(await reserveIds(driver, T0, { queues: ['default', 'other'] })).toEqual(other);
      await driver.setQueueSettings('default', settings({ paused: false }));
      expect(await reserveIds(driver, T0 + 1)).toEqual(ids);
    });

    it('concurrency: caps how many jobs of the queue are processing at once, across workers', async () => {
      const ids = await pushJobs(5);
      await driver.setQueueSettings('default', settings({ concurrency: 2 }));

      const first = await reserve(driver, T0, { workerId: 'w-1' });
      const second = await reserveIds(driver, T0, { workerId: 'w-2' });
      await settle(driver, first.jobs[0]!, completed(), T0 + 1);
      const third = await reserveIds(driver, T0 + 1, { workerId: 'w-2' });

      expect(first.jobs.map((job) => job.id)).toEqual(ids.slice(0, 2));
      expect(second).toEqual([]);
      expect(third).toEqual([ids[2]]);
      expect((await driver.counts('default')).processing).toBe(2);
    });

    it('concurrency: counts jobs already processing when the cap was set', async () => {
      const ids = await pushJobs(5);
      const { jobs: running } = await reserve(driver, T0, { max: 3 });
      await driver.setQueueSettings('default', settings({ concurrency: 2 }));

      await settle(driver, running[0]!, completed(), T0 + 1);
      expect(await reserveIds(driver, T0 + 1)).toEqual([]);
      await settle(driver, running[1]!, completed(), T0 + 2);
      expect(await reserveIds(driver, T0 + 2)).toEqual([ids[3]]);
    });

    it('concurrency: a capped queue does not hold back the next queue in the list', async () => {
      const a = await pushJobs(3, 'a');
      const b = await pushJobs(2, 'b');
      await driver.setQueueSettings('a', settings({ concurrency: 1 }));

      expect(await reserveIds(driver, T0, { queues: ['a', 'b'] })).toEqual([a[0], ...b]);
    });

    it('rateLimit: caps how many jobs start per fixed window and says when the window frees up', async () => {
      const ids = await pushJobs(5);
      await driver.setQueueSettings('default', settings({ rateLimit: { limit: 2, windowMs: MINUTE } }));

      const first = await reserve(driver, T0 + 10 * SECOND);
      const held = await reserve(driver, T0 + 50 * SECOND);
      const next = await reserve(driver, T0 + MINUTE);

      expect(first.jobs.map((job) => job.id)).toEqual(ids.slice(0, 2));
      expect(held).toEqual({ jobs: [], nextAvailableAt: T0 + MINUTE });
      expect(next.jobs.map((job) => job.id)).toEqual(ids.slice(2, 4));
    });

    it('rateLimit: nextAvailableAt is the earlier of the window end and the next delayed job', async () => {
      await pushJobs(2);
      const soon = newJob({ delayMs: 20 * SECOND });
      await driver.push({ jobs: [soon, newJob({ delayMs: 5 * MINUTE })] }, T0);
      await driver.setQueueSettings('default', settings({ rateLimit: { limit: 1, windowMs: MINUTE } }));

      expect((await reserve(driver, T0)).nextAvailableAt).toBe(T0 + 20 * SECOND);
      expect((await reserve(driver, T0 + 30 * SECOND)).nextAvailableAt).toBe(T0 + MINUTE);
    });
  });
}
