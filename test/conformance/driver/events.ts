import type { Driver, DriverEvent } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { completed, failNext, newJob, recordEvents, reserveOne, runNext, settle, T0 } from './fixtures.js';

const jobEvent = (jobId: string, state: string) => (event: DriverEvent) =>
  event.type === 'job' && event.jobId === jobId && event.state === state;

/** Events let `job.wait()` and `batch.wait()` follow a job without polling. */
export function eventsSuite(factory: DriverFactory): void {
  describe('events', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('publishes a job event when a job completes', async () => {
      const job = newJob({ queue: 'emails' });
      await driver.push({ jobs: [job] }, T0);
      const log = await recordEvents(driver);

      await runNext(driver, T0 + 1, completed(), 'emails');

      expect(await log.waitFor(jobEvent(job.id, 'completed'))).toEqual({
        type: 'job',
        jobId: job.id,
        queue: 'emails',
        state: 'completed',
      });
    });

    it('publishes a job event when a job fails finally', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const log = await recordEvents(driver);

      await failNext(driver, T0 + 1);

      expect(await log.waitFor(jobEvent(job.id, 'failed'))).toMatchObject({ queue: 'default' });
    });

    it('publishes a job event when a waiting job is cancelled', async () => {
      const job = newJob({ delayMs: 60_000 });
      await driver.push({ jobs: [job] }, T0);
      const log = await recordEvents(driver);

      await driver.cancel(job.id, T0 + 1);

      expect(await log.waitFor(jobEvent(job.id, 'cancelled'))).toMatchObject({ queue: 'default' });
    });

    it('delivers to every subscriber, and no longer to one that unsubscribed', async () => {
      const first = newJob();
      const second = newJob();
      await driver.push({ jobs: [first, second] }, T0);
      const stays = await recordEvents(driver);
      const leaves = await recordEvents(driver);

      await runNext(driver, T0 + 1);
      await stays.waitFor(jobEvent(first.id, 'completed'));
      await leaves.waitFor(jobEvent(first.id, 'completed'));
      await leaves.unsubscribe();
      const reserved = await reserveOne(driver, T0 + 2);
      await settle(driver, reserved, completed(), T0 + 2);
      await stays.waitFor(jobEvent(second.id, 'completed'));

      expect(leaves.events.some(jobEvent(second.id, 'completed'))).toBe(false);
    });

    it('a subscriber for some event types gets those, beside a subscriber for all', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const all = await recordEvents(driver);
      const cancels: DriverEvent[] = [];
      const stop = await driver.subscribe((event) => cancels.push(event), ['cancel']);
      const reserved = await reserveOne(driver, T0 + 1);

      await driver.cancel(reserved.id, T0 + 2);
      await all.waitFor((event) => event.type === 'cancel' && event.jobId === job.id);
      await settle(driver, reserved, { type: 'cancelled' }, T0 + 3);
      await all.waitFor(jobEvent(job.id, 'cancelled'));
      await stop();

      // a driver may deliver other types too (the listener ignores them); it must deliver the ones asked for
      expect(cancels.filter((event) => event.type === 'cancel')).toEqual([
        { type: 'cancel', jobId: job.id, queue: 'default' },
      ]);
    });
  });
}
