import { ConfigurationError, DEFAULT_QUEUE_SETTINGS, Job } from '@conveyor/core';
import { describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { deferred, MINUTE, settleTurns, useHarness, within } from './fixtures.js';

/**
 * Queue-level limits shared by every worker (`Queue.limit`, `pause`, `resume`): stored in the driver and obeyed
 * by every reservation, whatever the number of workers and their own concurrency.
 */
export function queueLimitsApiSuite(factory: DriverFactory): void {
  describe('api: queue limits', () => {
    const h = useHarness(factory);

    class Send extends Job {
      static queue = 'emails';
      constructor(public n: number) {
        super();
      }
      handle() {}
    }

    it('concurrency caps the running jobs of a queue across two workers', async () => {
      const gate = deferred();
      let running = 0;
      let most = 0;
      class Blocked extends Job {
        static queue = 'emails';
        constructor(public n: number) {
          super();
        }
        async handle() {
          most = Math.max(most, ++running);
          await gate.promise;
          running--;
        }
      }
      const conveyor = h.conveyor([Blocked]);
      await conveyor.limit('emails', { concurrency: 2 });
      const handles = [];
      for (let n = 0; n < 6; n++) handles.push(await conveyor.dispatch(new Blocked(n)));
      const workers = [
        h.worker(conveyor, { queues: ['emails'], concurrency: 5 }),
        h.worker(h.conveyor([Blocked]), { queues: ['emails'], concurrency: 5 }),
      ];
      await Promise.all(workers.map((worker) => worker.start()));
      await within(
        (async () => {
          while ((await conveyor.counts('emails')).processing < 2) await settleTurns();
        })(),
        'two jobs processing',
      );
      await settleTurns(20);
      expect((await conveyor.counts('emails')).processing).toBe(2);
      expect(running).toBe(2);

      gate.resolve();
      await within(Promise.all(handles.map((handle) => handle.wait())), 'every job');
      expect(most).toBe(2);
    });

    it('a rate limit lets `limit` jobs start per window, and the rest in later windows', async () => {
      const conveyor = h.conveyor([Send]);
      const settings = await conveyor.limit('emails', { limit: 2, per: '1m' });
      expect(settings).toEqual({
        paused: false,
        concurrency: null,
        rateLimit: { limit: 2, windowMs: MINUTE },
      });
      for (let n = 0; n < 5; n++) await conveyor.dispatch(new Send(n));

      expect(await conveyor.drain({ queues: ['emails'] })).toBe(2);
      expect(await conveyor.drain({ queues: ['emails'] })).toBe(0);
      expect((await conveyor.counts('emails')).pending).toBe(3);
      await h.clock.advance(MINUTE);
      expect(await conveyor.drain({ queues: ['emails'] })).toBe(2);
      await h.clock.advance(MINUTE);
      expect(await conveyor.drain({ queues: ['emails'] })).toBe(1);
    });

    it('pause stops every worker taking jobs of the queue; resume lets them go, waking idle workers', async () => {
      const conveyor = h.conveyor([Send]);
      await conveyor.pause('emails');
      expect(await conveyor.queueSettings('emails')).toEqual({ ...DEFAULT_QUEUE_SETTINGS, paused: true });
      const job = await conveyor.dispatch(new Send(1));
      expect(await conveyor.drain({ queues: ['emails'] })).toBe(0);
      expect(await job.status()).toBe('pending');

      const worker = h.worker(conveyor, { queues: ['emails'] });
      await worker.start();
      await settleTurns(20);
      expect(await job.status()).toBe('pending');
      await conveyor.resume('emails');
      await within(job.wait(), 'the job after resume');
      expect((await conveyor.queueSettings('emails')).paused).toBe(false);
    });

    it('merges with the stored settings; null removes a limit', async () => {
      const conveyor = h.conveyor([Send]);
      await conveyor.limit('emails', { concurrency: 3 });
      await conveyor.pause('emails');
      expect(await conveyor.limit('emails', { limit: 10, per: '1s' })).toEqual({
        paused: true,
        concurrency: 3,
        rateLimit: { limit: 10, windowMs: 1_000 },
      });
      expect(await conveyor.limit('emails', { concurrency: null })).toEqual({
        paused: true,
        concurrency: null,
        rateLimit: { limit: 10, windowMs: 1_000 },
      });
      await conveyor.resume('emails');
      expect(await conveyor.limit('emails', { limit: null })).toEqual(DEFAULT_QUEUE_SETTINGS);
      expect(await conveyor.queueSettings('other')).toEqual(DEFAULT_QUEUE_SETTINGS);
    });

    it('a pause and a limit from two processes at once both take effect', async () => {
      const first = h.conveyor([Send]);
      const second = h.conveyor([Send]);
      await Promise.all([first.pause('emails'), second.limit('emails', { concurrency: 5 })]);
      expect(await first.queueSettings('emails')).toEqual({ paused: true, concurrency: 5, rateLimit: null });

      await Promise.all([first.resume('emails'), second.limit('emails', { limit: 3, per: '1s' })]);
      expect(await second.queueSettings('emails')).toEqual({
        paused: false,
        concurrency: 5,
        rateLimit: { limit: 3, windowMs: 1_000 },
      });
    });

    describe('bad input', () => {
      it.each([
        [{ limit: 0, per: '1m' }, 'limit 0'],
        [{ limit: 2.5, per: '1m' }, '2.5'],
        [{ limit: 5 }, '{"limit":5}'],
        [{ per: '1m' }, '{"per":"1m"}'],
        [{ limit: 5, per: 'a minute' }, '"a minute"'],
        [{ limit: 5, per: 0 }, 'per 0'],
        [{ concurrency: 0 }, 'concurrency 0'],
        [{ concurrency: '5' }, '"5"'],
        [{ rate: 5 }, '"rate"'],
        [{ limit: null, per: '1m' }, '"1m"'],
        ['fast', '"fast"'],
        [undefined, "{ limit: 100, per: '1m', concurrency: 5 }"],
      ])('limit(emails, %j) is a ConfigurationError quoting the value', (options, quoted) => {
        const conveyor = h.conveyor([Send]);
        const call = () => conveyor.limit('emails', options as never);
        expect(call).toThrow(ConfigurationError);
        expect(call).toThrow(quoted);
      });

      it('a bad queue name is a ConfigurationError at the call', () => {
        const conveyor = h.conveyor([Send]);
        expect(() => conveyor.limit('my queue', { concurrency: 1 })).toThrow(/"my queue"/);
        expect(() => conveyor.pause('')).toThrow(ConfigurationError);
        expect(() => conveyor.queueSettings('{x}')).toThrow(ConfigurationError);
      });
    });
  });
}
