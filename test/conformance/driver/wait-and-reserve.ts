import { setTimeout as sleep } from 'node:timers/promises';
import type { Driver, ReserveRequest, ReserveResult } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  LEASE_MS,
  LONG_WAIT_MS,
  newJob,
  PATIENCE_MS,
  type ReserveOptions,
  reserve,
  reserveRequest,
  within,
} from './fixtures.js';

/**
 * How far a driver's measure of the time that passed may run ahead of this process's (Redis measures it on
 * its server clock, corrected by an estimated offset).
 */
const CLOCK_TOLERANCE_MS = 50;
/** How long a test lets real time pass between the call and the push that wakes it. */
const WAITED_MS = 150;

/**
 * Core calls `waitAndReserve` only when its clock is the system clock, so these tests use real time as `now`
 * (pushes included, so a pushed job is due when the reserve runs).
 */
export function waitAndReserveSuite(factory: DriverFactory): void {
  describe('waitAndReserve', () => {
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

    /** Real time as `now` (see above). */
    const request = (options: ReserveOptions = {}) => reserveRequest(Date.now(), options);

    /**
     * A job pushed `pauseMs` after a waitAndReserve began (at once when 0) is what that call takes, no later than
     * the call's end and with the lease from its start time. Returns the job and what was taken.
     */
    async function takenAfterPush(req: ReserveRequest, pauseMs = 0) {
      const before = performance.now();
      const waiting = driver.waitAndReserve(req, LONG_WAIT_MS, abort.signal);
      const job = newJob();
      // Real time passing is what a pause measures (not a way to wait for the driver): the reserve runs after
      // the push, so at least pauseMs after the call.
      if (pauseMs > 0) await sleep(pauseMs);
      await driver.push({ jobs: [job] }, Date.now());

      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
      const elapsed = performance.now() - before;
      const result = await waiting;
      expect(result?.jobs.map((j) => j.id)).toEqual([job.id]);
      const taken = result!.jobs[0]!;
      expect(taken.startedAt).toBeLessThanOrEqual(req.now + elapsed + CLOCK_TOLERANCE_MS);
      expect(taken.leaseExpiresAt).toBe(taken.startedAt! + LEASE_MS);
      return { job, taken };
    }

    it('takes a job pushed after the call, at the time it takes it', async () => {
      const req = request({ max: 1, workerId: 'worker-7' });
      const { job, taken } = await takenAfterPush(req);
      expect(taken).toMatchObject({
        state: 'processing',
        attempts: 1,
        token: req.token,
        workerId: 'worker-7',
      });
      expect(taken.startedAt).toBeGreaterThanOrEqual(req.now);
      expect(await driver.get(job.id)).toMatchObject({
        state: 'processing',
        attempts: 1,
        workerId: 'worker-7',
      });
    });

    it('reserves at request.now plus the time the wait took: a job pushed 150 ms into the wait starts no earlier', async () => {
      const req = request({ max: 1 });
      const { taken } = await takenAfterPush(req, WAITED_MS);
      expect(taken.startedAt).toBeGreaterThanOrEqual(req.now + WAITED_MS - CLOCK_TOLERANCE_MS);
    });

    it('resolves at once with a job that is already ready', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, Date.now());

      const waiting = driver.waitAndReserve(request(), LONG_WAIT_MS, abort.signal);

      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
      const result = await waiting;
      expect(result?.jobs.map((j) => j.id)).toEqual([job.id]);
      expect(result?.jobs[0]).toMatchObject({ state: 'processing', attempts: 1 });
    });

    it('takes at most max jobs and leaves the rest pending', async () => {
      const jobs = [newJob(), newJob(), newJob()];
      await driver.push({ jobs }, Date.now());

      const waiting = driver.waitAndReserve(request({ max: 2 }), LONG_WAIT_MS, abort.signal);

      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
      const result = await waiting;
      expect(result?.jobs.map((j) => j.id)).toEqual([jobs[0]!.id, jobs[1]!.id]);
      expect(await driver.counts('default')).toMatchObject({ pending: 1, processing: 2 });
      expect((await driver.get(jobs[2]!.id))?.state).toBe('pending');
    });

    it('takes in strict queue order, as reserve does, when work arrives for several queues at once', async () => {
      const req = request({ queues: ['high', 'low'], max: 1 });
      const waiting = driver.waitAndReserve(req, LONG_WAIT_MS, abort.signal);
      const low = newJob({ queue: 'low' });
      const high = newJob({ queue: 'high' });

      await driver.push({ jobs: [low, high] }, Date.now());

      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
      expect((await waiting)?.jobs.map((j) => j.id)).toEqual([high.id]);
      expect((await driver.get(low.id))?.state).toBe('pending');
    });

    it('resolves null, without rejecting, when the signal aborts first, and takes nothing pushed afterwards', async () => {
      const waiting = driver.waitAndReserve(request(), LONG_WAIT_MS, abort.signal);

      abort.abort();

      await expect(within(waiting, PATIENCE_MS)).resolves.toBe('resolved');
      await expect(waiting).resolves.toBeNull();

      const job = newJob();
      await driver.push({ jobs: [job] }, Date.now());
      // A driver may have taken it for the aborted call (Redis: a reserve behind a blocking pop); it must then
      // hand it back as it was: pending, the attempt not counted.
      const back = await eventually(async () => {
        const record = await driver.get(job.id);
        return record?.state === 'pending' && record.attempts === 0 ? record : null;
      });
      expect(back).toMatchObject({ state: 'pending', attempts: 0, workerId: null });
      const next = await eventually(async () => (await reserve(driver, Date.now())).jobs[0] ?? null);
      expect(next).toMatchObject({ id: job.id, state: 'processing', attempts: 1 });
    });

    it('resolves null at once for a signal that already aborted, taking nothing', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, Date.now());
      abort.abort();

      const waiting = driver.waitAndReserve(request(), LONG_WAIT_MS, abort.signal);

      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
      await expect(waiting).resolves.toBeNull();
      expect(await driver.get(job.id)).toMatchObject({ state: 'pending', attempts: 0 });
    });

    it('resolves with no jobs after about timeoutMs when nothing arrives', async () => {
      const waiting: Promise<ReserveResult | null> = driver.waitAndReserve(request(), 50, abort.signal);

      expect(await within(waiting, PATIENCE_MS)).toBe('resolved');
      expect(await waiting).toMatchObject({ jobs: [] });
    });
  });
}

/** Polls `probe` every few ms until it returns a value other than null; fails after PATIENCE_MS. */
async function eventually<T>(probe: () => Promise<T | null>): Promise<T> {
  const deadline = performance.now() + PATIENCE_MS;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (performance.now() >= deadline) throw new Error(`condition not met within ${PATIENCE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
