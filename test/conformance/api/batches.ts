import {
  Batch,
  BatchClosedError,
  type BatchItem,
  type BatchProgress,
  type BatchState,
  ConfigurationError,
  type Conveyor,
  Job,
  type JobContext,
  Queue,
  WaitTimeoutError,
} from '@conveyor/core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { deferred, nextEvent, SECOND, useHarness, within } from './fixtures.js';

/**
 * Batches: jobs that run in parallel, with `then` (all completed), `catch` (first failure) and `finally` (all
 * settled) callbacks, each fired exactly once, and counts that never drift.
 */
export function batchApiSuite(factory: DriverFactory): void {
  describe('api: batches', () => {
    const h = useHarness(factory);
    /** What ran, in order. */
    let ran: string[];
    /** Each callback job's run: which callback, for which batch, and the counts it read through ctx.batch. */
    let callbacks: Array<{
      as: string | null | undefined;
      batchId: string | undefined;
      progress: BatchProgress;
    }>;
    /** Labels of the jobs that fail while this holds them. */
    let failing: Set<string>;
    /** Lets a test act from inside a running job. */
    let during: ((ctx: JobContext) => Promise<void>) | undefined;

    class Step extends Job<string> {
      constructor(
        public label: string,
        queue?: string,
      ) {
        super();
        if (queue !== undefined) this.queue = queue;
      }
      async handle(ctx: JobContext) {
        ran.push(this.label);
        await during?.(ctx);
        if (failing.has(this.label)) throw new Error(`${this.label} broke`);
        return this.label;
      }
    }

    /** A callback job: records what it sees of its batch. */
    class Report extends Job {
      constructor(public as: string) {
        super();
      }
      async handle(ctx: JobContext) {
        ran.push(`report:${this.as}`);
        callbacks.push({
          as: ctx.batch?.callback,
          batchId: ctx.batch?.id,
          progress: await ctx.batch!.progress(),
        });
      }
    }

    let conveyor: Conveyor;

    beforeEach(() => {
      ran = [];
      callbacks = [];
      failing = new Set();
      during = undefined;
      conveyor = h.conveyor([Step, Report]);
    });

    const withCallbacks = (items: readonly BatchItem[]) =>
      conveyor
        .batch(items)
        .then(new Report('then'))
        .catch(new Report('catch'))
        .finally(new Report('finally'));

    /** The callbacks that ran, by name, in order. */
    const fired = () => callbacks.map((c) => c.as);

    const progress = (fields: Partial<BatchProgress>): BatchProgress => ({
      total: 0,
      pending: 0,
      processed: 0,
      failed: 0,
      cancelled: 0,
      percentage: 0,
      finished: false,
      ...fields,
    });

    it('runs every member, then fires then and finally once; callbacks see the final counts through ctx', async () => {
      const batch = await withCallbacks([new Step('a'), new Step('b'), new Step('c')])
        .name('newsletter')
        .dispatch();
      expect(batch.name).toBe('newsletter');
      expect(await batch.progress()).toEqual(progress({ total: 3, pending: 3 }));

      await conveyor.drain();
      await conveyor.drain();

      expect(ran.slice(0, 3).sort()).toEqual(['a', 'b', 'c']);
      expect(fired()).toEqual(['then', 'finally']);
      const done = progress({ total: 3, processed: 3, percentage: 100, finished: true });
      // Callbacks are not members: the batch still counts 3.
      expect(callbacks).toEqual([
        { as: 'then', batchId: batch.id, progress: done },
        { as: 'finally', batchId: batch.id, progress: done },
      ]);
      expect(await batch.progress()).toEqual(done);
      expect(await batch.state()).toMatchObject({ id: batch.id, name: 'newsletter', failedJobIds: [] });
    });

    it('without allowFailures, the first failure cancels the rest, fires catch and finally, never then', async () => {
      failing.add('b');
      const batch = await withCallbacks([
        new Step('a'),
        new Step('b'),
        new Step('c'),
        new Step('d'),
      ]).dispatch();

      await conveyor.drain();
      await conveyor.drain();

      expect(ran.filter((label) => !label.startsWith('report'))).toEqual(['a', 'b']);
      expect(fired()).toEqual(['catch', 'finally']);
      const state = await batch.state();
      expect(state).toMatchObject(
        progress({ total: 4, processed: 1, failed: 1, cancelled: 2, percentage: 100, finished: true }),
      );
      expect(state.cancelledAt).not.toBeNull();
      expect(state.failedJobIds).toHaveLength(1);
      expect(callbacks[0]!.progress).toMatchObject({ failed: 1 });
    });

    it('with allowFailures, every member runs; catch at the first failure, finally at the end, never then', async () => {
      failing = new Set(['b', 'c']);
      const batch = await withCallbacks([new Step('a'), new Step('b'), new Step('c'), new Step('d')])
        .allowFailures()
        .dispatch();

      await conveyor.drain();
      await conveyor.drain();

      expect(ran.filter((label) => !label.startsWith('report'))).toEqual(['a', 'b', 'c', 'd']);
      expect(fired()).toEqual(['catch', 'finally']);
      expect(await batch.progress()).toEqual(
        progress({ total: 4, processed: 2, failed: 2, percentage: 100, finished: true }),
      );
      expect((await batch.state()).cancelledAt).toBeNull();
    });

    it('counts progress at each step, and a failed member retried by hand that completes moves to processed', async () => {
      failing.add('b');
      const batch = await withCallbacks([
        new Step('a', 'q1'),
        new Step('b', 'q2'),
        new Step('c', 'q3'),
        new Step('d', 'q4'),
      ])
        .allowFailures()
        .dispatch();
      const step = async (queue: string) => {
        await conveyor.drain({ queues: [queue] });
        return batch.progress();
      };

      expect(await step('q1')).toEqual(progress({ total: 4, pending: 3, processed: 1, percentage: 25 }));
      expect(await step('q2')).toEqual(
        progress({ total: 4, pending: 2, processed: 1, failed: 1, percentage: 50 }),
      );
      expect(await step('q3')).toEqual(
        progress({ total: 4, pending: 1, processed: 2, failed: 1, percentage: 75 }),
      );
      expect(await step('q4')).toEqual(
        progress({ total: 4, processed: 3, failed: 1, percentage: 100, finished: true }),
      );
      await conveyor.drain({ queues: ['default'] });
      expect(fired()).toEqual(['catch', 'finally']);

      failing.clear();
      const [failedId] = (await batch.state()).failedJobIds;
      expect(await conveyor.retry(failedId!)).toEqual([failedId]);
      expect(await step('q2')).toEqual(progress({ total: 4, processed: 4, percentage: 100, finished: true }));
      expect((await batch.state()).failedJobIds).toEqual([]);
      // Every member completed now, so `then` fires (once); catch and finally had fired already.
      await conveyor.drain({ queues: ['default'] });
      expect(fired()).toEqual(['catch', 'finally', 'then']);
    });

    it('an empty batch finishes at once: then and finally fire, catch does not', async () => {
      const batch = await withCallbacks([]).dispatch();
      expect(await batch.progress()).toEqual(progress({ percentage: 100, finished: true }));
      expect(await within(batch.wait(), 'batch.wait()')).toMatchObject({ finished: true, total: 0 });
      await conveyor.drain();
      expect(fired()).toEqual(['then', 'finally']);
    });

    it('cancel(): members not started never run; finally fires, then does not; add() is refused after', async () => {
      const batch = await withCallbacks([new Step('a'), new Step('b'), new Step('c')]).dispatch();
      expect(await batch.cancel()).toEqual(
        progress({ total: 3, cancelled: 3, percentage: 100, finished: true }),
      );
      await conveyor.drain();
      expect(ran).toEqual(['report:finally']);
      expect(fired()).toEqual(['finally']);
      await expect(batch.add([new Step('late')])).rejects.toThrow(BatchClosedError);
      expect((await batch.progress()).total).toBe(3);
    });

    it('cancel() while a member runs: it finishes and counts; the others are skipped', async () => {
      const batch = await withCallbacks([new Step('a'), new Step('b'), new Step('c')]).dispatch();
      const seenCancelled: boolean[] = [];
      during = async (ctx) => {
        if (ctx.batch && ran.length === 1) {
          await batch.cancel();
          seenCancelled.push(await ctx.batch.cancelled());
        }
      };
      await conveyor.drain();
      await conveyor.drain();
      expect(ran.filter((label) => !label.startsWith('report'))).toEqual(['a']);
      expect(seenCancelled).toEqual([true]);
      expect(await batch.progress()).toEqual(
        progress({ total: 3, processed: 1, cancelled: 2, percentage: 100, finished: true }),
      );
      expect(fired()).toEqual(['finally']);
    });

    it('add(): jobs and chains join an unfinished batch and count before then fires', async () => {
      const batch = await withCallbacks([new Step('a')]).dispatch();
      await batch.add([new Step('b'), [new Step('c1'), new Step('c2')]]);
      expect(await batch.progress()).toEqual(progress({ total: 4, pending: 4 }));

      // A member adds more from inside, as Laravel's $this->batch()->add() does.
      during = async (ctx) => {
        if (ctx.batch && ran.at(-1) === 'b') await ctx.batch.add([new Step('from-b')]);
      };
      await conveyor.drain();
      await conveyor.drain();

      expect(ran.filter((label) => !label.startsWith('report')).sort()).toEqual([
        'a',
        'b',
        'c1',
        'c2',
        'from-b',
      ]);
      expect(ran.indexOf('c1')).toBeLessThan(ran.indexOf('c2'));
      expect(fired()).toEqual(['then', 'finally']);
      expect(callbacks[0]!.progress).toEqual(
        progress({ total: 5, processed: 5, percentage: 100, finished: true }),
      );
      await expect(batch.add([new Step('late')])).rejects.toThrow(BatchClosedError);
    });

    it('a chain inside a batch counts each link; a failing link cancels its successors and finally still fires', async () => {
      failing.add('c2');
      const batch = await withCallbacks([new Step('a'), [new Step('c1'), new Step('c2'), new Step('c3')]])
        .allowFailures()
        .dispatch();
      expect((await batch.progress()).total).toBe(4);

      await conveyor.drain();
      await conveyor.drain();

      expect(ran.filter((label) => !label.startsWith('report')).sort()).toEqual(['a', 'c1', 'c2']);
      expect(await batch.progress()).toEqual(
        progress({ total: 4, processed: 2, failed: 1, cancelled: 1, percentage: 100, finished: true }),
      );
      expect(fired()).toEqual(['catch', 'finally']);
    });

    it('a chain inside a batch without allowFailures: the failure cancels the batch, finally fires once', async () => {
      failing.add('c1');
      const batch = await withCallbacks([
        [new Step('c1'), new Step('c2')],
        new Step('a'),
        new Step('b'),
      ]).dispatch();
      await conveyor.drain();
      await conveyor.drain();
      const state = await batch.progress();
      expect(state).toMatchObject({ total: 4, failed: 1, finished: true, percentage: 100 });
      expect(state.processed + state.failed + state.cancelled).toBe(4);
      expect(fired()).toEqual(['catch', 'finally']);
    });

    it('a re-delivered member counts once', async () => {
      class Slow extends Job {
        static maxAttempts = 2;
        handle() {
          ran.push('slow');
        }
      }
      conveyor.register(Slow);
      const batch = await withCallbacks([new Slow()]).dispatch();
      // A worker takes the job, then goes silent: its lease runs out.
      const { jobs } = await h.driver.reserve({
        queues: ['default'],
        max: 1,
        leaseMs: SECOND,
        workerId: 'silent-worker',
        token: 'silent-token',
        now: h.clock.now(),
      });
      expect(jobs).toHaveLength(1);
      await h.clock.advance(2 * SECOND);

      // Stalled recovery takes it over, and it runs again and completes.
      await conveyor.drain();
      await conveyor.drain();
      expect(ran.filter((label) => label === 'slow')).toEqual(['slow']);
      // The first holder wakes up and reports too: fenced out, nothing counts twice.
      const [late] = await h.driver.settle(
        [{ jobId: jobs[0]!.id, token: 'silent-token', outcome: { type: 'completed', result: null } }],
        h.clock.now(),
      );
      expect(late).toEqual({ ok: false });
      expect(await batch.progress()).toEqual(
        progress({ total: 1, processed: 1, percentage: 100, finished: true }),
      );
      await conveyor.drain();
      expect(fired()).toEqual(['then', 'finally']);
    });

    it('onQueue sends members and callback jobs to one queue', async () => {
      const batch = await withCallbacks([new Step('a', 'elsewhere')])
        .onQueue('bulk')
        .dispatch();
      expect(await conveyor.queues()).toEqual(['bulk']);
      await conveyor.drain({ queues: ['bulk'] });
      expect(ran).toEqual(['a', 'report:then', 'report:finally']);
      expect((await batch.state()).finished).toBe(true);
    });

    it('function callbacks run once each in this process; progress functions see the counts change', async () => {
      failing.add('b');
      const seen: string[] = [];
      const progressSeen: number[] = [];
      const finished = deferred<BatchState>();
      await conveyor
        .batch([new Step('a'), new Step('b'), new Step('c')])
        .allowFailures()
        .then(() => seen.push('then'))
        .catch((_batch, error) => seen.push(`catch: ${error?.message}`))
        .progress((state) => progressSeen.push(state.processed + state.failed + state.cancelled))
        .finally((state) => {
          seen.push('finally');
          finished.resolve(state);
        })
        .dispatch();
      await conveyor.drain();
      const state = await within(finished.promise, 'the finally function');
      expect(seen).toEqual(['catch: b broke', 'finally']);
      expect(state).toMatchObject({ total: 3, processed: 2, failed: 1, finished: true });
      expect(progressSeen.at(-1)).toBe(3);
      expect(progressSeen).toEqual([...progressSeen].sort());
    });

    it('wait() resolves once every member settled, and times out on the conveyor clock', async () => {
      const batch = await conveyor.batch([new Step('a')]).dispatch();
      const timedOut = expect(batch.wait({ timeout: '10s' })).rejects.toThrow(WaitTimeoutError);
      await h.clock.advance(10 * SECOND);
      await timedOut;

      const waiting = batch.wait();
      await conveyor.drain();
      expect(await within(waiting, 'batch.wait()')).toMatchObject({
        id: batch.id,
        finished: true,
        processed: 1,
      });
    });

    it('emits batch:finished on the conveyor once per batch', async () => {
      const finishedIds: string[] = [];
      conveyor.on('batch:finished', ({ id }) => finishedIds.push(id));
      const empty = nextEvent(conveyor, 'batch:finished');
      const first = await conveyor.batch([]).dispatch();
      await empty;
      const second = await conveyor.batch([new Step('a')]).dispatch();
      const next = nextEvent(conveyor, 'batch:finished', ({ id }) => id === second.id);
      await conveyor.drain();
      await next;
      await second.wait();
      expect(finishedIds).toEqual([first.id, second.id]);
    });

    it('another process running the members: batch:finished, wait() and function callbacks still follow', async () => {
      // Two conveyors on one storage stand for two processes: this one dispatches, the other works.
      const workerSide = h.conveyor([Step, Report]);
      const finishedHere = nextEvent(conveyor, 'batch:finished');
      const thenHere = deferred();
      const batch = await withCallbacks([new Step('a'), new Step('b')])
        .then(() => thenHere.resolve())
        .dispatch();
      const waiting = batch.wait();

      await workerSide.drain();
      await workerSide.drain();

      const [{ id }] = await finishedHere;
      expect(id).toBe(batch.id);
      expect(await within(waiting, 'batch.wait()')).toMatchObject({ processed: 2, finished: true });
      await within(thenHere.promise, 'the then function');
      expect(fired()).toEqual(['then', 'finally']);
    });

    it('findBatch(id) and Batch.find(id) find a batch; an unknown id is null', async () => {
      const batch = await conveyor
        .batch([new Step('a')])
        .name('nightly')
        .dispatch();
      const found = await conveyor.findBatch(batch.id);
      expect(found).toMatchObject({ id: batch.id, name: 'nightly' });
      expect(await found?.progress()).toEqual(progress({ total: 1, pending: 1 }));
      expect(await conveyor.findBatch('no-such-batch')).toBeNull();

      Queue.use(h.driver);
      expect((await Batch.find(batch.id))?.name).toBe('nightly');
      const onQueue = await Batch.of([]).dispatch();
      expect((await onQueue.progress()).finished).toBe(true);
    });

    describe('bad input', () => {
      it('anything but a job is a TypeError naming the value', () => {
        expect(() => conveyor.batch([new Step('a'), 42 as never])).toThrow(TypeError);
        expect(() => conveyor.batch([new Step('a'), 42 as never])).toThrow('item [1] is 42');
        expect(() => conveyor.batch([[new Step('a'), 'x' as never]])).toThrow('"x"');
        expect(() => conveyor.batch('abc' as never)).toThrow(TypeError);
        expect(() => conveyor.batch([]).then(42 as never)).toThrow(TypeError);
        expect(() => conveyor.batch([]).progress(new Report('p') as never)).toThrow(TypeError);
      });

      it('an empty chain inside a batch is a ConfigurationError', () => {
        expect(() => conveyor.batch([new Step('a'), []])).toThrow(ConfigurationError);
      });

      it('awaiting the builder instead of dispatch() rejects with a ConfigurationError', async () => {
        await expect(Promise.resolve().then(() => conveyor.batch([new Step('a')]) as never)).rejects.toThrow(
          /call \.dispatch\(\)/,
        );
        expect(await conveyor.counts()).toMatchObject({ pending: 0 });
      });
    });
  });
}
