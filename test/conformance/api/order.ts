import { Job, type JobContext } from '@conveyor/core';
import { describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { eventFor, MINUTE, recordOf, SECOND, useHarness } from './fixtures.js';

/** Run order through a worker with concurrency 1, and delayed jobs on the fake clock. */
export function orderSuite(factory: DriverFactory): void {
  describe('api: order and delays', () => {
    const h = useHarness(factory);

    function recorder() {
      const ran: string[] = [];
      class Tagged extends Job {
        constructor(public tag: string) {
          super();
        }
        handle(ctx: JobContext) {
          ran.push(`${ctx.queue}:${this.tag}`);
        }
      }
      return { ran, Tagged };
    }

    it('takes queues in the strict order the worker lists them', async () => {
      const { ran, Tagged } = recorder();
      const conveyor = h.conveyor([Tagged]);
      await conveyor.dispatch(new Tagged('1')).onQueue('low').priority('critical');
      await conveyor.dispatch(new Tagged('2')).onQueue('default');
      await conveyor.dispatch(new Tagged('3')).onQueue('high').priority('low');
      await conveyor.dispatch(new Tagged('4')).onQueue('low');
      await conveyor.dispatch(new Tagged('5')).onQueue('high');
      const worker = h.worker(conveyor, { queues: ['high', 'default', 'low'], concurrency: 1 });
      expect(await worker.drain()).toBe(5);
      expect(ran).toEqual(['high:5', 'high:3', 'default:2', 'low:1', 'low:4']);
    });

    it('never runs jobs of a queue it does not list', async () => {
      const { ran, Tagged } = recorder();
      const conveyor = h.conveyor([Tagged]);
      const other = await conveyor.dispatch(new Tagged('x')).onQueue('other');
      const worker = h.worker(conveyor, { queues: ['default'] });
      expect(await worker.drain()).toBe(0);
      expect(ran).toEqual([]);
      expect(await other.status()).toBe('pending');
    });

    it('runs higher priority first, then FIFO by dispatch order', async () => {
      const { ran, Tagged } = recorder();
      const conveyor = h.conveyor([Tagged]);
      await conveyor.dispatch(new Tagged('low')).priority('low');
      await conveyor.dispatch(new Tagged('normal-1'));
      await conveyor.dispatch(new Tagged('critical')).priority('critical');
      await conveyor.dispatch(new Tagged('normal-2')).priority(2);
      await conveyor.dispatch(new Tagged('high')).priority('high');
      await conveyor.dispatch(new Tagged('normal-3'));
      const worker = h.worker(conveyor, { concurrency: 1 });
      expect(await worker.drain()).toBe(6);
      expect(ran.map((r) => r.split(':')[1])).toEqual([
        'critical',
        'high',
        'normal-1',
        'normal-2',
        'normal-3',
        'low',
      ]);
    });

    it('orders by the time a job became ready: a delayed job due earlier runs before a later dispatch', async () => {
      const { ran, Tagged } = recorder();
      const conveyor = h.conveyor([Tagged]);
      await conveyor.dispatch(new Tagged('delayed')).delay(SECOND);
      await h.clock.advance(2 * SECOND);
      await conveyor.dispatch(new Tagged('later'));
      const worker = h.worker(conveyor, { concurrency: 1 });
      expect(await worker.drain()).toBe(2);
      expect(ran).toEqual(['default:delayed', 'default:later']);
    });

    it('does not run a delayed job before its time, and runs it once the clock reaches it', async () => {
      const { ran, Tagged } = recorder();
      const conveyor = h.conveyor([Tagged]);
      const t0 = h.clock.now();
      const job = await conveyor.dispatch(new Tagged('d')).delay('5m');
      const byDate = await conveyor.dispatch(new Tagged('date')).delay(new Date(t0 + 10 * MINUTE));
      expect((await recordOf(h.driver, job.id)).availableAt).toBe(t0 + 5 * MINUTE);
      expect((await recordOf(h.driver, byDate.id)).availableAt).toBe(t0 + 10 * MINUTE);

      const worker = h.worker(conveyor);
      expect(await worker.drain()).toBe(0);
      await h.clock.advance(5 * MINUTE - 1);
      expect(await worker.drain()).toBe(0);
      await h.clock.advance(1);
      expect(await worker.drain()).toBe(1);
      expect(ran).toEqual(['default:d']);
      expect((await recordOf(h.driver, job.id)).startedAt).toBe(t0 + 5 * MINUTE);
      await h.clock.advance(5 * MINUTE);
      expect(await worker.drain()).toBe(1);
      expect(ran).toEqual(['default:d', 'default:date']);
    });

    it('wakes a started, idle worker when the clock reaches a delayed job', async () => {
      const { ran, Tagged } = recorder();
      const conveyor = h.conveyor([Tagged]);
      const t0 = h.clock.now();
      const job = await conveyor.dispatch(new Tagged('d')).delay('1h');
      // A real-time idle wait this long cannot be what wakes it: only the clock can.
      const worker = h.worker(conveyor, { idleWait: '1h' });
      await worker.start();
      await h.clock.advance(30 * MINUTE);
      expect(ran).toEqual([]);
      const completed = eventFor(worker, 'completed', job.id);
      await h.clock.advance(30 * MINUTE);
      await completed;
      expect(ran).toEqual(['default:d']);
      expect((await recordOf(h.driver, job.id)).startedAt).toBe(t0 + 60 * MINUTE);
    });

    it('wakes a started, idle worker when a job is dispatched', async () => {
      const { ran, Tagged } = recorder();
      const conveyor = h.conveyor([Tagged]);
      const worker = h.worker(conveyor, { queues: ['a', 'b'], idleWait: '1h' });
      await worker.start();
      const job = await conveyor.dispatch(new Tagged('now')).onQueue('b');
      await eventFor(worker, 'completed', job.id);
      expect(ran).toEqual(['b:now']);
    });
  });
}
