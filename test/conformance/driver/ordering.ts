import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  jobError,
  newJob,
  releasedUntil,
  reserve,
  reserveIds,
  reserveOne,
  retryAt,
  SECOND,
  settle,
  T0,
} from './fixtures.js';

export function orderingSuite(factory: DriverFactory): void {
  describe('reserve order', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('takes queues in the strict order listed, whatever the priority or age', async () => {
      const lowOld = newJob({ queue: 'low', priority: 4 });
      const highNew = newJob({ queue: 'high', priority: 1 });
      await driver.push({ jobs: [lowOld] }, T0);
      await driver.push({ jobs: [highNew] }, T0 + SECOND);

      expect(await reserveIds(driver, T0 + 2 * SECOND, { queues: ['high', 'low'] })).toEqual([
        highNew.id,
        lowOld.id,
      ]);
    });

    it('drains every ready job of the first queue before any of the next', async () => {
      const a = [newJob({ queue: 'a' }), newJob({ queue: 'a' })];
      const b = [newJob({ queue: 'b' }), newJob({ queue: 'b' })];
      await driver.push({ jobs: [b[0]!, a[0]!, b[1]!, a[1]!] }, T0);

      expect(await reserveIds(driver, T0, { queues: ['a', 'b'], max: 3 })).toEqual([
        a[0]!.id,
        a[1]!.id,
        b[0]!.id,
      ]);
    });

    it('never takes a job of a queue that was not asked for', async () => {
      await driver.push({ jobs: [newJob({ queue: 'elsewhere' })] }, T0);
      expect(await reserveIds(driver, T0, { queues: ['default'] })).toEqual([]);
    });

    it('takes higher priority first within a queue', async () => {
      const low = newJob({ priority: 1 });
      const normal = newJob({ priority: 2 });
      const critical = newJob({ priority: 4 });
      const high = newJob({ priority: 3 });
      await driver.push({ jobs: [low, normal, critical, high] }, T0);

      expect(await reserveIds(driver, T0)).toEqual([critical.id, high.id, normal.id, low.id]);
    });

    it('takes jobs of equal priority in insertion order, within one push and across pushes', async () => {
      const first = [newJob(), newJob(), newJob()];
      const second = [newJob(), newJob()];
      await driver.push({ jobs: first }, T0);
      await driver.push({ jobs: second }, T0);

      expect(await reserveIds(driver, T0)).toEqual([...first, ...second].map((job) => job.id));
    });

    it('orders by the time a job became ready (availableAt), not by when it was pushed', async () => {
      const delayed = newJob({ delayMs: SECOND }); // ready at T0 + 1 s
      const later = newJob(); // pushed at T0 + 0.5 s, ready at once
      const latest = newJob(); // pushed at T0 + 2 s
      await driver.push({ jobs: [delayed] }, T0);
      await driver.push({ jobs: [later] }, T0 + SECOND / 2);
      await driver.push({ jobs: [latest] }, T0 + 2 * SECOND);

      expect(await reserveIds(driver, T0 + 3 * SECOND)).toEqual([later.id, delayed.id, latest.id]);
    });

    it('puts priority before readiness: a later high-priority job overtakes older normal ones', async () => {
      const old = newJob({ priority: 2 });
      const urgentDelayed = newJob({ priority: 4, delayMs: 5 * SECOND });
      await driver.push({ jobs: [old, urgentDelayed] }, T0);

      expect(await reserveIds(driver, T0 + 10 * SECOND)).toEqual([urgentDelayed.id, old.id]);
    });

    it('does not take a delayed job before its availableAt, and takes it at availableAt', async () => {
      const job = newJob({ delayMs: 5 * SECOND });
      await driver.push({ jobs: [job] }, T0);

      expect(await reserveIds(driver, T0 + 5 * SECOND - 1)).toEqual([]);
      expect(await reserveIds(driver, T0 + 5 * SECOND)).toEqual([job.id]);
    });

    it('brings a retrying job back at the availableAt its retry asked for', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const first = await reserveOne(driver, T0);
      await settle(driver, first, retryAt(T0 + 10 * SECOND, jobError(1, T0 + 1)), T0 + 1);

      expect(await reserveIds(driver, T0 + 10 * SECOND - 1)).toEqual([]);
      const again = await reserveOne(driver, T0 + 10 * SECOND);
      expect(again).toMatchObject({ id: job.id, attempts: 2 });
    });

    it('brings a released job back at the availableAt the release asked for', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      await settle(driver, await reserveOne(driver, T0), releasedUntil(T0 + 3 * SECOND), T0 + 1);

      expect(await reserveIds(driver, T0 + 3 * SECOND - 1)).toEqual([]);
      expect(await reserveIds(driver, T0 + 3 * SECOND)).toEqual([job.id]);
    });

    it('takes at most `max` jobs per call and leaves the rest for the next call', async () => {
      const jobs = Array.from({ length: 5 }, () => newJob());
      await driver.push({ jobs }, T0);

      const first = await reserveIds(driver, T0, { max: 2 });
      const second = await reserveIds(driver, T0, { max: 10 });
      const third = await reserveIds(driver, T0, { max: 10 });

      expect(first).toEqual([jobs[0]!.id, jobs[1]!.id]);
      expect(second).toEqual(jobs.slice(2).map((job) => job.id));
      expect(third).toEqual([]);
    });
  });

  describe('reserve: nextAvailableAt', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('is null when no job of these queues waits for a time', async () => {
      await driver.push({ jobs: [newJob()] }, T0);
      expect(await reserve(driver, T0)).toMatchObject({ nextAvailableAt: null });
      expect(await reserve(driver, T0)).toEqual({ jobs: [], nextAvailableAt: null });
    });

    it('is the earliest availableAt among delayed and retrying jobs of these queues', async () => {
      const failing = newJob();
      await driver.push({ jobs: [failing, newJob({ delayMs: 5 * SECOND })] }, T0);
      await driver.push({ jobs: [newJob({ queue: 'other', delayMs: SECOND })] }, T0);
      const reserved = await reserveOne(driver, T0);
      await settle(driver, reserved, retryAt(T0 + 3 * SECOND, jobError(1, T0)), T0);

      expect((await reserve(driver, T0 + 1)).nextAvailableAt).toBe(T0 + 3 * SECOND);
      expect((await reserve(driver, T0 + 1, { queues: ['other'] })).nextAvailableAt).toBe(T0 + SECOND);
      expect((await reserve(driver, T0 + 1, { queues: ['other', 'default'] })).nextAvailableAt).toBe(
        T0 + SECOND,
      );
    });

    it('moves on once the earliest waiting job became due and was taken', async () => {
      const soon = newJob({ delayMs: SECOND });
      const later = newJob({ delayMs: 4 * SECOND });
      await driver.push({ jobs: [soon, later] }, T0);

      const result = await reserve(driver, T0 + SECOND);

      expect(result.jobs.map((job) => job.id)).toEqual([soon.id]);
      expect(result.nextAvailableAt).toBe(T0 + 4 * SECOND);
    });
  });
}
