import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  batchOf,
  batchWithCallbacks,
  callbackStates,
  completed,
  crossed,
  failNext,
  jobError,
  members,
  newChain,
  newJob,
  reserve,
  reserveIds,
  reserveOne,
  runNext,
  settle,
  statesOf,
  T0,
} from './fixtures.js';

/** How a batch's membership changes: cancelBatch, addToBatch, and chains inside a batch. */
export function batchMembershipSuite(factory: DriverFactory): void {
  describe('batches: cancelBatch', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('cancels members not yet started and lets running ones finish, then crosses finally', async () => {
      const batch = batchWithCallbacks();
      const jobs = members(batch.id, 3);
      await driver.push({ jobs, batch }, T0);
      const running = await reserveOne(driver, T0);

      const change = await driver.cancelBatch(batch.id, T0 + 1);

      expect(change?.crossed).toEqual(crossed());
      expect(change?.batch).toMatchObject({ cancelled: 2, cancelledAt: T0 + 1, finishedAt: null });
      expect(
        await statesOf(
          driver,
          jobs.map((job) => job.id),
        ),
      ).toEqual(['processing', 'cancelled', 'cancelled']);
      const last = batchOf(await settle(driver, running, completed(), T0 + 2));
      expect(last.crossed).toEqual(crossed('finally'));
      expect(last.batch).toMatchObject({ processed: 1, cancelled: 2, thenFired: false, finishedAt: T0 + 2 });
      expect(await callbackStates(driver, batch)).toEqual([null, null, 'pending']);
    });

    it('crosses finally at once when no member is running, chain links included', async () => {
      const batch = batchWithCallbacks();
      const chain = newChain([newJob(), newJob(), newJob()], { batchId: batch.id });
      await driver.push({ jobs: members(batch.id, 1), chains: [chain], batch }, T0);

      const change = await driver.cancelBatch(batch.id, T0 + 1);

      expect(change?.crossed).toEqual(crossed('finally'));
      expect(change?.batch).toMatchObject({ total: 4, cancelled: 4, finishedAt: T0 + 1 });
      expect(
        await statesOf(
          driver,
          chain.links.map((link) => link.id),
        ),
      ).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect(await reserveIds(driver, T0 + 1)).toEqual([]);
      expect(await callbackStates(driver, batch)).toEqual([null, null, 'pending']);
    });

    it('stops the chain of a running member: its later links are cancelled, not run', async () => {
      const batch = batchWithCallbacks();
      const chain = newChain([newJob(), newJob(), newJob()], { batchId: batch.id });
      await driver.push({ chains: [chain], batch }, T0);
      const running = await reserveOne(driver, T0);

      await driver.cancelBatch(batch.id, T0 + 1);
      const last = batchOf(await settle(driver, running, completed(), T0 + 2));

      expect(
        await statesOf(
          driver,
          chain.links.map((link) => link.id),
        ),
      ).toEqual(['completed', 'cancelled', 'cancelled']);
      expect(last.batch).toMatchObject({ processed: 1, cancelled: 2, finallyFired: true });
      expect(await reserveIds(driver, T0 + 2)).toEqual([]);
    });

    it('crosses nothing a second time when the batch already finished', async () => {
      const batch = batchWithCallbacks();
      await driver.push({ jobs: members(batch.id, 1), batch }, T0);
      await runNext(driver, T0);

      const change = await driver.cancelBatch(batch.id, T0 + 1);

      expect(change?.crossed).toEqual(crossed());
      expect(change?.batch).toMatchObject({ processed: 1, cancelled: 0, finishedAt: T0 });
      expect(await driver.counts('callbacks')).toMatchObject({ pending: 2 });
      expect(await callbackStates(driver, batch)).toEqual(['pending', null, 'pending']);
    });

    it('returns null for an unknown batch', async () => {
      expect(await driver.cancelBatch('no-such-batch', T0)).toBeNull();
    });
  });

  describe('batches: addToBatch', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('adds jobs and chains to an unfinished batch, counting each member and link', async () => {
      const batch = batchWithCallbacks();
      await driver.push({ jobs: members(batch.id, 1), batch }, T0);
      const added = members(batch.id, 2);
      const chain = newChain([newJob(), newJob()], { batchId: batch.id });

      const result = await driver.addToBatch(batch.id, { jobs: added, chains: [chain] }, T0 + 1);

      expect(result).toEqual({
        jobs: added.map((job) => ({ outcome: 'added', id: job.id })),
        chains: [{ outcome: 'added', id: chain.links[0]!.id }],
      });
      expect((await driver.getBatch(batch.id))?.total).toBe(5);
      expect(await driver.get(added[0]!.id)).toMatchObject({ state: 'pending', batchId: batch.id });
    });

    it('holds then back until the added members complete too', async () => {
      const batch = batchWithCallbacks();
      await driver.push({ jobs: members(batch.id, 1), batch }, T0);
      const running = await reserveOne(driver, T0);
      await driver.addToBatch(batch.id, { jobs: members(batch.id, 1) }, T0 + 1);

      const first = batchOf(await settle(driver, running, completed(), T0 + 2));
      const last = batchOf((await runNext(driver, T0 + 3)).result);

      expect(first.crossed).toEqual(crossed());
      expect(last.crossed).toEqual(crossed('then', 'finally'));
    });

    it('returns null and stores nothing for an unknown, finished or cancelled batch', async () => {
      const finished = batchWithCallbacks();
      await driver.push({ jobs: members(finished.id, 1), batch: finished }, T0);
      await runNext(driver, T0);
      const cancelled = batchWithCallbacks();
      await driver.push({ jobs: members(cancelled.id, 1), batch: cancelled }, T0);
      await reserveOne(driver, T0);
      await driver.cancelBatch(cancelled.id, T0);

      const attempts = await Promise.all(
        ['no-such-batch', finished.id, cancelled.id].map(async (batchId) => {
          const job = newJob({ batchId });
          return { job, result: await driver.addToBatch(batchId, { jobs: [job] }, T0 + 1) };
        }),
      );

      expect(attempts.map((attempt) => attempt.result)).toEqual([null, null, null]);
      expect(
        await statesOf(
          driver,
          attempts.map((attempt) => attempt.job.id),
        ),
      ).toEqual([null, null, null]);
      expect((await driver.getBatch(finished.id))?.total).toBe(1);
      expect((await driver.getBatch(cancelled.id))?.total).toBe(1);
    });
  });

  describe('batches: chains inside a batch', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('counts each link, and crosses then only after the last link completes', async () => {
      const batch = batchWithCallbacks();
      const chain = newChain([newJob(), newJob()], { batchId: batch.id });
      await driver.push({ chains: [chain], batch }, T0);

      const first = batchOf((await runNext(driver, T0 + 1)).result);
      const last = batchOf((await runNext(driver, T0 + 2)).result);

      expect(first.batch).toMatchObject({ total: 2, processed: 1 });
      expect(first.crossed).toEqual(crossed());
      expect(last.crossed).toEqual(crossed('then', 'finally'));
      expect((await driver.getChain(chain.id))?.batchId).toBe(batch.id);
    });

    it('settles the successors of a failed link as cancelled, so finally still fires', async () => {
      const batch = batchWithCallbacks({ allowFailures: true });
      const chain = newChain([newJob(), newJob(), newJob()], { batchId: batch.id });
      const other = newJob({ batchId: batch.id, queue: 'other' });
      await driver.push({ jobs: [other], chains: [chain], batch }, T0);

      const failure = batchOf((await failNext(driver, T0 + 1)).result);
      expect(failure.crossed).toEqual(crossed('catch'));
      expect(failure.batch).toMatchObject({ failed: 1, cancelled: 2, processed: 0 });
      expect(
        await statesOf(
          driver,
          chain.links.map((link) => link.id),
        ),
      ).toEqual(['failed', 'cancelled', 'cancelled']);

      const last = batchOf((await runNext(driver, T0 + 2, completed(), 'other')).result);
      expect(last.crossed).toEqual(crossed('finally'));
      expect(last.batch).toMatchObject({ processed: 1, failed: 1, cancelled: 2 });
    });

    it('without allowFailures, another member failing stops the chain at its next link', async () => {
      const batch = batchWithCallbacks();
      const chain = newChain([newJob(), newJob()], { batchId: batch.id });
      const doomed = newJob({ batchId: batch.id });
      await driver.push({ chains: [chain], jobs: [doomed], batch }, T0);
      const { jobs } = await reserve(driver, T0, { max: 2 });
      const link = jobs.find((job) => job.id === chain.links[0]!.id)!;
      const failing = jobs.find((job) => job.id === doomed.id)!;

      await settle(driver, failing, { type: 'failed', error: jobError(1, T0 + 1) }, T0 + 1);
      const last = batchOf(await settle(driver, link, completed(), T0 + 2));

      expect(
        await statesOf(
          driver,
          chain.links.map((l) => l.id),
        ),
      ).toEqual(['completed', 'cancelled']);
      expect(last.crossed).toEqual(crossed('finally'));
      expect(last.batch).toMatchObject({ processed: 1, failed: 1, cancelled: 1 });
    });

    it('counts links added by extendChain in the batch', async () => {
      const batch = batchWithCallbacks();
      const chain = newChain([newJob()], { batchId: batch.id });
      await driver.push({ chains: [chain], batch }, T0);
      const running = await reserveOne(driver, T0);

      expect(await driver.extendChain(chain.id, [newJob({ batchId: batch.id })], 'append', T0 + 1)).toBe(
        true,
      );
      const first = batchOf(await settle(driver, running, completed(), T0 + 2));
      const last = batchOf((await runNext(driver, T0 + 3)).result);

      expect(first.batch.total).toBe(2);
      expect(first.crossed).toEqual(crossed());
      expect(last.crossed).toEqual(crossed('then', 'finally'));
    });
  });
}
