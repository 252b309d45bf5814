import { Job, type JobContext } from '@conveyor/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { deferred, eventFor, MINUTE, recordOf, SECOND, useHarness, within } from './fixtures.js';

/** Job states and transitions as a worker drives them, and the job handle's typed results. */
export function statesSuite(factory: DriverFactory): void {
  describe('api: states and transitions', () => {
    const h = useHarness(factory);

    it('moves a job pending → processing → completed and stores its result and times', async () => {
      const gate = deferred();
      class Add extends Job<number> {
        constructor(
          public a: number,
          public b: number,
        ) {
          super();
        }
        async handle() {
          await gate.promise;
          return this.a + this.b;
        }
      }
      const conveyor = h.conveyor([Add]);
      const t0 = h.clock.now();
      const job = await conveyor.dispatch(new Add(2, 3));
      expect(await job.status()).toBe('pending');

      const worker = h.worker(conveyor);
      const processing = eventFor(worker, 'processing', job.id);
      await worker.start();
      await processing;
      expect(await job.status()).toBe('processing');

      await h.clock.advance(SECOND);
      const completed = eventFor(worker, 'completed', job.id);
      gate.resolve();
      const [, result] = await completed;
      expect(result).toBe(5);
      const record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({
        state: 'completed',
        attempts: 1,
        startedAt: t0,
        finishedAt: t0 + SECOND,
      });
      expect(record.errors).toEqual([]);
      expect(await job.result()).toBe(5);
    });

    it('keeps a delayed job delayed until its time', async () => {
      class Noop extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Noop]);
      const job = await conveyor.dispatch(new Noop()).delay('5m');
      expect(await job.status()).toBe('delayed');
      expect(await conveyor.drain()).toBe(0);
      await h.clock.advance(5 * MINUTE);
      expect(await conveyor.drain()).toBe(1);
      expect(await job.status()).toBe('completed');
    });

    it('moves a failed attempt with attempts left to retrying, then runs it again', async () => {
      let runs = 0;
      class Flaky extends Job {
        static maxAttempts = 2;
        static backoff = 10 * SECOND;
        handle() {
          runs++;
          if (runs === 1) throw new Error('first try fails');
        }
      }
      const conveyor = h.conveyor([Flaky]);
      const job = await conveyor.dispatch(new Flaky());
      expect(await conveyor.drain()).toBe(1);
      expect(await job.status()).toBe('retrying');
      await h.clock.advance(10 * SECOND);
      expect(await conveyor.drain()).toBe(1);
      const record = await recordOf(h.driver, job.id);
      expect(record).toMatchObject({ state: 'completed', attempts: 2 });
      expect(record.errors).toMatchObject([{ name: 'Error', message: 'first try fails', attempt: 1 }]);
    });

    it('moves the final failure to failed (the dead-letter state) with its error history', async () => {
      class Broken extends Job {
        static maxAttempts = 2;
        handle(ctx: JobContext) {
          throw new Error(`broken on attempt ${ctx.attempt}`);
        }
      }
      const conveyor = h.conveyor([Broken]);
      const t0 = h.clock.now();
      const job = await conveyor.dispatch(new Broken());
      expect(await conveyor.drain()).toBe(2);
      const record = await recordOf(h.driver, job.id);
      expect(record.state).toBe('failed');
      expect(record.errors).toHaveLength(2);
      expect(record.errors[0]).toMatchObject({
        name: 'Error',
        message: 'broken on attempt 1',
        attempt: 1,
        at: t0,
      });
      expect(record.errors[1]).toMatchObject({ message: 'broken on attempt 2', attempt: 2 });
      expect(record.errors[1]!.stack).toContain('broken on attempt 2');
      await expect(job.result()).rejects.toThrow(/broken on attempt 2/);
    });

    it('records a thrown non-Error as an error whose message shows the value', async () => {
      class ThrowsString extends Job {
        handle() {
          throw 'plain string'; // eslint-disable-line no-throw-literal
        }
      }
      class ThrowsObject extends Job {
        handle() {
          throw { code: 42 };
        }
      }
      const conveyor = h.conveyor([ThrowsString, ThrowsObject]);
      const a = await conveyor.dispatch(new ThrowsString());
      const b = await conveyor.dispatch(new ThrowsObject());
      expect(await conveyor.drain()).toBe(2);
      const [ra, rb] = [await recordOf(h.driver, a.id), await recordOf(h.driver, b.id)];
      expect(ra.state).toBe('failed');
      expect(ra.errors[0]!.message).toContain('"plain string"');
      expect(rb.state).toBe('failed');
      expect(rb.errors[0]!.message).toContain('{"code":42}');
    });

    it('gives typed results through job.wait() and job.result()', async () => {
      class Greet extends Job<{ text: string; at: Date }> {
        constructor(public name: string) {
          super();
        }
        handle() {
          return { text: `hello ${this.name}`, at: new Date(0) };
        }
      }
      class Fails extends Job<number> {
        handle(): number {
          throw new Error('nope');
        }
      }
      const conveyor = h.conveyor([Greet, Fails]);
      const job = await conveyor.dispatch(new Greet('ada'));
      const bad = await conveyor.dispatch(new Fails());
      expectTypeOf(job.wait).returns.resolves.toEqualTypeOf<{ text: string; at: Date }>();
      expectTypeOf(job.result).returns.resolves.toEqualTypeOf<{ text: string; at: Date } | undefined>();
      expectTypeOf(bad.wait).returns.resolves.toEqualTypeOf<number>();

      expect(await job.result()).toBeUndefined();
      const worker = h.worker(conveyor);
      await worker.start();
      const value = await within(job.wait(), 'job.wait()');
      expect(value).toEqual({ text: 'hello ada', at: new Date(0) });
      expect(value.at).toBeInstanceOf(Date);
      expect(await job.result()).toEqual(value);
      await expect(within(bad.wait(), 'bad.wait()')).rejects.toThrow(/nope/);
    });
  });
}
