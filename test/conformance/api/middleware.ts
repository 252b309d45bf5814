import {
  ConfigurationError,
  Conveyor,
  type Driver,
  Job,
  type JobContext,
  type Middleware,
  rateLimited,
  skipIf,
  TimeoutError,
  throttlesExceptions,
  withoutOverlapping,
} from '@conveyor/core';
import { describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  collect,
  deferred,
  eventFor,
  forever,
  MINUTE,
  recordOf,
  SECOND,
  settleTurns,
  useHarness,
  within,
} from './fixtures.js';

/** Records what ran, in order, through the `trail` array given to each test's classes. */
const tag =
  (trail: string[], name: string): Middleware =>
  async (_job, _ctx, next) => {
    trail.push(`${name}:before`);
    const result = await next();
    trail.push(`${name}:after`);
    return result;
  };

/** A driver whose `releaseLock` always fails: a holder that never gives its lock back, as if it crashed. */
function withLostReleases(driver: Driver): Driver {
  return new Proxy(driver, {
    get(target, property, receiver) {
      if (property === 'releaseLock') return () => Promise.reject(new Error('connection lost'));
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Job middleware through the public API (DESIGN.md section 3): the pipeline (class statics, then `.through()`),
 * what a middleware may do (run, release without using an attempt, fail, skip), and the built-ins, whose state
 * lives in the driver so it is shared by every worker.
 */
export function middlewareApiSuite(factory: DriverFactory): void {
  describe('api: middleware', () => {
    const h = useHarness(factory);

    it('runs class middleware outermost, then .through() middleware, then the handler', async () => {
      const trail: string[] = [];
      class Traced extends Job<string> {
        static middleware = [tag(trail, 'a'), tag(trail, 'b')];
        handle() {
          trail.push('handle');
          return 'done';
        }
      }
      const conveyor = h.conveyor([Traced]);
      const job = await conveyor
        .dispatch(new Traced())
        .through([rateLimited('traced', { limit: 10, per: '1m' })]);
      await conveyor.drain();
      expect(trail).toEqual(['a:before', 'b:before', 'handle', 'b:after', 'a:after']);
      expect(await job.result()).toBe('done');
    });

    it('a middleware may change the result, or return without next(): the job completes, its handler never runs', async () => {
      let handled = 0;
      const doubled: Middleware = async (_job, _ctx, next) => ((await next()) as number) * 2;
      const cached: Middleware<Compute> = (job) => (job.n === 0 ? 'cached' : undefined);
      class Compute extends Job<number | string> {
        static middleware = [doubled];
        constructor(public n: number) {
          super();
        }
        handle() {
          handled++;
          return this.n;
        }
      }
      class Cached extends Compute {
        static override middleware = [cached];
        static jobName = 'Cached';
      }
      const conveyor = h.conveyor([Compute, Cached]);
      const computed = await conveyor.dispatch(new Compute(21));
      const fromCache = await conveyor.dispatch(new Cached(0));
      await conveyor.drain();
      expect(await computed.result()).toBe(42);
      expect(await fromCache.result()).toBe('cached');
      expect(handled).toBe(1);
    });

    it('ctx.release() from a middleware puts the job back without using an attempt', async () => {
      let releases = 3;
      const later: Middleware = (_job, ctx, next) => (releases-- > 0 ? ctx.release('1m') : next());
      class Once extends Job {
        static maxAttempts = 1;
        static middleware = [later];
        handle() {}
      }
      const conveyor = h.conveyor([Once]);
      const released = collect(conveyor, 'released');
      const job = await conveyor.dispatch(new Once());
      for (let i = 0; i < 3; i++) {
        await conveyor.drain();
        expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'delayed', attempts: 0 });
        await h.clock.advance(MINUTE);
      }
      await conveyor.drain();
      expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'completed', attempts: 1, errors: [] });
      expect(released).toHaveLength(3);
    });

    it('ctx.fail() from a middleware fails the job at once, with no retry and without running it', async () => {
      let handled = false;
      const refuse: Middleware = (_job, ctx) => ctx.fail('tenant is suspended');
      class Guarded extends Job {
        static maxAttempts = 3;
        static middleware = [refuse];
        handle() {
          handled = true;
        }
      }
      const conveyor = h.conveyor([Guarded]);
      const job = await conveyor.dispatch(new Guarded());
      await conveyor.drain();
      const record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({ state: 'failed', attempts: 1 });
      expect(record.errors).toMatchObject([{ name: 'UnrecoverableError', message: 'tenant is suspended' }]);
      expect(handled).toBe(false);
    });

    it('a middleware that throws fails the attempt the ordinary way (retried while attempts remain)', async () => {
      let calls = 0;
      const flaky: Middleware = (_job, _ctx, next) => {
        if (++calls === 1) throw new Error('middleware broke');
        return next();
      };
      class Retried extends Job {
        static maxAttempts = 2;
        static middleware = [flaky];
        handle() {}
      }
      const conveyor = h.conveyor([Retried]);
      const job = await conveyor.dispatch(new Retried());
      await conveyor.drain();
      const record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({ state: 'completed', attempts: 2 });
      expect(record.errors).toMatchObject([{ message: 'middleware broke', attempt: 1 }]);
    });

    it('calling next() twice fails the attempt', async () => {
      const twice: Middleware = async (_job, _ctx, next) => {
        await next();
        return next();
      };
      class Twice extends Job {
        static middleware = [twice];
        handle() {}
      }
      const conveyor = h.conveyor([Twice]);
      const job = await conveyor.dispatch(new Twice());
      await conveyor.drain();
      expect((await recordOf(h.driver, job.id)).errors[0]?.message).toMatch(/next\(\) twice/);
    });

    describe('rateLimited', () => {
      class Mail extends Job {
        static middleware = [rateLimited('mail', { limit: 2, per: '1m' })];
        constructor(public n: number) {
          super();
        }
        handle() {}
      }

      it('lets `limit` jobs start per window, across workers; the rest wait for the next window, attempts unused', async () => {
        const conveyor = h.conveyor([Mail]);
        const jobs = [];
        for (let n = 0; n < 5; n++) jobs.push(await conveyor.dispatch(new Mail(n)));
        // Two workers on two conveyors sharing the driver: the limit is in the driver.
        const other = h.conveyor([Mail]);
        const ran = (await conveyor.drain()) + (await other.drain());
        expect(ran).toBe(5);
        expect((await conveyor.counts()).completed).toBe(2);
        const waiting = await conveyor.list({ status: 'delayed' });
        expect(waiting).toHaveLength(3);
        expect(waiting.every((job) => job.attempts === 0 && job.availableAt === h.clock.now() + MINUTE)).toBe(
          true,
        );

        await h.clock.advance(MINUTE);
        await other.drain();
        expect((await conveyor.counts()).completed).toBe(4);
        await h.clock.advance(MINUTE);
        await conveyor.drain();
        expect((await conveyor.counts()).completed).toBe(5);
      });

      it('`by` splits the limit per value; a function of the job given to .through() is resolved at dispatch', async () => {
        class Notify extends Job {
          constructor(public tenant: string) {
            super();
          }
          handle() {}
        }
        const conveyor = h.conveyor([Notify]);
        const perTenant = rateLimited('notify', { limit: 1, per: '1m', by: (job: Notify) => job.tenant });
        for (const tenant of ['a', 'a', 'b', 'b', 'c']) {
          await conveyor.dispatch(new Notify(tenant)).through([perTenant]);
        }
        await conveyor.drain();
        expect((await conveyor.counts()).completed).toBe(3);
        expect(
          (await conveyor.list({ status: 'delayed' }))
            .map((j) => (j.data as { tenant: string }).tenant)
            .sort(),
        ).toEqual(['a', 'b']);
      });
    });

    describe('withoutOverlapping', () => {
      it('never runs two jobs with one key at once, across two workers; other keys run alongside', async () => {
        let running = 0;
        let most = 0;
        const active = new Set<string>();
        let otherKeyOverlapped = false;
        class Sync extends Job {
          static middleware = [withoutOverlapping((job: Sync) => job.account, { releaseAfter: '1s' })];
          constructor(
            public account: string,
            public n: number,
          ) {
            super();
          }
          async handle() {
            if (this.account === 'acme') most = Math.max(most, ++running);
            active.add(this.account);
            if (active.size > 1) otherKeyOverlapped = true;
            await settleTurns(3);
            active.delete(this.account);
            if (this.account === 'acme') running--;
          }
        }
        const conveyor = h.conveyor([Sync]);
        for (let n = 0; n < 6; n++) await conveyor.dispatch(new Sync('acme', n));
        await conveyor.dispatch(new Sync('globex', 0));
        const workers = [
          h.worker(conveyor, { concurrency: 3 }),
          h.worker(h.conveyor([Sync]), { concurrency: 3 }),
        ];
        // Both workers take jobs at the same time, round after round; a job that found the lock held is
        // released for a second, so each round moves the clock on by one.
        for (let round = 0; round < 20 && (await conveyor.counts()).completed < 7; round++) {
          await Promise.all(workers.map((worker) => worker.runOnce()));
          await h.clock.advance(SECOND);
        }
        expect((await conveyor.counts()).completed).toBe(7);
        expect(most).toBe(1);
        expect(otherKeyOverlapped).toBe(true);
        const records = await conveyor.list({ limit: 100 });
        expect(
          records.every((r) => r.state === 'completed' && r.attempts === 1 && r.errors.length === 0),
        ).toBe(true);
      });

      it('a job that finds the lock held is released for releaseAfter, its attempt not counted', async () => {
        const gate = deferred();
        class Export extends Job {
          static maxAttempts = 1;
          static middleware = [withoutOverlapping('exports', { releaseAfter: '30s' })];
          constructor(public n: number) {
            super();
          }
          async handle() {
            if (this.n === 1) await gate.promise;
          }
        }
        const conveyor = h.conveyor([Export]);
        const first = await conveyor.dispatch(new Export(1));
        const second = await conveyor.dispatch(new Export(2));
        const worker = h.worker(conveyor, { concurrency: 2 });
        const released = eventFor(worker, 'released', second.id);
        await worker.start();
        const [, at] = await released;
        expect(at).toBe(h.clock.now() + 30 * SECOND);
        expect(await recordOf(h.driver, second.id)).toMatchObject({ state: 'delayed', attempts: 0 });

        const done = eventFor(worker, 'completed', second.id);
        gate.resolve();
        await within(first.wait(), 'the first export');
        await h.clock.advance(30 * SECOND);
        await within(done, 'the second export');
      });

      it('frees the lock when the attempt times out, though the handler never returns', async () => {
        class Hangs extends Job {
          static timeout = '5s';
          static middleware = [withoutOverlapping('hang', { releaseAfter: '1s' })];
          constructor(public n: number) {
            super();
          }
          handle() {
            return this.n === 1 ? forever() : undefined;
          }
        }
        const conveyor = h.conveyor([Hangs]);
        const first = await conveyor.dispatch(new Hangs(1));
        const second = await conveyor.dispatch(new Hangs(2));
        const worker = h.worker(conveyor, { concurrency: 2 });
        // Each event is awaited from just before the step that causes it: the helpers' patience guard runs in
        // real time from when the wait starts, and on Redis every step is a few real round trips.
        const released = eventFor(worker, 'released', second.id);
        await worker.start();
        await within(released, 'the second job released');
        const failed = eventFor(worker, 'failed', first.id);
        await h.clock.advance(5 * SECOND);
        const [, error] = await failed;
        expect(error).toBeInstanceOf(TimeoutError);
        // The timeout frees the lock (on Redis, a few real round trips later). Meanwhile the second job is released
        // a second at a time; each step waits for its next try to end (released again, or completed). Without the
        // release it would keep being released until expireAfter (1 h), far beyond these steps.
        const nextTry = () =>
          new Promise<'released' | 'completed'>((resolve) => {
            const onReleased = (job: { id: string }) => job.id === second.id && finish('released');
            const onCompleted = (job: { id: string }) => job.id === second.id && finish('completed');
            const finish = (outcome: 'released' | 'completed') => {
              worker.off('released', onReleased);
              worker.off('completed', onCompleted);
              resolve(outcome);
            };
            worker.on('released', onReleased);
            worker.on('completed', onCompleted);
          });
        let outcome: 'released' | 'completed' = 'released';
        for (let step = 0; step < 10 && outcome === 'released'; step++) {
          const tried = nextTry();
          await h.clock.advance(SECOND);
          outcome = await within(tried, 'the second job trying again');
        }
        expect(outcome).toBe('completed');
        expect(await second.status()).toBe('completed');
      });

      it("a crashed holder's lock expires after expireAfter, and not before", async () => {
        class Nightly extends Job {
          static middleware = [withoutOverlapping('nightly', { releaseAfter: '1m', expireAfter: '10m' })];
          handle() {}
        }
        // The first conveyor's storage never gets the lock back: its holder "crashed" after taking it.
        const lost = new Conveyor({
          driver: withLostReleases(h.driver),
          clock: h.clock,
          jobs: [Nightly],
        });
        const first = await lost.dispatch(new Nightly());
        await lost.drain();
        expect(await first.status()).toBe('completed');

        const conveyor = h.conveyor([Nightly]);
        const second = await conveyor.dispatch(new Nightly());
        for (let minute = 0; minute < 10; minute++) {
          await conveyor.drain();
          expect(await recordOf(h.driver, second.id)).toMatchObject({ state: 'delayed', attempts: 0 });
          await h.clock.advance(MINUTE);
        }
        await conveyor.drain();
        expect(await recordOf(h.driver, second.id)).toMatchObject({ state: 'completed', attempts: 1 });
      });
    });

    describe('throttlesExceptions', () => {
      it('after maxErrors failures in the window, releases jobs for backoff instead of running them', async () => {
        let calls = 0;
        let healthy = false;
        class CallCrm extends Job {
          static maxAttempts = 10;
          static backoff = 60 * MINUTE;
          static middleware = [throttlesExceptions(2, { per: '10m', backoff: '1m' })];
          constructor(public n: number) {
            super();
          }
          handle() {
            calls++;
            if (!healthy) throw new Error('CRM is down');
          }
        }
        const conveyor = h.conveyor([CallCrm]);
        const jobs = [];
        for (let n = 0; n < 4; n++) jobs.push(await conveyor.dispatch(new CallCrm(n)));
        const worker = h.worker(conveyor, { concurrency: 1 });
        await worker.runOnce();
        await worker.runOnce();
        expect(calls).toBe(2); // two failures: the throttle is open now
        await conveyor.drain();
        expect(calls).toBe(2); // nothing ran: every job is released for a minute, attempts not counted
        const records = await Promise.all(jobs.map((job) => recordOf(h.driver, job.id)));
        expect(records.map((r) => r.attempts)).toEqual([1, 1, 0, 0]);
        expect(records.map((r) => r.state)).toEqual(['retrying', 'retrying', 'delayed', 'delayed']);
        expect(records.slice(2).every((r) => r.availableAt === h.clock.now() + MINUTE)).toBe(true);

        await h.clock.advance(MINUTE);
        await conveyor.drain();
        expect(calls).toBe(2); // still within the 10-minute window

        healthy = true;
        await h.clock.advance(9 * MINUTE); // a new window: the released jobs run
        await conveyor.drain();
        expect(calls).toBe(4);
        await h.clock.advance(50 * MINUTE); // the failed ones are retried after their own backoff
        await conveyor.drain();
        expect(calls).toBe(6);
        expect((await conveyor.counts()).completed).toBe(4);
      });

      it('does not count releases (from inner middleware) as errors', async () => {
        let calls = 0;
        class Limited extends Job {
          static middleware = [
            throttlesExceptions(1, { per: '1h' }),
            rateLimited('limited', { limit: 1, per: '1m' }),
          ];
          constructor(public n: number) {
            super();
          }
          handle() {
            calls++;
          }
        }
        const conveyor = h.conveyor([Limited]);
        for (let n = 0; n < 3; n++) await conveyor.dispatch(new Limited(n));
        await conveyor.drain();
        await h.clock.advance(MINUTE);
        await conveyor.drain();
        expect(calls).toBe(2);
      });
    });

    describe('skipIf', () => {
      it('completes the job without running it when the condition holds; its chain goes on', async () => {
        const ran: number[] = [];
        class Remind extends Job {
          static middleware = [skipIf((job: Remind) => job.paid)];
          constructor(
            public n: number,
            public paid: boolean,
          ) {
            super();
          }
          handle() {
            ran.push(this.n);
          }
        }
        const conveyor = h.conveyor([Remind]);
        const chain = await conveyor.chain([new Remind(1, true), new Remind(2, false)]);
        await conveyor.drain();
        expect(ran).toEqual([2]);
        expect(await chain.status()).toBe('completed');
        const [skipped] = (await chain.info())!.jobIds;
        expect(await recordOf(h.driver, skipped!)).toMatchObject({ state: 'completed', result: null });
      });

      it('awaits an async condition and sees the context', async () => {
        const seen: number[] = [];
        class Attempted extends Job {
          static maxAttempts = 3;
          static middleware = [skipIf(async (_job, ctx: JobContext) => ctx.attempt > 1)];
          handle(ctx: JobContext) {
            seen.push(ctx.attempt);
            throw new Error('fails once');
          }
        }
        const conveyor = h.conveyor([Attempted]);
        const job = await conveyor.dispatch(new Attempted());
        await conveyor.drain();
        expect(seen).toEqual([1]);
        expect(await recordOf(h.driver, job.id)).toMatchObject({ state: 'completed', attempts: 2 });
      });
    });

    describe('.through()', () => {
      it('stores built-ins with the job and rebuilds them on the worker', async () => {
        class Plain extends Job {
          constructor(public n: number) {
            super();
          }
          handle() {}
        }
        const conveyor = h.conveyor([Plain]);
        const limit = rateLimited('through', { limit: 1, per: '1m' });
        const first = await conveyor.dispatch(new Plain(1)).through([limit]);
        const second = await conveyor.dispatch(new Plain(2)).through([limit]);
        const free = await conveyor.dispatch(new Plain(3));
        await conveyor.drain();
        expect(await first.status()).toBe('completed');
        expect(await second.status()).toBe('delayed');
        expect(await free.status()).toBe('completed');
      });

      it('refuses what cannot travel with a job: custom functions and skipIf', () => {
        class Plain extends Job {
          handle() {}
        }
        const conveyor = h.conveyor([Plain]);
        const custom: Middleware = (_job, _ctx, next) => next();
        expect(() => conveyor.dispatch(new Plain()).through([custom])).toThrow(ConfigurationError);
        expect(() => conveyor.dispatch(new Plain()).through([custom])).toThrow(
          /function custom.*static middleware/,
        );
        expect(() => conveyor.dispatch(new Plain()).through([skipIf(() => true)])).toThrow(
          ConfigurationError,
        );
        expect(() => conveyor.dispatch(new Plain()).through('nope' as never)).toThrow(/"nope"/);
      });
    });

    describe('bad input', () => {
      it.each([
        ['rateLimited name', () => rateLimited('', { limit: 1, per: '1m' }), '""'],
        ['rateLimited without options', () => rateLimited('mail', undefined as never), 'limit'],
        ['rateLimited limit', () => rateLimited('mail', { limit: 0, per: '1m' }), 'limit 0'],
        ['rateLimited fractional limit', () => rateLimited('mail', { limit: 1.5, per: '1m' }), '1.5'],
        ['rateLimited per', () => rateLimited('mail', { limit: 1, per: 'soon' }), '"soon"'],
        ['rateLimited zero per', () => rateLimited('mail', { limit: 1, per: 0 }), 'per 0'],
        [
          'rateLimited unknown option',
          () => rateLimited('mail', { limit: 1, per: '1m', every: 2 } as never),
          '"every"',
        ],
        ['rateLimited by', () => rateLimited('mail', { limit: 1, per: '1m', by: '' }), '""'],
        ['withoutOverlapping key', () => withoutOverlapping(''), '""'],
        [
          'withoutOverlapping expireAfter',
          () => withoutOverlapping('k', { expireAfter: 0 }),
          'expireAfter 0',
        ],
        ['withoutOverlapping releaseAfter', () => withoutOverlapping('k', { releaseAfter: -1 }), '-1'],
        ['withoutOverlapping options', () => withoutOverlapping('k', { expire: '1m' } as never), '"expire"'],
        ['throttlesExceptions maxErrors', () => throttlesExceptions(0), 'maxErrors 0'],
        ['throttlesExceptions per', () => throttlesExceptions(3, { per: '5 minutes' }), '"5 minutes"'],
        ['throttlesExceptions backoff', () => throttlesExceptions(3, { backoff: 'later' }), '"later"'],
        ['skipIf', () => skipIf('always' as never), '"always"'],
      ])('%s: a ConfigurationError quoting the value', (_what, make, quoted) => {
        expect(make).toThrow(ConfigurationError);
        expect(make).toThrow(quoted);
      });

      it('a static middleware that is not an array of functions fails the dispatch', async () => {
        class Bad extends Job {
          static middleware = ['rateLimited'] as never;
          handle() {}
        }
        const conveyor = h.conveyor([Bad]);
        await expect(conveyor.dispatch(new Bad()).dispatch()).rejects.toThrow(ConfigurationError);
        await expect(conveyor.dispatch(new Bad()).dispatch()).rejects.toThrow(/\["rateLimited"\]/);
      });
    });
  });
}
