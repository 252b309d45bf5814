import { ConfigurationError, Job, type JobContext, Queue, UnknownJobError, Worker } from '@conveyor/core';
import { describe, expect, it, vi } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  collect,
  type Emitter,
  MINUTE,
  PATIENCE_MS,
  recordOf,
  SECOND,
  useHarness,
  within,
} from './fixtures.js';

/** Worker options, the jobs allowlist, events, and the retention sweeper. */
export function workerSetupSuite(factory: DriverFactory): void {
  describe('api: worker setup, events and retention', () => {
    const h = useHarness(factory);

    it('rejects bad options with a ConfigurationError quoting the value', () => {
      const conveyor = h.conveyor();
      const bad: Array<[object, RegExp]> = [
        [{ concurrency: 0 }, /concurrency 0/],
        [{ concurrency: 2.5 }, /concurrency 2\.5/],
        [{ concurrency: '4' }, /concurrency "4"/],
        [{ lease: 'soon' }, /lease "soon"/],
        [{ lease: -1 }, /lease -1/],
        [{ lease: '10s', heartbeat: '10s' }, /heartbeat "10s"/],
        [{ idleWait: '5 minutes' }, /idleWait "5 minutes"/],
        [{ stalledInterval: 0 }, /stalledInterval 0/],
        [{ sweepInterval: Number.NaN }, /sweepInterval NaN/],
        [{ queues: [] }, /queues \[\]/],
        [{ queues: ['ok', 'has space'] }, /"has space"/],
        [{ queues: ['a', 'a'] }, /\["a","a"\]/],
        [{ id: '' }, /id ""/],
        [{ settles: 'eventually' }, /settles "eventually".*'stored' or 'pipelined'/],
        [{ settles: 'pipelined', prefetch: -1 }, /prefetch -1: use a whole number >= 0/],
        [{ settles: 'pipelined', prefetch: 1.5 }, /prefetch 1\.5: use a whole number >= 0/],
        [{ settles: 'pipelined', prefetch: '8' }, /prefetch "8": use a whole number >= 0/],
        [{ settles: 'pipelined', prefetch: Number.NaN }, /prefetch NaN: use a whole number >= 0/],
        [{ prefetch: 4 }, /prefetch 4: it applies to settles: 'pipelined' only/],
        [{ settles: 'stored', prefetch: 0 }, /prefetch 0: it applies to settles: 'pipelined' only/],
      ];
      for (const [options, message] of bad) {
        const make = () => new Worker({ conveyor, ...options });
        expect(make).toThrow(ConfigurationError);
        expect(make).toThrow(message);
      }
      for (const prefetch of [0, 1, 16]) {
        expect(() => new Worker({ conveyor, settles: 'pipelined', prefetch })).not.toThrow();
      }
      const worker = new Worker({ conveyor });
      expect(worker.queues).toEqual(['default']);
      expect(worker.concurrency).toBe(1);
      expect(worker.id).toMatch(/.+:\d+:.+/);
    });

    it('sends a job of an unknown name to failed, naming the class and saying to register it; it can be retried after registering', async () => {
      class Unlisted extends Job<string> {
        static jobName = 'reports.Unlisted';
        static maxAttempts = 3;
        handle() {
          return 'ran';
        }
      }
      const conveyor = h.conveyor();
      const job = await conveyor.dispatch(new Unlisted());
      const worker = h.worker(conveyor);
      const failed = collect(worker, 'failed');
      expect(await worker.drain()).toBe(1);
      const record = await recordOf(h.driver, job.id);
      expect(record.state).toBe('failed');
      expect(record.errors).toHaveLength(1);
      expect(record.errors[0]!.name).toBe('UnknownJobError');
      expect(record.errors[0]!.message).toContain('"reports.Unlisted"');
      expect(record.errors[0]!.message).toMatch(/register|jobs/);
      expect(failed[0]![1]).toBeInstanceOf(UnknownJobError);

      const deployed = h.worker(conveyor, { jobs: [Unlisted] });
      expect(await conveyor.retry(job.id)).toEqual([job.id]);
      expect(await deployed.drain()).toBe(1);
      expect(await job.result()).toBe('ran');
    });

    it('sends a stored job that does not parse to failed, with no retry, and goes on', async () => {
      class Parsed extends Job {
        static maxAttempts = 3;
        handle() {}
      }
      const conveyor = h.conveyor([Parsed]);
      const good = await conveyor.dispatch(new Parsed());
      const prepared = conveyor.prepare(new Parsed(), {});
      await h.driver.push({ jobs: [{ ...prepared, payload: '{not json' }] }, h.clock.now());
      const worker = h.worker(conveyor);
      expect(await worker.drain()).toBe(2);
      const record = await recordOf(h.driver, prepared.id);
      expect(record).toMatchObject({ state: 'failed', attempts: 1 });
      expect(record.errors).toMatchObject([{ name: 'ParseError' }]);
      expect(await good.status()).toBe('completed');
    });

    it('uses the default Queue when given no conveyor', async () => {
      class OnQueue extends Job<number> {
        handle() {
          return 42;
        }
      }
      Queue.use(h.driver);
      const worker = new Worker({ jobs: [OnQueue], queues: ['default-queue-test'] });
      try {
        expect(() => worker.conveyor).toThrow(ConfigurationError); // bound when it starts
        await worker.start();
        expect(worker.conveyor).toBe(Queue);
        const job = await Queue.dispatch(new OnQueue()).onQueue('default-queue-test');
        expect(await within(job.wait(), 'job.wait()')).toBe(42);
      } finally {
        await worker.close({ timeout: 0 });
      }
    });

    it('knows the jobs of its own list and those registered on the conveyor later', async () => {
      class Listed extends Job {
        handle() {}
      }
      class Registered extends Job {
        handle() {}
      }
      const conveyor = h.conveyor();
      const worker = h.worker(conveyor, { jobs: [Listed] });
      conveyor.register(Registered);
      const a = await conveyor.dispatch(new Listed());
      const b = await conveyor.dispatch(new Registered());
      expect(await worker.drain()).toBe(2);
      expect(await a.status()).toBe('completed');
      expect(await b.status()).toBe('completed');
    });

    it('emits every event on the worker and on the conveyor', async () => {
      let releasedOnce = false;
      class Events extends Job<{ ok: boolean }> {
        static maxAttempts = 2;
        static backoff = SECOND;
        constructor(public mode: 'ok' | 'flaky' | 'fail' | 'release') {
          super();
        }
        async handle(ctx: JobContext) {
          await ctx.progress(10);
          if (this.mode === 'fail' || (this.mode === 'flaky' && ctx.attempt === 1))
            throw new Error(this.mode);
          if (this.mode === 'release' && !releasedOnce) {
            releasedOnce = true;
            return ctx.release(0);
          }
          return { ok: true };
        }
      }
      const conveyor = h.conveyor([Events]);
      const worker = h.worker(conveyor);
      const events = (emitter: Emitter) => ({
        processing: collect(emitter, 'processing'),
        completed: collect(emitter, 'completed'),
        retrying: collect(emitter, 'retrying'),
        failed: collect(emitter, 'failed'),
        released: collect(emitter, 'released'),
        progress: collect(emitter, 'progress'),
      });
      const onWorker = events(worker);
      const onConveyor = events(conveyor);
      const dispatched = collect(conveyor, 'dispatched');

      const ok = await conveyor.dispatch(new Events('ok'));
      const flaky = await conveyor.dispatch(new Events('flaky'));
      const fail = await conveyor.dispatch(new Events('fail')).maxAttempts(1);
      const t0 = h.clock.now();
      expect(dispatched.map(([info]) => info.id)).toEqual([ok.id, flaky.id, fail.id]);
      expect(await worker.drain()).toBe(3);
      await h.clock.advance(SECOND);
      expect(await worker.drain()).toBe(1);

      for (const seen of [onWorker, onConveyor]) {
        expect(seen.processing.map(([info]) => [info.id, info.attempt])).toEqual([
          [ok.id, 1],
          [flaky.id, 1],
          [fail.id, 1],
          [flaky.id, 2],
        ]);
        expect(seen.processing[0]![0]).toEqual({ id: ok.id, name: 'Events', queue: 'default', attempt: 1 });
        expect(seen.completed.map(([info, result]) => [info.id, result])).toEqual([
          [ok.id, { ok: true }],
          [flaky.id, { ok: true }],
        ]);
        expect(seen.retrying.map(([info, error, at]) => [info.id, error.message, at])).toEqual([
          [flaky.id, 'flaky', t0 + SECOND],
        ]);
        expect(seen.failed.map(([info, error]) => [info.id, error.message])).toEqual([[fail.id, 'fail']]);
        expect(seen.progress.map(([info, value]) => [info.id, value])).toHaveLength(4);
      }

      const release = await conveyor.dispatch(new Events('release'));
      expect(await worker.drain()).toBe(2);
      for (const seen of [onWorker, onConveyor]) {
        expect(seen.released.map(([info, at]) => [info.id, at])).toEqual([[release.id, h.clock.now()]]);
      }
    });

    it('sweeps finished jobs older than the retention age', async () => {
      class Outcome extends Job {
        constructor(public fail: boolean) {
          super();
        }
        handle() {
          if (this.fail) throw new Error('failed on purpose');
        }
      }
      const conveyor = h.conveyor([Outcome], {
        retention: { completed: { age: '1h' }, failed: { age: '1d' } },
      });
      const done = await conveyor.dispatch(new Outcome(false));
      const failed = await conveyor.dispatch(new Outcome(true));
      expect(await conveyor.drain()).toBe(2);
      const worker = h.worker(conveyor, { sweepInterval: '10m' });
      const errors = collect(worker, 'error');
      await worker.start();
      await h.clock.advance(50 * MINUTE);
      expect(await done.status()).toBe('completed');
      await h.clock.advance(20 * MINUTE);
      await vi.waitFor(
        async () =>
          expect({ stored: await h.driver.get(done.id), errors }).toEqual({ stored: null, errors: [] }),
        { timeout: PATIENCE_MS },
      );
      expect(await failed.status()).toBe('failed');
      await h.clock.advance('1d');
      await vi.waitFor(
        async () =>
          expect({ stored: await h.driver.get(failed.id), errors }).toEqual({ stored: null, errors: [] }),
        {
          timeout: PATIENCE_MS,
        },
      );
    });

    it('sweeps finished jobs beyond the retention count, oldest first', async () => {
      class Noop extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Noop], { retention: { completed: { age: '1d', count: 2 } } });
      const jobs = [];
      for (let i = 0; i < 5; i++) {
        jobs.push(await conveyor.dispatch(new Noop()));
        expect(await conveyor.drain()).toBe(1);
        await h.clock.advance(SECOND);
      }
      const worker = h.worker(conveyor);
      const errors = collect(worker, 'error');
      await worker.start(); // sweeps once at start
      const left = async () => ({ completed: (await conveyor.counts()).completed, errors });
      await vi.waitFor(async () => expect(await left()).toEqual({ completed: 2, errors: [] }), {
        timeout: PATIENCE_MS,
      });
      expect(await Promise.all(jobs.map((job) => job.status()))).toEqual([
        null,
        null,
        null,
        'completed',
        'completed',
      ]);
    });
  });
}
