import type { Driver, NewJob } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  cancelled,
  completed,
  failNext,
  jobError,
  MINUTE,
  newBatch,
  newChain,
  newJob,
  releasedUntil,
  reserveOne,
  retryAt,
  runNext,
  settle,
  T0,
  uniqueJob,
} from './fixtures.js';

const KEY = 'email:a@b.c';

export function uniquenessSuite(factory: DriverFactory): void {
  describe('uniqueness', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    /** Pushes a job with `KEY` at `now` and returns its outcome. */
    async function pushUnique(now: number, job: NewJob = uniqueJob(KEY, 'completed')) {
      const { jobs } = await driver.push({ jobs: [job] }, now);
      return { job, outcome: jobs[0] };
    }

    it('turns a duplicate away with the holder id and stores nothing', async () => {
      const holder = await pushUnique(T0);
      const dup = await pushUnique(T0 + 1);

      expect(holder.outcome).toEqual({ outcome: 'added', id: holder.job.id });
      expect(dup.outcome).toEqual({ outcome: 'duplicate', id: holder.job.id });
      expect(await driver.get(dup.job.id)).toBeNull();
      expect(await driver.counts()).toMatchObject({ pending: 1 });
      expect(await driver.list({})).toHaveLength(1);
    });

    it('applies within a single push', async () => {
      const first = uniqueJob(KEY, 'completed');
      const second = uniqueJob(KEY, 'completed');
      const other = uniqueJob('email:x@y.z', 'completed');

      const { jobs } = await driver.push({ jobs: [first, second, other] }, T0);

      expect(jobs).toEqual([
        { outcome: 'added', id: first.id },
        { outcome: 'duplicate', id: first.id },
        { outcome: 'added', id: other.id },
      ]);
    });

    it("until 'started': holds the key while waiting and frees it when a worker reserves the job", async () => {
      const holder = await pushUnique(T0, uniqueJob(KEY, 'started'));
      expect((await pushUnique(T0 + 1)).outcome).toEqual({ outcome: 'duplicate', id: holder.job.id });

      await reserveOne(driver, T0 + 2);

      expect((await pushUnique(T0 + 3)).outcome?.outcome).toBe('added');
    });

    it("until 'completed': holds the key while processing and retrying, frees it when the job completes", async () => {
      const holder = await pushUnique(T0);
      const first = await reserveOne(driver, T0);
      expect((await pushUnique(T0 + 1)).outcome?.outcome).toBe('duplicate');
      await settle(driver, first, retryAt(T0 + 2, jobError(1, T0 + 1)), T0 + 1);
      expect((await pushUnique(T0 + 1)).outcome?.outcome).toBe('duplicate');
      const second = await reserveOne(driver, T0 + 2);
      await settle(driver, second, releasedUntil(T0 + 3), T0 + 2);
      expect((await pushUnique(T0 + 2)).outcome).toEqual({ outcome: 'duplicate', id: holder.job.id });

      await runNext(driver, T0 + 3, completed());

      expect((await pushUnique(T0 + 4)).outcome?.outcome).toBe('added');
    });

    it("until 'completed': frees the key when the job fails finally", async () => {
      await pushUnique(T0);
      await failNext(driver, T0 + 1);
      expect((await pushUnique(T0 + 2)).outcome?.outcome).toBe('added');
    });

    it("until 'completed': frees the key when a waiting job is cancelled", async () => {
      const holder = await pushUnique(T0, uniqueJob(KEY, 'completed', null, { delayMs: MINUTE }));
      await driver.cancel(holder.job.id, T0 + 1);
      expect((await pushUnique(T0 + 2)).outcome?.outcome).toBe('added');
    });

    it("until 'completed': frees the key when a processing job settles as cancelled", async () => {
      const holder = await pushUnique(T0);
      const reserved = await reserveOne(driver, T0);
      await driver.cancel(holder.job.id, T0 + 1);
      expect((await pushUnique(T0 + 1)).outcome?.outcome).toBe('duplicate');

      await settle(driver, reserved, cancelled(), T0 + 2);

      expect((await pushUnique(T0 + 3)).outcome?.outcome).toBe('added');
    });

    it('lets a new job in once the lock TTL ran out, and not before', async () => {
      const holder = await pushUnique(T0, uniqueJob(KEY, 'completed', MINUTE));

      expect((await pushUnique(T0 + MINUTE - 1)).outcome).toEqual({
        outcome: 'duplicate',
        id: holder.job.id,
      });
      expect((await pushUnique(T0 + MINUTE + 1)).outcome?.outcome).toBe('added');
    });

    it('keeps a lock with a null TTL for as long as its job holds it', async () => {
      const holder = await pushUnique(T0, uniqueJob(KEY, 'completed', null));
      expect((await pushUnique(T0 + 365 * 24 * 60 * MINUTE)).outcome).toEqual({
        outcome: 'duplicate',
        id: holder.job.id,
      });
    });

    it('is owned by the job: one that lost its lock never frees the newer holder', async () => {
      const old = await pushUnique(T0, uniqueJob(KEY, 'completed', MINUTE, { maxAttempts: 3 }));
      const first = await reserveOne(driver, T0);
      const newer = await pushUnique(T0 + 2 * MINUTE, uniqueJob(KEY, 'completed', null, { queue: 'later' }));
      expect(newer.outcome).toEqual({ outcome: 'added', id: newer.job.id });

      await settle(driver, first, retryAt(T0 + 2 * MINUTE, jobError(1, T0 + 2 * MINUTE)), T0 + 2 * MINUTE);
      await runNext(driver, T0 + 3 * MINUTE, completed());

      expect(await driver.get(old.job.id)).toMatchObject({ state: 'completed' });
      expect((await pushUnique(T0 + 4 * MINUTE)).outcome).toEqual({ outcome: 'duplicate', id: newer.job.id });
    });

    it('applies to batch members: a duplicate member reports the holder and is not stored', async () => {
      const holder = await pushUnique(T0);
      const batch = newBatch();
      const duplicate = uniqueJob(KEY, 'completed', null, { batchId: batch.id });

      const result = await driver.push({ jobs: [duplicate], batch }, T0 + 1);

      expect(result.jobs).toEqual([{ outcome: 'duplicate', id: holder.job.id }]);
      expect(await driver.get(duplicate.id)).toBeNull();
    });

    it('applies to chains: a chain whose first link is a duplicate reports the holder', async () => {
      const holder = await pushUnique(T0);
      const chain = newChain([uniqueJob(KEY, 'completed'), newJob()]);

      const result = await driver.push({ chains: [chain] }, T0 + 1);

      expect(result.chains).toEqual([{ outcome: 'duplicate', id: holder.job.id }]);
      expect(await driver.get(chain.links[0]!.id)).toBeNull();
    });
  });
}
