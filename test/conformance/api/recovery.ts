import { type AttemptAbortedError, Job, type JobContext, StalledError } from '@conveyor/core';
import { describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  collect,
  deferred,
  eventFor,
  recordOf,
  SECOND,
  settleTurns,
  useHarness,
  within,
} from './fixtures.js';

/** Leases: stalled recovery after a lease expires, fencing of stale tokens, and the heartbeat. */
export function recoverySuite(factory: DriverFactory): void {
  describe('api: leases and stalled jobs', () => {
    const h = useHarness(factory);

    /** A worker that takes the next job and then dies: it never settles or renews its lease. */
    async function crashWhileRunning(leaseMs: number) {
      const { jobs } = await h.driver.reserve({
        queues: ['default'],
        max: 1,
        leaseMs,
        workerId: 'crashed-worker',
        token: 'token-of-the-crashed-worker',
        now: h.clock.now(),
      });
      expect(jobs).toHaveLength(1);
      return jobs[0]!;
    }

    it('recovers a job whose lease expired and retries it with its backoff', async () => {
      const runs: number[] = [];
      class Crashy extends Job<string> {
        static maxAttempts = 3;
        static backoff = 5 * SECOND;
        handle(ctx: JobContext) {
          runs.push(ctx.attempt);
          return 'recovered';
        }
      }
      const conveyor = h.conveyor([Crashy]);
      const job = await conveyor.dispatch(new Crashy());
      await crashWhileRunning(10 * SECOND);
      const worker = h.worker(conveyor);
      const stalled = collect(worker, 'stalled');
      const retrying = collect(conveyor, 'retrying');

      await h.clock.advance(10 * SECOND - 1);
      expect(await worker.drain()).toBe(0);
      expect(await job.status()).toBe('processing');
      expect(stalled).toEqual([]);

      await h.clock.advance(2);
      expect(await worker.drain()).toBe(0);
      expect(stalled.map(([info]) => info)).toEqual([
        { id: job.id, name: 'Crashy', queue: 'default', attempt: 1 },
      ]);
      expect(retrying).toHaveLength(1);
      expect(retrying[0]![1]).toBeInstanceOf(StalledError);
      let record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({
        state: 'retrying',
        attempts: 1,
        availableAt: h.clock.now() + 5 * SECOND,
      });
      expect(record.errors).toMatchObject([{ name: 'StalledError', attempt: 1 }]);

      await h.clock.advance(5 * SECOND);
      expect(await worker.drain()).toBe(1);
      record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({ state: 'completed', attempts: 2 });
      expect(runs).toEqual([2]);
    });

    it('fails a stalled job on its last attempt, with StalledError and the failed() hook once', async () => {
      const hook: Error[] = [];
      class Crashy extends Job {
        constructor(public to: string) {
          super();
        }
        handle() {}
        override failed(error: Error, ctx: JobContext) {
          expect(this.to).toBe('a@b.c');
          expect(ctx.attempt).toBe(1);
          hook.push(error);
        }
      }
      const conveyor = h.conveyor([Crashy]);
      const job = await conveyor.dispatch(new Crashy('a@b.c'));
      await crashWhileRunning(SECOND);
      const worker = h.worker(conveyor);
      const failed = collect(worker, 'failed');
      await h.clock.advance(2 * SECOND);
      expect(await worker.drain()).toBe(0);
      const record = await recordOf(h.driver, job.id);
      expect(record.state).toBe('failed');
      expect(record.errors).toMatchObject([{ name: 'StalledError', attempt: 1 }]);
      expect(hook).toHaveLength(1);
      expect(hook[0]).toBeInstanceOf(StalledError);
      expect(failed.map(([info]) => info.id)).toEqual([job.id]);
      await h.clock.advance('1h');
      expect(await worker.drain()).toBe(0);
      expect(hook).toHaveLength(1);
    });

    it('cancels, rather than retries, a stalled job that was asked to cancel while its worker was gone', async () => {
      let runs = 0;
      class Crashy extends Job {
        static maxAttempts = 3;
        handle() {
          runs++;
        }
      }
      const conveyor = h.conveyor([Crashy]);
      const job = await conveyor.dispatch(new Crashy());
      await crashWhileRunning(SECOND);
      expect(await job.cancel()).toBe('processing');
      const worker = h.worker(conveyor);
      const cancelled = collect(worker, 'cancelled');
      await h.clock.advance(2 * SECOND);
      expect(await worker.drain()).toBe(0);
      expect(await job.status()).toBe('cancelled');
      expect(cancelled.map(([info]) => info.id)).toEqual([job.id]);
      await h.clock.advance('1h');
      expect(await worker.drain()).toBe(0);
      expect(runs).toBe(0);
    });

    it('refuses a settle with the stale token of the crashed holder (fencing)', async () => {
      class Crashy extends Job {
        static maxAttempts = 2;
        handle() {
          return 'second run';
        }
      }
      const conveyor = h.conveyor([Crashy]);
      const job = await conveyor.dispatch(new Crashy());
      const stale = await crashWhileRunning(SECOND);
      await h.clock.advance(2 * SECOND);
      expect(await h.worker(conveyor).drain()).toBe(1);
      const before = await recordOf(h.driver, job.id);
      expect(before).toMatchObject({ state: 'completed', attempts: 2 });

      const [late] = await h.driver.settle(
        [{ jobId: stale.id, token: stale.token, outcome: { type: 'completed', result: null } }],
        h.clock.now(),
      );
      expect(late).toEqual({ ok: false });
      expect(await recordOf(h.driver, job.id)).toEqual(before);
    });

    it('recovers stalled jobs on its own timer when started, driven by the clock', async () => {
      class Crashy extends Job {
        static maxAttempts = 2;
        handle() {}
      }
      const conveyor = h.conveyor([Crashy]);
      const job = await conveyor.dispatch(new Crashy());
      await crashWhileRunning(30 * SECOND);
      const worker = h.worker(conveyor, { stalledInterval: '5s' });
      const stalled = eventFor(worker, 'stalled', job.id);
      const completed = eventFor(worker, 'completed', job.id);
      await worker.start();
      await h.clock.advance(30 * SECOND);
      expect(await job.status()).toBe('processing');
      await h.clock.advance(5 * SECOND);
      await stalled;
      await completed;
      expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'completed', attempts: 2 });
    });

    it('keeps a long job leased with the heartbeat: nobody recovers it', async () => {
      const gate = deferred();
      class Long extends Job {
        async handle() {
          await gate.promise;
        }
      }
      const conveyor = h.conveyor([Long]);
      const job = await conveyor.dispatch(new Long());
      const worker = h.worker(conveyor, { lease: '3s', heartbeat: '1s' });
      const processing = eventFor(worker, 'processing', job.id);
      const run = worker.runOnce();
      await processing;
      for (let second = 1; second <= 30; second++) {
        await h.clock.advance(SECOND);
        // Read back after each beat (a read follows the renewal on the driver): the lease is always ahead.
        expect((await recordOf(h.driver, job.id)).leaseExpiresAt).toBeGreaterThan(h.clock.now());
      }
      const other = h.worker(conveyor);
      expect(await other.drain()).toBe(0);
      const record = await recordOf(h.driver, job.id);
      expect(record.state).toBe('processing');
      expect(record.leaseExpiresAt).toBeGreaterThan(h.clock.now());
      gate.resolve();
      expect(await within(run, 'runOnce')).toBe(1);
      expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'completed', attempts: 1 });
    });

    it('aborts a job whose lease was taken over and drops its result (no settle)', async () => {
      const gate = deferred<string>();
      let signal: AbortSignal | undefined;
      class Long extends Job<string> {
        handle(ctx: JobContext) {
          signal = ctx.signal;
          return gate.promise;
        }
      }
      const conveyor = h.conveyor([Long]);
      const job = await conveyor.dispatch(new Long());
      const worker = h.worker(conveyor, { lease: '3s', heartbeat: '1s' });
      const processing = eventFor(worker, 'processing', job.id);
      const run = worker.runOnce();
      await processing;
      // Another process whose clock runs an hour ahead takes the job over.
      const [thief] = await h.driver.recoverStalled(
        ['default'],
        h.clock.now() + 3_600_000,
        30_000,
        'thief',
        10,
      );
      expect(thief?.id).toBe(job.id);

      await h.clock.advance(SECOND); // the heartbeat learns the lease is lost
      expect(await within(run, 'runOnce')).toBe(1);
      expect(signal!.aborted).toBe(true);
      expect((signal!.reason as AttemptAbortedError).reason).toBe('lease-lost');
      gate.resolve('too late');
      await settleTurns();
      const record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({ state: 'processing', result: null });
      const [settled] = await h.driver.settle(
        [{ jobId: job.id, token: 'thief', outcome: { type: 'completed', result: null } }],
        h.clock.now(),
      );
      expect(settled).toMatchObject({ ok: true, state: 'completed' });
    });
  });
}
