import { type Driver, JOB_STATES, type JobState, type NewJob, type StateCounts } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  completed,
  failNext,
  jobError,
  newJob,
  reserveOne,
  retryAt,
  runNext,
  SECOND,
  T0,
} from './fixtures.js';

const zeroCounts = (): StateCounts =>
  Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as unknown as StateCounts;

export function introspectionSuite(factory: DriverFactory): void {
  describe('list, counts, queues', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    /** Puts one job of `queue` in each of the seven states; returns their ids by state. */
    async function oneInEveryState(queue: string): Promise<Record<JobState, string>> {
      const ids = {} as Record<JobState, string>;
      const push = async (state: JobState, fields: Partial<NewJob> = {}) => {
        const job = newJob({ queue, ...fields });
        await driver.push({ jobs: [job] }, T0);
        ids[state] = job.id;
      };
      await push('completed');
      await runNext(driver, T0, completed(), queue);
      await push('failed');
      await failNext(driver, T0, queue);
      await push('retrying');
      await runNext(driver, T0, retryAt(T0 + SECOND, jobError(1, T0)), queue);
      await push('processing');
      await reserveOne(driver, T0, { queues: [queue] });
      await push('cancelled');
      await driver.cancel(ids.cancelled, T0);
      await push('delayed', { delayMs: SECOND });
      await push('pending');
      return ids;
    }

    it('counts jobs in all seven states, per queue and overall', async () => {
      await oneInEveryState('a');
      await driver.push({ jobs: [newJob({ queue: 'b' }), newJob({ queue: 'b' })] }, T0);

      const counts = { ...zeroCounts(), pending: 1, delayed: 1, processing: 1, retrying: 1 };
      expect(await driver.counts('a')).toEqual({ ...counts, completed: 1, failed: 1, cancelled: 1 });
      expect(await driver.counts('b')).toEqual({ ...zeroCounts(), pending: 2 });
      expect(await driver.counts()).toEqual({ ...counts, pending: 3, completed: 1, failed: 1, cancelled: 1 });
    });

    it('counts zero in every state when nothing is stored', async () => {
      expect(await driver.counts()).toEqual(zeroCounts());
      expect(await driver.counts('nowhere')).toEqual(zeroCounts());
    });

    it('lists newest first: by createdAt, then by insertion order', async () => {
      const a = newJob();
      const b = newJob();
      const c = newJob();
      const older = newJob();
      await driver.push({ jobs: [a, b] }, T0 + SECOND);
      await driver.push({ jobs: [c] }, T0 + SECOND);
      await driver.push({ jobs: [older] }, T0);

      expect((await driver.list({})).map((job) => job.id)).toEqual([c.id, b.id, a.id, older.id]);
    });

    it('filters by queue, state and name, together', async () => {
      const jobs = await oneInEveryState('a');
      const report = newJob({ queue: 'a', name: 'DailyReport' });
      await driver.push({ jobs: [report, newJob({ queue: 'b' })] }, T0 + 1);

      expect((await driver.list({ queue: 'a', state: 'pending' })).map((job) => job.id)).toEqual([
        report.id,
        jobs.pending,
      ]);
      expect(
        (await driver.list({ queue: 'a', state: 'pending', name: 'DailyReport' })).map((j) => j.id),
      ).toEqual([report.id]);
      expect((await driver.list({ state: 'failed' })).map((job) => job.id)).toEqual([jobs.failed]);
      expect(await driver.list({ queue: 'b' })).toEqual([expect.objectContaining({ queue: 'b' })]);
      expect(await driver.list({ name: 'NoSuchJob' })).toEqual([]);
    });

    it('pages with limit and offset, and returns at most 100 by default', async () => {
      const jobs = Array.from({ length: 105 }, () => newJob());
      await driver.push({ jobs }, T0);
      const newestFirst = jobs.map((job) => job.id).reverse();

      expect((await driver.list({})).map((job) => job.id)).toEqual(newestFirst.slice(0, 100));
      expect((await driver.list({ limit: 3 })).map((job) => job.id)).toEqual(newestFirst.slice(0, 3));
      expect((await driver.list({ limit: 3, offset: 3 })).map((job) => job.id)).toEqual(
        newestFirst.slice(3, 6),
      );
      expect((await driver.list({ limit: 10, offset: 100 })).map((job) => job.id)).toEqual(
        newestFirst.slice(100),
      );
    });

    it('returns full records from list', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      expect(await driver.list({})).toEqual([await driver.get(job.id)]);
    });

    it('names every queue that holds or held a job, sorted', async () => {
      expect(await driver.queues()).toEqual([]);
      const gone = newJob({ queue: 'c-gone' });
      await driver.push({ jobs: [newJob({ queue: 'b' }), gone, newJob({ queue: 'a' })] }, T0);
      await driver.cancel(gone.id, T0);
      await driver.remove([gone.id]);

      expect(await driver.queues()).toEqual(['a', 'b', 'c-gone']);
    });
  });
}
