import type { Driver, NewBatch, NewJob } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  batchOf,
  batchWithCallbacks,
  callbackStates,
  completed,
  crossed,
  failedWith,
  failNext,
  jobError,
  LEASE_MS,
  members,
  newChain,
  newJob,
  newToken,
  recordEvents,
  reserve,
  reserveOne,
  retryAt,
  runNext,
  settle,
  statesOf,
  T0,
} from './fixtures.js';

export function batchesSuite(factory: DriverFactory): void {
  describe('batches', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    async function pushBatch(count: number, fields: Partial<NewBatch> = {}) {
      const batch = batchWithCallbacks(fields);
      const jobs: NewJob[] = members(batch.id, count);
      await driver.push({ jobs, batch }, T0);
      return { batch, jobs };
    }

    it('records a new batch; total counts every member and every chain link', async () => {
      const batch = batchWithCallbacks({ allowFailures: true });
      const jobs = members(batch.id, 3);
      const chain = newChain([newJob(), newJob()], { batchId: batch.id });

      await driver.push({ jobs, chains: [chain], batch }, T0);

      expect(await driver.getBatch(batch.id)).toEqual({
        id: batch.id,
        options: batch.options,
        allowFailures: true,
        total: 5,
        processed: 0,
        failed: 0,
        cancelled: 0,
        cancelledAt: null,
        createdAt: T0,
        finishedAt: null,
        thenFired: false,
        catchFired: false,
        finallyFired: false,
        failedJobIds: [],
      });
      expect((await driver.get(jobs[0]!.id))?.batchId).toBe(batch.id);
      expect((await driver.get(chain.links[0]!.id))?.batchId).toBe(batch.id);
      expect(await driver.getBatch('no-such-batch')).toBeNull();
    });

    it('crosses then and finally once, with the last completion, and enqueues their callbacks', async () => {
      const { batch } = await pushBatch(3);

      const first = batchOf((await runNext(driver, T0 + 1)).result);
      const second = batchOf((await runNext(driver, T0 + 2)).result);
      const last = batchOf((await runNext(driver, T0 + 3)).result);

      expect([first.crossed, second.crossed]).toEqual([crossed(), crossed()]);
      expect([first.batch.processed, second.batch.processed]).toEqual([1, 2]);
      expect(last.crossed).toEqual(crossed('then', 'finally'));
      expect(last.batch).toMatchObject({
        processed: 3,
        thenFired: true,
        finallyFired: true,
        finishedAt: T0 + 3,
      });
      expect(await callbackStates(driver, batch)).toEqual(['pending', null, 'pending']);
      expect(await driver.getBatch(batch.id)).toEqual(last.batch);
    });

    it('with allowFailures: crosses catch at the first failure only, finally when all settled, never then', async () => {
      const { batch } = await pushBatch(3, { allowFailures: true });

      const first = await failNext(driver, T0 + 1);
      expect(batchOf(first.result).crossed).toEqual(crossed('catch'));
      expect(await callbackStates(driver, batch)).toEqual([null, 'pending', null]);
      const second = await failNext(driver, T0 + 2);
      expect(batchOf(second.result).crossed).toEqual(crossed());
      const last = batchOf((await runNext(driver, T0 + 3)).result);

      expect(last.crossed).toEqual(crossed('finally'));
      expect(last.batch).toMatchObject({ processed: 1, failed: 2, cancelled: 0, cancelledAt: null });
      expect([...last.batch.failedJobIds].sort()).toEqual([first.job.id, second.job.id].sort());
      expect(await callbackStates(driver, batch)).toEqual([null, 'pending', 'pending']);
    });

    it('without allowFailures: the first failure cancels members not yet started; running ones finish', async () => {
      const { batch, jobs } = await pushBatch(4);
      const { jobs: running } = await reserve(driver, T0, { max: 2 });
      const [a, b] = running as [(typeof running)[0], (typeof running)[0]];

      const failure = batchOf(
        await settle(driver, a, { type: 'failed', error: jobError(1, T0 + 1) }, T0 + 1),
      );

      expect(failure.crossed).toEqual(crossed('catch'));
      expect(failure.batch).toMatchObject({ failed: 1, cancelled: 2, cancelledAt: T0 + 1, finishedAt: null });
      expect(
        await statesOf(
          driver,
          jobs.map((job) => job.id),
        ),
      ).toEqual(['failed', 'processing', 'cancelled', 'cancelled']);

      const last = batchOf(await settle(driver, b, completed(), T0 + 2));
      expect(last.crossed).toEqual(crossed('finally'));
      expect(last.batch).toMatchObject({ processed: 1, failed: 1, cancelled: 2, thenFired: false });
      expect(await callbackStates(driver, batch)).toEqual([null, 'pending', 'pending']);
    });

    it('without allowFailures: a failure that leaves nothing running crosses catch and finally together', async () => {
      const { jobs } = await pushBatch(2);

      const change = batchOf((await failNext(driver, T0 + 1)).result);

      expect(change.crossed).toEqual(crossed('catch', 'finally'));
      expect(change.batch).toMatchObject({ processed: 0, failed: 1, cancelled: 1, finishedAt: T0 + 1 });
      expect(
        await statesOf(
          driver,
          jobs.map((job) => job.id),
        ),
      ).toEqual(['failed', 'cancelled']);
    });

    it('settles several members in one call: each item sees the ones before it, thresholds cross on the right item', async () => {
      const { batch } = await pushBatch(4, { allowFailures: true });
      const { jobs: held } = await reserve(driver, T0, { max: 4 });
      expect(held).toHaveLength(4);
      const [a, b, c, d] = held as [(typeof held)[0], (typeof held)[0], (typeof held)[0], (typeof held)[0]];
      const results = await driver.settle(
        [
          { jobId: a.id, token: a.token, outcome: completed() },
          { jobId: b.id, token: b.token, outcome: failedWith(jobError(1, T0 + 1)) },
          { jobId: c.id, token: 'stale-token', outcome: completed() },
          { jobId: c.id, token: c.token, outcome: completed() },
          { jobId: d.id, token: d.token, outcome: completed() },
        ],
        T0 + 1,
      );
      expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true]);
      const views = [0, 1, 3, 4].map((i) => batchOf(results[i]!));
      expect(views.map((v) => [v.batch.processed, v.batch.failed])).toEqual([
        [1, 0],
        [1, 1],
        [2, 1],
        [3, 1],
      ]);
      expect(views.map((v) => v.crossed)).toEqual([
        crossed(),
        crossed('catch'),
        crossed(),
        crossed('finally'),
      ]);
      expect(views[3]!.batch).toMatchObject({ finallyFired: true, catchFired: true, thenFired: false });
      expect(await driver.getBatch(batch.id)).toEqual(views[3]!.batch);
      expect(await callbackStates(driver, batch)).toEqual([null, 'pending', 'pending']);
    });

    it('settles members of two batches in one call: each item sees its batch as that item left it', async () => {
      const one = await pushBatch(3);
      const two = await pushBatch(3);
      const { jobs: held } = await reserve(driver, T0, { max: 6 });
      const of = (batchId: string) => held.filter((job) => job.batchId === batchId);
      const [a1, a2, a3] = of(one.batch.id);
      const [b1, b2, b3] = of(two.batch.id);
      const order = [a1!, b1!, a2!, b2!, a3!, b3!];

      const results = await driver.settle(
        order.map((job) => ({ jobId: job.id, token: job.token, outcome: completed() })),
        T0 + 1,
      );

      const views = results.map((result) => batchOf(result));
      const last = crossed('then', 'finally');
      expect(views.map((v) => v.crossed)).toEqual([crossed(), crossed(), crossed(), crossed(), last, last]);
      const first = (await driver.getBatch(one.batch.id))!;
      const second = (await driver.getBatch(two.batch.id))!;
      const before = { thenFired: false, finallyFired: false, finishedAt: null };
      expect(views.map((v) => v.batch)).toEqual([
        { ...first, ...before, processed: 1 },
        { ...second, ...before, processed: 1 },
        { ...first, ...before, processed: 2 },
        { ...second, ...before, processed: 2 },
        first,
        second,
      ]);
      expect([first.processed, second.processed, first.finishedAt]).toEqual([3, 3, T0 + 1]);
    });

    it('settles several members in one call without allowFailures: the failure cancels the waiting member at once', async () => {
      const { batch, jobs } = await pushBatch(4);
      const { jobs: held } = await reserve(driver, T0, { max: 3 });
      expect(held).toHaveLength(3);
      const waiting = jobs.find((job) => !held.some((h) => h.id === job.id))!;
      const results = await driver.settle(
        [
          { jobId: held[0]!.id, token: held[0]!.token, outcome: failedWith(jobError(1, T0 + 1)) },
          { jobId: held[1]!.id, token: held[1]!.token, outcome: completed() },
          { jobId: held[2]!.id, token: held[2]!.token, outcome: completed() },
        ],
        T0 + 1,
      );
      const views = results.map((r) => batchOf(r));
      expect(views.map((v) => [v.batch.processed, v.batch.failed, v.batch.cancelled])).toEqual([
        [0, 1, 1],
        [1, 1, 1],
        [2, 1, 1],
      ]);
      expect(views.map((v) => v.crossed)).toEqual([crossed('catch'), crossed(), crossed('finally')]);
      expect(await statesOf(driver, [waiting.id])).toEqual(['cancelled']);
      expect(await driver.getBatch(batch.id)).toEqual(views[2]!.batch);
      expect(await callbackStates(driver, batch)).toEqual([null, 'pending', 'pending']);
    });

    it('an empty batch crosses then and finally at push', async () => {
      const batch = batchWithCallbacks();

      await driver.push({ batch }, T0);

      expect(await driver.getBatch(batch.id)).toMatchObject({
        total: 0,
        thenFired: true,
        catchFired: false,
        finallyFired: true,
        finishedAt: T0,
      });
      expect(await callbackStates(driver, batch)).toEqual(['pending', null, 'pending']);
    });

    it('does not count a retry: only a final outcome counts', async () => {
      const { batch } = await pushBatch(2);
      await runNext(driver, T0, retryAt(T0 + 1, jobError(1, T0)));
      expect(await driver.getBatch(batch.id)).toMatchObject({ processed: 0, failed: 0, catchFired: false });
    });

    it('counts a re-delivered job once: the stale holder is refused', async () => {
      const { batch } = await pushBatch(2);
      const stale = await reserveOne(driver, T0);
      const now = T0 + LEASE_MS + 1;
      const [fresh] = await driver.recoverStalled(['default'], now, LEASE_MS, newToken(), 1);

      const change = batchOf(await settle(driver, fresh!, completed(), now));
      const late = await settle(driver, stale, completed(), now + 1);

      expect(change.batch.processed).toBe(1);
      expect(late).toEqual({ ok: false });
      expect(await driver.getBatch(batch.id)).toMatchObject({ processed: 1, thenFired: false });
    });

    it('moves a failed member that is retried and then completes from failed to processed', async () => {
      const { batch } = await pushBatch(2, { allowFailures: true });
      const { job: failed } = await failNext(driver, T0 + 1);
      await runNext(driver, T0 + 2);
      expect(await driver.getBatch(batch.id)).toMatchObject({ failed: 1, processed: 1, finallyFired: true });

      expect(await driver.retryFailed({ ids: [failed.id] }, T0 + 3)).toEqual([failed.id]);
      const change = batchOf((await runNext(driver, T0 + 4)).result);

      expect(change.batch).toMatchObject({ processed: 2, failed: 0, failedJobIds: [] });
      expect(change.crossed).toEqual(crossed('then'));
    });

    it('counts a member cancelled while waiting, and reports the change', async () => {
      const { batch, jobs } = await pushBatch(1);

      const result = await driver.cancel(jobs[0]!.id, T0 + 1);

      expect(result?.state).toBe('cancelled');
      expect(batchOf(result).crossed).toEqual(crossed('finally'));
      expect(await driver.getBatch(batch.id)).toMatchObject({
        cancelled: 1,
        finallyFired: true,
        finishedAt: T0 + 1,
      });
      expect(await callbackStates(driver, batch)).toEqual([null, null, 'pending']);
    });

    it('publishes a batch event when the batch finishes', async () => {
      const { batch } = await pushBatch(1);
      const log = await recordEvents(driver);

      await runNext(driver, T0 + 1);

      expect(await log.waitFor((event) => event.type === 'batch' && event.finished)).toEqual({
        type: 'batch',
        batchId: batch.id,
        finished: true,
      });
    });
  });
}
