import { Job, type JobContext, UnrecoverableError } from '@conveyor/core';
import { describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { recordOf, SECOND, useHarness } from './fixtures.js';

/** Retries, backoff of every kind, attempts, retryUntil, unrecoverable failures, release and the failed() hook. */
export function retriesSuite(factory: DriverFactory): void {
  describe('api: retries and backoff', () => {
    const h = useHarness(factory);

    /** A job class that always throws, counting its runs. */
    function alwaysFails(statics: { maxAttempts?: number; backoff?: unknown } = {}) {
      const runs: number[] = [];
      class AlwaysFails extends Job {
        handle(ctx: JobContext) {
          runs.push(ctx.attempt);
          throw new Error(`attempt ${ctx.attempt} failed`);
        }
      }
      Object.assign(AlwaysFails, statics);
      return { runs, AlwaysFails };
    }

    /**
     * Runs what is due, then checks that the job waits exactly `delays[i]` ms before attempt i + 2: it does not
     * run one ms early, and runs once the clock reaches its availableAt.
     */
    async function expectDelays(jobId: string, conveyor: ReturnType<typeof h.conveyor>, delays: number[]) {
      expect(await conveyor.drain()).toBe(1);
      for (const [i, delay] of delays.entries()) {
        const record = await recordOf(h.driver, jobId);
        expect(record.state).toBe('retrying');
        expect(record.attempts).toBe(i + 1);
        expect(record.availableAt - h.clock.now()).toBe(delay);
        if (delay > 0) {
          await h.clock.advance(delay - 1);
          expect(await conveyor.drain()).toBe(0);
          await h.clock.advance(1);
        }
        expect(await conveyor.drain()).toBe(1);
      }
    }

    it('retries after a fixed backoff', async () => {
      const { runs, AlwaysFails } = alwaysFails({ maxAttempts: 3, backoff: 1_500 });
      const conveyor = h.conveyor([AlwaysFails]);
      const job = await conveyor.dispatch(new AlwaysFails());
      await expectDelays(job.id, conveyor, [1_500, 1_500]);
      expect(runs).toEqual([1, 2, 3]);
      expect(await job.status()).toBe('failed');
    });

    it('retries after array backoffs, the last one repeating', async () => {
      const { runs, AlwaysFails } = alwaysFails({ maxAttempts: 5, backoff: [1_000, 5_000, 7_000] });
      const conveyor = h.conveyor([AlwaysFails]);
      const job = await conveyor.dispatch(new AlwaysFails());
      await expectDelays(job.id, conveyor, [1_000, 5_000, 7_000, 7_000]);
      expect(runs).toEqual([1, 2, 3, 4, 5]);
    });

    it('retries after exponential backoffs, capped at max', async () => {
      const { AlwaysFails } = alwaysFails({
        maxAttempts: 5,
        backoff: { type: 'exponential', delay: 1_000, factor: 3, max: 20_000 },
      });
      const conveyor = h.conveyor([AlwaysFails]);
      const job = await conveyor.dispatch(new AlwaysFails());
      await expectDelays(job.id, conveyor, [1_000, 3_000, 9_000, 20_000]);
    });

    it('uses a dispatch-time backoff over the class static', async () => {
      const { AlwaysFails } = alwaysFails({ maxAttempts: 3, backoff: 60_000 });
      const conveyor = h.conveyor([AlwaysFails]);
      const job = await conveyor.dispatch(new AlwaysFails()).backoff({ type: 'exponential', delay: 500 });
      await expectDelays(job.id, conveyor, [500, 1_000]);
    });

    it('keeps exponential backoff with jitter within [delay/2, delay]', async () => {
      const { AlwaysFails } = alwaysFails({ maxAttempts: 6 });
      const conveyor = h.conveyor([AlwaysFails]);
      const job = await conveyor
        .dispatch(new AlwaysFails())
        .backoff({ type: 'exponential', delay: 8_000, factor: 2, jitter: true });
      expect(await conveyor.drain()).toBe(1);
      for (let attempt = 1; attempt < 6; attempt++) {
        const record = await recordOf(h.driver, job.id);
        const base = 8_000 * 2 ** (attempt - 1);
        const waited = record.availableAt - h.clock.now();
        expect(waited).toBeGreaterThanOrEqual(base / 2);
        expect(waited).toBeLessThanOrEqual(base);
        if (waited > 0) {
          await h.clock.advance(waited - 1);
          expect(await conveyor.drain()).toBe(0);
          await h.clock.advance(1);
        }
        expect(await conveyor.drain()).toBe(1);
      }
      expect(await job.status()).toBe('failed');
    });

    it('retries after a static backoff function given the attempt and the error', async () => {
      const seen: Array<[number, string]> = [];
      const { AlwaysFails } = alwaysFails({
        maxAttempts: 4,
        backoff: (attempt: number, error: Error) => {
          seen.push([attempt, error.message]);
          return attempt * 700;
        },
      });
      const conveyor = h.conveyor([AlwaysFails]);
      const job = await conveyor.dispatch(new AlwaysFails());
      await expectDelays(job.id, conveyor, [700, 1_400, 2_100]);
      expect(seen).toEqual([
        [1, 'attempt 1 failed'],
        [2, 'attempt 2 failed'],
        [3, 'attempt 3 failed'],
      ]);
    });

    it('runs a retry due at once (no backoff) in the same drain', async () => {
      const { runs, AlwaysFails } = alwaysFails({ maxAttempts: 3 });
      const conveyor = h.conveyor([AlwaysFails]);
      const job = await conveyor.dispatch(new AlwaysFails());
      expect(await conveyor.drain()).toBe(3);
      expect(runs).toEqual([1, 2, 3]);
      expect(await job.status()).toBe('failed');
    });

    it('makes one attempt by default (maxAttempts 1, no retry)', async () => {
      const { runs, AlwaysFails } = alwaysFails();
      const conveyor = h.conveyor([AlwaysFails]);
      const job = await conveyor.dispatch(new AlwaysFails());
      expect(await conveyor.drain()).toBe(1);
      await h.clock.advance('1h');
      expect(await conveyor.drain()).toBe(0);
      expect(runs).toEqual([1]);
      expect(await recordOf(h.driver, job.id)).toMatchObject({
        state: 'failed',
        attempts: 1,
        maxAttempts: 1,
      });
    });

    it('stops retrying once retryUntil has passed, whatever the attempts left', async () => {
      const { runs, AlwaysFails } = alwaysFails({ maxAttempts: 100, backoff: 1_000 });
      const conveyor = h.conveyor([AlwaysFails]);
      const until = new Date(h.clock.now() + 2_500);
      const job = await conveyor.dispatch(new AlwaysFails()).retryUntil(until);
      expect(await conveyor.drain()).toBe(1); // fails at t0: retry at t0 + 1 s
      await h.clock.advance(SECOND);
      expect(await conveyor.drain()).toBe(1); // fails at t0 + 1 s: retry at t0 + 2 s
      expect(await job.status()).toBe('retrying');
      await h.clock.advance(SECOND);
      expect(await conveyor.drain()).toBe(1); // fails at t0 + 2 s: the next try (t0 + 3 s) is past retryUntil
      expect(await job.status()).toBe('failed');
      expect(runs).toEqual([1, 2, 3]);

      const late = await conveyor.dispatch(new AlwaysFails()).retryUntil(new Date(h.clock.now() - 1));
      expect(await conveyor.drain()).toBe(1);
      expect(await late.status()).toBe('failed');
    });

    it('fails at once on an UnrecoverableError, with no retry', async () => {
      let runs = 0;
      class Invalid extends Job {
        static maxAttempts = 5;
        handle() {
          runs++;
          throw new UnrecoverableError('the input is invalid');
        }
      }
      const conveyor = h.conveyor([Invalid]);
      const job = await conveyor.dispatch(new Invalid());
      expect(await conveyor.drain()).toBe(1);
      expect(runs).toBe(1);
      const record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({ state: 'failed', attempts: 1 });
      expect(record.errors).toMatchObject([{ name: 'UnrecoverableError', message: 'the input is invalid' }]);
    });

    it('fails at once on ctx.fail(), even when the handler swallows what it throws', async () => {
      let runs = 0;
      class Gives extends Job {
        static maxAttempts = 5;
        constructor(public swallow: boolean) {
          super();
        }
        handle(ctx: JobContext) {
          runs++;
          try {
            return ctx.fail('no such user');
          } catch (error) {
            if (!this.swallow) throw error;
            return 'swallowed';
          }
        }
      }
      const conveyor = h.conveyor([Gives]);
      const thrown = await conveyor.dispatch(new Gives(false));
      const swallowed = await conveyor.dispatch(new Gives(true));
      expect(await conveyor.drain()).toBe(2);
      expect(runs).toBe(2);
      for (const job of [thrown, swallowed]) {
        const record = await recordOf(h.driver, job.id);
        expect(record).toMatchObject({ state: 'failed', attempts: 1, result: null });
        expect(record.errors[0]!.message).toBe('no such user');
      }
    });

    it('puts a job back with ctx.release(delay) without using up an attempt', async () => {
      const attempts: number[] = [];
      class Later extends Job<string> {
        handle(ctx: JobContext) {
          attempts.push(ctx.attempt);
          if (attempts.length < 3) return ctx.release('10s');
          return 'done';
        }
      }
      const conveyor = h.conveyor([Later]);
      const t0 = h.clock.now();
      const job = await conveyor.dispatch(new Later()); // maxAttempts 1
      expect(await conveyor.drain()).toBe(1);
      let record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({ attempts: 0, availableAt: t0 + 10 * SECOND, errors: [] });
      expect(['delayed', 'pending']).toContain(record.state);
      await h.clock.advance(10 * SECOND - 1);
      expect(await conveyor.drain()).toBe(0);
      await h.clock.advance(1);
      expect(await conveyor.drain()).toBe(1);
      await h.clock.advance(10 * SECOND);
      expect(await conveyor.drain()).toBe(1);
      record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({ state: 'completed', attempts: 1 });
      expect(attempts).toEqual([1, 1, 1]);
      expect(await job.result()).toBe('done');
    });

    it('calls failed() exactly once, after the final failure and not between retries', async () => {
      const hook: Array<{ message: string; attempt: number; name: string }> = [];
      class Doomed extends Job {
        static maxAttempts = 3;
        static backoff = 1_000;
        constructor(public name: string) {
          super();
        }
        handle(ctx: JobContext) {
          throw new Error(`doomed ${ctx.attempt}`);
        }
        override failed(error: Error, ctx: JobContext) {
          hook.push({ message: error.message, attempt: ctx.attempt, name: this.name });
        }
      }
      const conveyor = h.conveyor([Doomed]);
      const job = await conveyor.dispatch(new Doomed('payload survives'));
      expect(await conveyor.drain()).toBe(1);
      expect(hook).toEqual([]);
      await h.clock.advance(SECOND);
      expect(await conveyor.drain()).toBe(1);
      expect(hook).toEqual([]);
      await h.clock.advance(SECOND);
      expect(await conveyor.drain()).toBe(1);
      expect(hook).toEqual([{ message: 'doomed 3', attempt: 3, name: 'payload survives' }]);
      await h.clock.advance('1h');
      expect(await conveyor.drain()).toBe(0);
      expect(hook).toHaveLength(1);
      expect(await job.status()).toBe('failed');
    });

    it('reports a failed() hook that throws as an error event and still fails the job once', async () => {
      class BadHook extends Job {
        handle(): void {
          throw new Error('handler');
        }
        override failed(): void {
          throw new Error('hook exploded');
        }
      }
      const conveyor = h.conveyor([BadHook]);
      const errors: Error[] = [];
      conveyor.on('error', (error) => errors.push(error));
      const failed: string[] = [];
      conveyor.on('failed', (info) => failed.push(info.id));
      const job = await conveyor.dispatch(new BadHook());
      expect(await conveyor.drain()).toBe(1);
      expect(await job.status()).toBe('failed');
      expect(failed).toEqual([job.id]);
      expect(errors.map((e) => e.message).join()).toContain('hook exploded');
    });
  });
}
