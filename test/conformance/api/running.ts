import {
  AttemptAbortedError,
  Conveyor,
  Job,
  type JobContext,
  type ReserveResult,
  systemClock,
  TimeoutError,
  type Worker,
} from '@conveyor/core';
import type { Driver } from '@conveyor/core/driver';
import { describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  collect,
  type Deferred,
  deferred,
  eventFor,
  forever,
  hasSettled,
  nextEvent,
  PATIENCE_MS,
  recordOf,
  SECOND,
  settleTurns,
  useHarness,
  within,
} from './fixtures.js';

/** A running job: concurrency, timeouts, cancellation, progress and graceful shutdown. */
export function runningSuite(factory: DriverFactory): void {
  describe('api: running jobs', () => {
    const h = useHarness(factory);

    it('runs up to `concurrency` jobs in parallel: all start before any finishes', async () => {
      const gate = deferred();
      const started: string[] = [];
      const finished: string[] = [];
      class Blocked extends Job {
        constructor(public tag: string) {
          super();
        }
        async handle() {
          started.push(this.tag);
          await gate.promise;
          finished.push(this.tag);
        }
      }
      const conveyor = h.conveyor([Blocked]);
      for (const tag of ['a', 'b', 'c', 'd', 'e']) await conveyor.dispatch(new Blocked(tag));
      const worker = h.worker(conveyor, { concurrency: 4 });
      let processing = 0;
      const fourStarted = nextEvent(worker, 'processing', () => ++processing === 4);
      await worker.start();
      await fourStarted;
      await settleTurns();
      expect(started).toEqual(['a', 'b', 'c', 'd']);
      expect(finished).toEqual([]);
      expect((await conveyor.counts()).processing).toBe(4);

      let completed = 0;
      const allDone = nextEvent(worker, 'completed', () => ++completed === 5);
      gate.resolve();
      await allDone;
      expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    });

    /**
     * `h.driver` with its settles (alone or with a reserve) held until `release()`; `held` resolves when the first
     * one arrives.
     */
    function holdSettles() {
      const held = deferred();
      const gate = deferred();
      const driver = h.driver;
      const gated = new Proxy(driver, {
        get(target, key) {
          if (key === 'settle' || key === 'settleAndReserve') {
            const method = (target[key] as (...args: unknown[]) => Promise<unknown>).bind(target);
            return async (...args: unknown[]) => {
              held.resolve();
              await gate.promise;
              return method(...args);
            };
          }
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return { driver: gated, held: held.promise, release: () => gate.resolve() };
    }

    class Tagged extends Job {
      static runs: string[] = [];
      static hang = new Set<string>();
      constructor(public tag: string) {
        super();
      }
      handle() {
        Tagged.runs.push(this.tag);
        return Tagged.hang.has(this.tag) ? forever() : undefined;
      }
    }

    it("settles: 'stored' (default) starts the next job only once the last one's outcome is stored", async () => {
      Tagged.runs = [];
      Tagged.hang = new Set();
      const settles = holdSettles();
      const conveyor = new Conveyor({ driver: settles.driver, clock: h.clock, jobs: [Tagged] });
      const a = await conveyor.dispatch(new Tagged('a'));
      await conveyor.dispatch(new Tagged('b'));
      const worker = h.worker(conveyor, { concurrency: 1 });
      await worker.start();
      await within(settles.held, "a's settle");
      await settleTurns();
      expect(Tagged.runs).toEqual(['a']);
      expect((await recordOf(h.driver, a.id)).state).toBe('processing');
      const bDone = nextEvent(worker, 'completed', (job) => job.id !== a.id);
      settles.release();
      await bDone;
      expect(Tagged.runs).toEqual(['a', 'b']);
    });

    it("settles: 'pipelined' starts the next job while the last one's outcome is stored, never more than `concurrency` at once", async () => {
      Tagged.runs = [];
      Tagged.hang = new Set(['b', 'c']);
      const settles = holdSettles();
      const conveyor = new Conveyor({ driver: settles.driver, clock: h.clock, jobs: [Tagged] });
      const a = await conveyor.dispatch(new Tagged('a'));
      for (const tag of ['b', 'c']) await conveyor.dispatch(new Tagged(tag));
      const worker = h.worker(conveyor, { concurrency: 1, settles: 'pipelined' });
      const completed = collect(worker, 'completed');
      let started = 0;
      const bStarted = nextEvent(worker, 'processing', () => ++started === 2);
      await worker.start();
      await within(settles.held, "a's settle");
      await bStarted;
      await settleTurns();
      // b runs while a's settle is held; c waits for b's slot (b never ends)
      expect(Tagged.runs).toEqual(['a', 'b']);
      expect((await recordOf(h.driver, a.id)).state).toBe('processing');
      expect(completed).toEqual([]);
      const aDone = eventFor(worker, 'completed', a.id);
      settles.release();
      await aDone;
      await settleTurns();
      expect(Tagged.runs).toEqual(['a', 'b']);
      expect((await recordOf(h.driver, a.id)).state).toBe('completed');
    });

    /** A driver call `recordCalls` watches, in the order calls began (test marks in between). */
    type Watched = 'reserve' | 'waitAndReserve' | 'waitForWork' | 'settleAndReserve';
    interface Entry {
      what: Watched | 'dispatch' | 'processing';
      /** For a call: its arguments and its reply (jobs of a reserve, null for an aborted waitAndReserve). */
      args?: unknown[];
      reply?: Promise<unknown>;
      /** For a mark: the job. */
      jobId?: string;
    }

    /**
     * `h.driver` with every `reserve`, `waitAndReserve`, `waitForWork` and `settleAndReserve` call logged as it
     * begins (with its arguments and reply), `mark` to log the test's own steps among them, `began(what, n)`:
     * resolves with the nth call of `what` (1-based) once it has begun, `reserves()`: the `max` of every reserve
     * so far, alone or sent with settles, and `nextReserve()`: the reply of the next one to begin.
     */
    function recordCalls() {
      const log: Entry[] = [];
      const waiters: Array<{ what: Watched; n: number; resolve: (entry: Entry) => void }> = [];
      const reserveWaiters: Array<(reply: Promise<unknown>) => void> = [];
      const driver = h.driver;
      const calls = (what: Watched) => log.filter((entry) => entry.what === what);
      const watched = new Proxy(driver, {
        get(target, key) {
          if (
            key === 'reserve' ||
            key === 'waitAndReserve' ||
            key === 'waitForWork' ||
            key === 'settleAndReserve'
          ) {
            const what: Watched = key;
            const method = (target[what] as (...args: unknown[]) => Promise<unknown>).bind(target);
            return (...args: unknown[]) => {
              const reply = method(...args);
              const entry: Entry = { what, args, reply };
              log.push(entry);
              const n = calls(what).length;
              for (const waiter of waiters.filter((w) => w.what === what && w.n === n)) waiter.resolve(entry);
              if (what === 'reserve' || what === 'settleAndReserve') {
                const reserve =
                  what === 'reserve' ? reply : reply.then((both) => (both as { reserved: unknown }).reserved);
                for (const resolve of reserveWaiters.splice(0)) resolve(reserve);
              }
              return reply;
            };
          }
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return {
        driver: watched,
        log,
        calls,
        mark: (what: 'dispatch' | 'processing', jobId?: string) => log.push({ what, jobId }),
        /** The reply of the next reserve to begin, alone or sent with settles. */
        nextReserve: () => new Promise<unknown>((resolve) => reserveWaiters.push((reply) => resolve(reply))),
        reserves: () =>
          log.flatMap((entry) => {
            if (entry.what === 'reserve') return [(entry.args![0] as { max: number }).max];
            if (entry.what === 'settleAndReserve') return [(entry.args![2] as { max: number }).max];
            return [];
          }),
        began: (what: Watched, n = 1) =>
          new Promise<Entry>((resolve) => {
            const existing = calls(what)[n - 1];
            if (existing) resolve(existing);
            else waiters.push({ what, n, resolve });
          }),
      };
    }

    // [prefetch, jobs held out of pending at concurrency 2]: the default holds `concurrency` ahead
    for (const [prefetch, held] of [
      [3, 5],
      [0, 2],
      [undefined, 4],
    ] as const) {
      it(`settles: 'pipelined', prefetch ${prefetch}: holds ${held} jobs out of pending at concurrency 2, runs at most 2 at once`, async () => {
        const gates = new Map<string, Deferred>();
        let started = 0;
        let running = 0;
        let most = 0;
        class Gated extends Job {
          constructor(public tag: string) {
            super();
          }
          async handle() {
            started++;
            most = Math.max(most, ++running);
            await gates.get(this.tag)!.promise;
            running--;
          }
        }
        const total = held + 3;
        const calls = recordCalls();
        // the `max` of every reserve so far (alone or with settles), and a promise of the next one's return
        const asked = calls.reserves;
        const reserved = calls.nextReserve;
        const conveyor = new Conveyor({ driver: calls.driver, clock: h.clock, jobs: [Gated] });
        const ids: string[] = [];
        for (let i = 0; i < total; i++) {
          gates.set(`j${i}`, deferred());
          ids.push((await conveyor.dispatch(new Gated(`j${i}`))).id);
        }
        const worker = h.worker(conveyor, { concurrency: 2, settles: 'pipelined', prefetch });
        let processing = 0;
        const twoStarted = nextEvent(worker, 'processing', () => ++processing === 2);
        await worker.start();
        await twoStarted;
        await settleTurns();
        const counts = async () => {
          const { pending, processing, completed } = await conveyor.counts();
          return { pending, processing, completed, started, running };
        };
        // two run, the rest of `held` is reserved ahead (leased, in `processing`), the others wait
        expect(asked()).toEqual([held]);
        expect(await counts()).toEqual({
          pending: total - held,
          processing: held,
          completed: 0,
          started: 2,
          running: 2,
        });
        // each job that ends frees a slot: the next one starts and the worker reserves one more, never beyond
        for (let k = 0; k < total - held; k++) {
          const refilled = reserved();
          const done = eventFor(worker, 'completed', ids[k]!);
          gates.get(`j${k}`)!.resolve();
          await within(refilled, `the reserve after j${k}`);
          await done;
          await settleTurns();
          expect(asked()).toEqual([held, ...Array(k + 1).fill(1)]);
          expect(await counts()).toEqual({
            pending: total - held - k - 1,
            processing: held,
            completed: k + 1,
            started: 3 + k,
            running: 2,
          });
        }
        let completed = total - held;
        const allDone = nextEvent(worker, 'completed', () => ++completed === total);
        for (const gate of gates.values()) gate.resolve();
        await allDone;
        expect(most).toBe(2);
        expect(started).toBe(total);
      });
    }

    /** Polls `probe` until it returns something other than null; fails after PATIENCE_MS (real time). */
    async function eventually<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
      const deadline = performance.now() + PATIENCE_MS;
      for (;;) {
        const value = await probe();
        if (value !== null) return value;
        if (performance.now() >= deadline) throw new Error(`${what} did not happen within ${PATIENCE_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }

    class Noop extends Job {
      handle() {}
    }

    it('an idle worker on the system clock takes a job pushed while it waits from its waitAndReserve, no reserve after the wake-up', async () => {
      const calls = recordCalls();
      // no clock given: the system clock (the only one under which a worker waits with waitAndReserve)
      const conveyor = new Conveyor({ driver: calls.driver, jobs: [Noop] });
      expect(conveyor.clock).toBe(systemClock);
      // an idle wait far longer than PATIENCE_MS: only the push can end it within the test
      const worker = h.worker(conveyor, { concurrency: 1, idleWait: '1m' });
      worker.on('processing', (job) => calls.mark('processing', job.id));
      const waiting = calls.began('waitAndReserve');
      const completed = nextEvent(worker, 'completed');
      await worker.start();
      const wait = await within(waiting, 'the idle wait (waitAndReserve)');

      calls.mark('dispatch');
      const job = await conveyor.dispatch(new Noop());
      const [done] = await completed;
      expect(done.id).toBe(job.id);

      const reply = (await within(wait.reply!, "the wait's reply")) as ReserveResult | null;
      expect(reply?.jobs.map((j) => j.id)).toEqual([job.id]);
      const dispatched = calls.log.findIndex((entry) => entry.what === 'dispatch');
      const started = calls.log.findIndex((entry) => entry.what === 'processing' && entry.jobId === job.id);
      expect(dispatched).toBeGreaterThan(calls.log.indexOf(wait));
      expect(started).toBeGreaterThan(dispatched);
      // between the push and the job's start: no reserve, and no other wait
      expect(calls.log.slice(dispatched + 1, started).map((entry) => entry.what)).toEqual([]);
      expect(calls.calls('waitForWork')).toEqual([]);
      expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'completed', attempts: 1 });
    });

    it('a worker on the system clock whose next job is due before its idle wait ends waits on its own timer (waitForWork), not waitAndReserve', async () => {
      const calls = recordCalls();
      const conveyor = new Conveyor({ driver: calls.driver, jobs: [Noop] });
      // a job due in 300 ms, an idle wait of a minute: the wait that ends at the due time is the worker's own
      const job = await conveyor.dispatch(new Noop()).delay(300);
      const worker = h.worker(conveyor, { concurrency: 1, idleWait: '1m' });
      const completed = eventFor(worker, 'completed', job.id);
      await worker.start();
      await within(completed, 'the delayed job');

      // the first wait came after a reserve that found the job not yet due: it is a waitForWork
      const firstWait = calls.log.find(
        (entry) => entry.what === 'waitForWork' || entry.what === 'waitAndReserve',
      );
      expect(firstWait?.what).toBe('waitForWork');
      expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'completed', attempts: 1 });
    });

    it('under a FakeClock a worker never calls waitAndReserve: it waits for work, then reserves', async () => {
      const calls = recordCalls();
      const conveyor = new Conveyor({ driver: calls.driver, clock: h.clock, jobs: [Noop] });
      const worker = h.worker(conveyor, { concurrency: 1, idleWait: '1m' });
      worker.on('processing', (job) => calls.mark('processing', job.id));
      const waiting = calls.began('waitForWork');
      const completed = nextEvent(worker, 'completed');
      await worker.start();
      await within(waiting, 'the idle wait (waitForWork)');

      calls.mark('dispatch');
      const job = await conveyor.dispatch(new Noop());
      const [done] = await completed;
      expect(done.id).toBe(job.id);

      expect(calls.calls('waitAndReserve')).toHaveLength(0);
      // the job came from a reserve sent after the push (the wake-up), not from the wait
      const dispatched = calls.log.findIndex((entry) => entry.what === 'dispatch');
      const started = calls.log.findIndex((entry) => entry.what === 'processing' && entry.jobId === job.id);
      const between = calls.log.slice(dispatched + 1, started);
      expect(between.map((entry) => entry.what)).toEqual(['reserve']);
      const reply = (await between[0]!.reply) as ReserveResult;
      expect(reply.jobs.map((j) => j.id)).toEqual([job.id]);
    });

    it('close() ends a wait in waitAndReserve at once, and a job pushed right after stays pending, attempt not counted', async () => {
      const calls = recordCalls();
      const conveyor = new Conveyor({ driver: calls.driver, jobs: [Noop] });
      // an idle wait far longer than PATIENCE_MS: only the abort can end it in time for close()
      const worker = h.worker(conveyor, { concurrency: 1, idleWait: '1m' });
      worker.on('processing', (job) => calls.mark('processing', job.id));
      // the wait after a first job: the driver is warmed up by then (Redis: its clock offset is measured, so the
      // blocking pop, with the reserve behind it, is on its way as soon as the call began). The first job is
      // pushed while the worker waits, so that wait takes it and the push's wake-up: the next wait is idle.
      await worker.start();
      const firstWait = await within(calls.began('waitAndReserve', 1), 'the first wait');
      const first = await conveyor.dispatch(new Noop());
      const firstDone = eventFor(worker, 'completed', first.id);
      expect(
        ((await within(firstWait.reply!, 'the first wait')) as ReserveResult).jobs.map((j) => j.id),
      ).toEqual([first.id]);
      await firstDone;
      const wait = await within(calls.began('waitAndReserve', 2), 'the idle wait after the first job');
      await settleTurns();

      await within(worker.close(), 'close()');
      expect(await within(wait.reply!, "the wait's reply")).toBeNull();

      const job = await conveyor.dispatch(new Noop());
      // A driver may take it for the aborted wait (Redis: the reserve behind the blocking pop runs when the push
      // wakes it); it must hand it back as it was: pending, the attempt not counted.
      const back = await eventually(async () => {
        const record = await h.driver.get(job.id);
        return record?.state === 'pending' && record.attempts === 0 ? record : null;
      }, 'the job pending with 0 attempts');
      expect(back).toMatchObject({ state: 'pending', attempts: 0, workerId: null });
      // nothing ran it, and another worker takes it with its first attempt
      expect(calls.log.filter((entry) => entry.what === 'processing' && entry.jobId === job.id)).toEqual([]);
      const next = h.worker(conveyor);
      const ran = await eventually(async () => ((await next.runOnce()) > 0 ? true : null), 'a later run');
      expect(ran).toBe(true);
      expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'completed', attempts: 1 });
    });

    it('a close() that comes as a waitAndReserve returns jobs hands them back: pending, attempt not counted', async () => {
      let worker: Worker | undefined;
      let closing: Promise<void> | undefined;
      const waiting = deferred();
      // the driver answers the wait with the job, and close() is called before the worker's code resumes
      const driver = new Proxy(h.driver, {
        get(target, key) {
          if (key === 'waitAndReserve') {
            return async (...args: Parameters<Driver['waitAndReserve']>) => {
              const reply = target.waitAndReserve(...args);
              waiting.resolve();
              const result = await reply;
              if (result && result.jobs.length > 0 && !closing) closing = worker!.close();
              return result;
            };
          }
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const conveyor = new Conveyor({ driver, jobs: [Noop] });
      worker = h.worker(conveyor, { concurrency: 1, idleWait: '1m' });
      let ran = 0;
      worker.on('processing', () => ran++);
      await worker.start();
      await within(waiting.promise, 'the idle wait (waitAndReserve)');
      const job = await conveyor.dispatch(new Noop());

      await eventually(async () => closing ?? null, 'close() as the wait returns the job');
      await within(closing!, 'close()');
      expect(ran).toBe(0);
      expect(await recordOf(h.driver, job.id)).toMatchObject({
        state: 'pending',
        attempts: 0,
        workerId: null,
      });
    });

    it("a wait in waitAndReserve is not cut short by its own worker's settle: the chain's next link comes from it", async () => {
      const calls = recordCalls();
      const conveyor = new Conveyor({ driver: calls.driver, jobs: [Noop] });
      // two slots: while the first link runs, the loop waits for work for the other one
      const worker = h.worker(conveyor, { concurrency: 2, idleWait: '1m' });
      const started: string[] = [];
      worker.on('processing', (job) => {
        started.push(job.id);
        calls.mark('processing', job.id);
      });
      await worker.start();
      const chain = await conveyor.chain([new Noop(), new Noop()]).dispatch();
      const done = nextEvent(worker, 'completed', () => started.length === 2);
      await within(done, 'both links');

      const [first, second] = started;
      const firstAt = calls.log.findIndex((entry) => entry.what === 'processing' && entry.jobId === first);
      const secondAt = calls.log.findIndex((entry) => entry.what === 'processing' && entry.jobId === second);
      // between the first link's start and the second's: the waits only (the second link came from one)
      expect(calls.log.slice(firstAt + 1, secondAt).map((entry) => entry.what)).not.toContain('reserve');
      expect(chain.id).toBeTruthy();
    });

    it("a busy worker's reserve for its next job goes with the last job's settle, in one settleAndReserve call", async () => {
      Tagged.runs = [];
      Tagged.hang = new Set();
      const calls = recordCalls();
      const conveyor = new Conveyor({ driver: calls.driver, clock: h.clock, jobs: [Tagged] });
      const jobs = [];
      for (const tag of ['a', 'b', 'c']) jobs.push(await conveyor.dispatch(new Tagged(tag)));
      const worker = h.worker(conveyor, { concurrency: 1 });
      let completed = 0;
      const allDone = nextEvent(worker, 'completed', () => ++completed === 3);
      await worker.start();
      await allDone;
      await settleTurns();

      // one reserve to begin with, then each settle carries the reserve for the next job, until one finds none
      // and the worker waits (a driver's wait may return at once for work pushed earlier: later calls vary)
      const firstWait = calls.log.findIndex((e) => e.what === 'waitForWork' || e.what === 'waitAndReserve');
      const busy = calls.log.slice(0, firstWait);
      expect(busy.map((entry) => entry.what)).toEqual([
        'reserve',
        'settleAndReserve',
        'settleAndReserve',
        'settleAndReserve',
      ]);
      const combined = busy.slice(1);
      const settledIds = combined.map((entry) =>
        (entry.args![0] as Array<{ jobId: string }>).map((r) => r.jobId),
      );
      expect(settledIds).toEqual(jobs.map((job) => [job.id]));
      const reservedIds = await Promise.all(
        combined.map(async (entry) =>
          ((await entry.reply) as { reserved: ReserveResult }).reserved.jobs.map((job) => job.id),
        ),
      );
      expect(reservedIds).toEqual([[jobs[1]!.id], [jobs[2]!.id], []]);
      expect(Tagged.runs).toEqual(['a', 'b', 'c']);
    });

    it('runOnce takes up to `concurrency` jobs and returns when they are settled', async () => {
      const gate = deferred();
      let running = 0;
      let most = 0;
      class Blocked extends Job {
        async handle() {
          most = Math.max(most, ++running);
          await gate.promise;
          running--;
        }
      }
      const conveyor = h.conveyor([Blocked]);
      for (let i = 0; i < 5; i++) await conveyor.dispatch(new Blocked());
      const worker = h.worker(conveyor, { concurrency: 3 });
      let processing = 0;
      const threeStarted = nextEvent(worker, 'processing', () => ++processing === 3);
      const once = worker.runOnce();
      await threeStarted;
      expect(await hasSettled(once)).toBe(false);
      expect(most).toBe(3);
      gate.resolve();
      expect(await once).toBe(3);
      expect((await conveyor.counts()).completed).toBe(3);
      expect(await worker.drain()).toBe(2);
    });

    it('fails a timed-out attempt with TimeoutError even if the handler ignores the signal, and frees its slot', async () => {
      let signal: AbortSignal | undefined;
      class Hangs extends Job {
        static timeout = '10s';
        handle(ctx: JobContext) {
          signal = ctx.signal;
          return forever();
        }
      }
      class Quick extends Job<string> {
        handle() {
          return 'quick';
        }
      }
      const conveyor = h.conveyor([Hangs, Quick]);
      const hangs = await conveyor.dispatch(new Hangs());
      const quick = await conveyor.dispatch(new Quick());
      const worker = h.worker(conveyor, { concurrency: 1 });
      const processing = eventFor(worker, 'processing', hangs.id);
      await worker.start();
      await processing;
      await h.clock.advance(10 * SECOND - 1);
      expect(await hangs.status()).toBe('processing');
      expect(signal!.aborted).toBe(false);

      const failed = eventFor(worker, 'failed', hangs.id);
      const quickDone = eventFor(worker, 'completed', quick.id);
      await h.clock.advance(1);
      const [, error] = await failed;
      expect(error).toBeInstanceOf(TimeoutError);
      expect(signal!.aborted).toBe(true);
      expect(signal!.reason).toBeInstanceOf(TimeoutError);
      const record = await recordOf(h.driver, hangs.id);
      expect(record.state).toBe('failed');
      expect(record.errors).toMatchObject([{ name: 'TimeoutError', attempt: 1 }]);
      await quickDone; // the slot was freed though the handler never returned
      expect(await quick.result()).toBe('quick');
    });

    it('retries a timed-out attempt while attempts remain, and ignores the late result', async () => {
      const late = deferred<string>();
      class Slow extends Job<string> {
        static maxAttempts = 2;
        handle(ctx: JobContext) {
          return ctx.attempt === 1 ? late.promise : 'second';
        }
      }
      const conveyor = h.conveyor([Slow]);
      const job = await conveyor.dispatch(new Slow()).timeout('5s');
      const worker = h.worker(conveyor);
      const processing = eventFor(worker, 'processing', job.id);
      const run = worker.runOnce();
      await processing;
      await h.clock.advance(5 * SECOND);
      expect(await within(run, 'runOnce')).toBe(1);
      const record = await recordOf(h.driver, job.id);
      expect(['retrying', 'pending']).toContain(record.state); // no backoff: due again at once
      expect(record.errors).toMatchObject([{ name: 'TimeoutError', attempt: 1 }]);
      late.resolve('too late');
      await settleTurns();
      expect(await conveyor.drain()).toBe(1);
      expect(await job.result()).toBe('second');
    });

    it('cancels a pending job: it never runs', async () => {
      let ran = false;
      class Noop extends Job {
        handle() {
          ran = true;
        }
      }
      const conveyor = h.conveyor([Noop]);
      const job = await conveyor.dispatch(new Noop());
      expect(await job.cancel()).toBe('cancelled');
      expect(await conveyor.drain()).toBe(0);
      expect(ran).toBe(false);
      expect(await job.status()).toBe('cancelled');
    });

    it('cancels a processing job: its signal aborts, it ends cancelled and frees its slot', async () => {
      let signal: AbortSignal | undefined;
      class Hangs extends Job {
        handle(ctx: JobContext) {
          signal = ctx.signal;
          return forever();
        }
      }
      class Quick extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Hangs, Quick]);
      const hangs = await conveyor.dispatch(new Hangs());
      const quick = await conveyor.dispatch(new Quick());
      const worker = h.worker(conveyor, { concurrency: 1 });
      const processing = eventFor(worker, 'processing', hangs.id);
      await worker.start();
      await processing;
      const cancelled = eventFor(worker, 'cancelled', hangs.id);
      const quickDone = eventFor(worker, 'completed', quick.id);
      expect(await hangs.cancel()).toBe('processing');
      await cancelled;
      expect(signal!.aborted).toBe(true);
      expect(signal!.reason).toBeInstanceOf(AttemptAbortedError);
      expect(await hangs.status()).toBe('cancelled');
      await quickDone;
      await expect(hangs.wait()).rejects.toThrow(/cancelled/);
    });

    it('stores progress from ctx.progress(), readable through the handle, and emits it', async () => {
      const gate = deferred();
      class Steps extends Job {
        async handle(ctx: JobContext) {
          await ctx.progress(50);
          await gate.promise;
          await ctx.progress({ step: 'upload', done: 3, of: 4 });
        }
      }
      const conveyor = h.conveyor([Steps]);
      const job = await conveyor.dispatch(new Steps());
      expect(await job.progress()).toBeNull();
      const worker = h.worker(conveyor);
      const first = eventFor(worker, 'progress', job.id);
      const onConveyor = eventFor(conveyor, 'progress', job.id);
      await worker.start();
      expect((await first)[1]).toBe(50);
      expect((await onConveyor)[1]).toBe(50);
      expect(await job.progress()).toBe(50);
      const completed = eventFor(worker, 'completed', job.id);
      gate.resolve();
      await completed;
      expect(await job.progress()).toEqual({ step: 'upload', done: 3, of: 4 });
    });

    it('close() waits for running jobs to finish', async () => {
      const gate = deferred();
      class Slow extends Job<string> {
        async handle() {
          await gate.promise;
          return 'finished';
        }
      }
      class Later extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Slow, Later]);
      const job = await conveyor.dispatch(new Slow());
      const worker = h.worker(conveyor, { concurrency: 2 });
      const processing = eventFor(worker, 'processing', job.id);
      await worker.start();
      await processing;
      const closing = worker.close();
      const later = await conveyor.dispatch(new Later());
      expect(await hasSettled(closing)).toBe(false);
      gate.resolve();
      await within(closing, 'close()');
      expect(await job.status()).toBe('completed');
      expect(await job.result()).toBe('finished');
      expect(await later.status()).toBe('pending'); // no new job was taken once closing began
      expect(h.clock.pendingTimers).toBe(0);
      await worker.close(); // idempotent
    });

    it('close({ timeout }) aborts jobs still running after the grace period and puts them back, attempt not counted', async () => {
      let signal: AbortSignal | undefined;
      class Hangs extends Job {
        static maxAttempts = 1;
        handle(ctx: JobContext) {
          signal = ctx.signal;
          return forever();
        }
      }
      const conveyor = h.conveyor([Hangs]);
      const job = await conveyor.dispatch(new Hangs());
      const worker = h.worker(conveyor);
      const processing = eventFor(worker, 'processing', job.id);
      await worker.start();
      await processing;
      const released = eventFor(worker, 'released', job.id);
      const closing = worker.close({ timeout: '20s' });
      await h.clock.advance(20 * SECOND - 1);
      expect(await hasSettled(closing)).toBe(false);
      expect(signal!.aborted).toBe(false);
      await h.clock.advance(1);
      await within(closing, 'close()');
      await released;
      expect(signal!.aborted).toBe(true);
      expect((signal!.reason as AttemptAbortedError).reason).toBe('shutdown');
      expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'pending', attempts: 0, errors: [] });
      expect(h.clock.pendingTimers).toBe(0);

      // Another worker picks it up with its single attempt intact.
      const next = h.worker(conveyor);
      const run = next.runOnce();
      await nextEvent(next, 'processing');
      expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'processing', attempts: 1 });
      await next.close({ timeout: 0 });
      expect(await run).toBe(1);
    });
  });
}
