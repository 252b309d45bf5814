import { Job, MISSED_BEATS_UNHEALTHY } from '@conveyor/core';
import { describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  deferred,
  eventFor,
  MINUTE,
  nextEvent,
  PATIENCE_MS,
  SECOND,
  useHarness,
  within,
} from './fixtures.js';

/** Probes until `check` returns a value (a storage write started by a clock tick may still be in flight). */
async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const value = await probe();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A worker record as another process would save it (core's encoded info). */
function foreignWorker(id: string, heartbeatAt: number, intervalMs = 5 * SECOND) {
  return {
    id,
    info: JSON.stringify({
      host: 'other-box',
      pid: 4242,
      queues: ['default'],
      concurrency: 3,
      active: 1,
      processed: 10,
      failed: 2,
      startedAt: heartbeatAt - MINUTE,
      interval: intervalMs,
    }),
    heartbeatAt,
    expiresAt: heartbeatAt + 12 * intervalMs,
  };
}

/** Operations: the worker registry, health, per-minute metrics and clearing a queue. */
export function operationsSuite(factory: DriverFactory): void {
  describe('api: worker registry', () => {
    const h = useHarness(factory);

    it('lists a started worker with its identity, counts and active jobs; removes it on close', async () => {
      const gate = deferred();
      class Waits extends Job {
        handle() {
          return gate.promise;
        }
      }
      class Fails extends Job {
        handle() {
          throw new Error('nope');
        }
      }
      const conveyor = h.conveyor([Waits, Fails]);
      const worker = h.worker(conveyor, {
        id: 'worker-a',
        queues: ['high', 'default'],
        concurrency: 4,
        stalledInterval: '5s',
      });
      const failed = nextEvent(worker, 'failed');
      await conveyor.dispatch(new Fails());
      const t0 = h.clock.now();
      await worker.start();
      await failed;
      const processing = nextEvent(worker, 'processing', (job) => job.name === 'Waits');
      await conveyor.dispatch(new Waits());
      await processing;
      await h.clock.advance(5 * SECOND); // one heartbeat

      const [info] = await eventually(
        () => conveyor.workers(),
        (list) => list[0]?.heartbeatAt === t0 + 5 * SECOND,
      );
      expect(info).toMatchObject({
        id: 'worker-a',
        pid: process.pid,
        queues: ['high', 'default'],
        concurrency: 4,
        active: 1,
        processed: 1,
        failed: 1,
        startedAt: t0,
        heartbeatAt: t0 + 5 * SECOND,
        heartbeatIntervalMs: 5 * SECOND,
        healthy: true,
      });
      expect(info!.host.length).toBeGreaterThan(0);

      gate.resolve();
      await within(worker.close(), 'close()');
      expect(await conveyor.workers()).toEqual([]);
    });

    it(`marks a worker that missed ${MISSED_BEATS_UNHEALTHY} heartbeats unhealthy, and drops it later`, async () => {
      const conveyor = h.conveyor();
      const t0 = h.clock.now();
      await h.driver.saveWorker(foreignWorker('gone-quiet', t0));

      await h.clock.advance(15 * SECOND);
      expect((await conveyor.workers()).map((w) => [w.id, w.healthy])).toEqual([['gone-quiet', true]]);
      await h.clock.advance(1);
      const [quiet] = await conveyor.workers();
      expect(quiet).toMatchObject({ id: 'gone-quiet', healthy: false, host: 'other-box', processed: 10 });

      await h.clock.advance(MINUTE);
      expect(await conveyor.workers()).toEqual([]);
    });

    it('shows a record it cannot parse with what the registry knows', async () => {
      const conveyor = h.conveyor();
      const t0 = h.clock.now();
      await h.driver.saveWorker({ id: 'odd', info: 'not json', heartbeatAt: t0, expiresAt: t0 + MINUTE });

      expect(await conveyor.workers()).toEqual([
        expect.objectContaining({ id: 'odd', heartbeatAt: t0, queues: [], healthy: true }),
      ]);
    });
  });

  describe('api: health', () => {
    const h = useHarness(factory);

    it('is ok with healthy workers, and reports queue depths and paused queues', async () => {
      class Noop extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Noop]);
      await conveyor.dispatch(new Noop()).onQueue('emails');
      await conveyor.dispatch(new Noop()).onQueue('emails').delay('1h');
      await conveyor.dispatch(new Noop()).onQueue('reports');
      await h.driver.setQueueSettings('reports', { paused: true, concurrency: null, rateLimit: null });
      await h.driver.saveWorker(foreignWorker('w-1', h.clock.now()));

      const health = await conveyor.health();

      expect(health).toMatchObject({
        status: 'ok',
        checkedAt: h.clock.now(),
        driver: { name: h.driver.name, reachable: true, error: null },
        workers: { total: 1, healthy: 1, unhealthy: 0 },
      });
      expect(health.driver.latencyMs).toBeGreaterThanOrEqual(0);
      expect(health.queues.map(({ queue, depth, paused }) => ({ queue, depth, paused }))).toEqual([
        { queue: 'emails', depth: 2, paused: false },
        { queue: 'reports', depth: 1, paused: true },
      ]);
    });

    it('is degraded when a worker is unhealthy, or when jobs wait and no worker is alive', async () => {
      class Noop extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Noop]);
      expect((await conveyor.health()).status).toBe('ok'); // nothing to do, nobody needed

      await conveyor.dispatch(new Noop());
      expect((await conveyor.health()).status).toBe('degraded');

      await h.driver.saveWorker(foreignWorker('w-1', h.clock.now()));
      expect((await conveyor.health()).status).toBe('ok');
      await h.clock.advance(16 * SECOND);
      expect(await conveyor.health()).toMatchObject({
        status: 'degraded',
        workers: { total: 1, healthy: 0, unhealthy: 1 },
      });
    });
  });

  describe('api: metrics', () => {
    const h = useHarness(factory);

    it('counts submitted, completed, failed, retried and dead per queue and job name, with run times', async () => {
      const gate = deferred();
      class Slow extends Job {
        static queue = 'emails';
        handle() {
          return gate.promise;
        }
      }
      class Quick extends Job {
        static queue = 'emails';
        handle() {}
      }
      class Broken extends Job {
        static queue = 'reports';
        static maxAttempts = 2;
        handle() {
          throw new Error('broken');
        }
      }
      const conveyor = h.conveyor([Slow, Quick, Broken]);
      const start = h.clock.now();
      const slow = await conveyor.dispatch(new Slow());
      await conveyor.dispatch(new Quick());
      await conveyor.dispatch(new Quick());
      await conveyor.dispatch(new Broken());
      await conveyor.batch([new Quick()]).dispatch(); // batch members count as submitted too

      const worker = h.worker(conveyor, { queues: ['emails', 'reports'], concurrency: 10 });
      const processing = eventFor(worker, 'processing', slow.id);
      const retrying = nextEvent(worker, 'retrying');
      const dead = nextEvent(worker, 'failed');
      const completed = eventFor(worker, 'completed', slow.id);
      await worker.start();
      await processing;
      await retrying;
      await h.clock.advance(2 * SECOND); // Slow runs for 2 s; Broken's retry is due at once
      gate.resolve();
      await completed;
      await dead;
      await within(worker.close(), 'close()'); // flushes what the worker summed

      const metrics = await conveyor.metrics({ since: start });
      expect(metrics).toMatchObject({
        since: start - (start % MINUTE),
        until: h.clock.now(),
        submitted: 5,
        completed: 4,
        failed: 2,
        retried: 1,
        dead: 1,
        successRate: 0.6667,
        depth: 0,
        workers: { total: 0, healthy: 0, unhealthy: 0 },
      });
      const emails = metrics.queues.find((q) => q.queue === 'emails')!;
      expect(emails).toMatchObject({ submitted: 4, completed: 4, failed: 0, successRate: 1 });
      expect(Object.keys(emails.jobs)).toEqual(['Quick', 'Slow']);
      expect(emails.jobs.Quick).toMatchObject({
        submitted: 3,
        completed: 3,
        p50RunTimeMs: expect.any(Number),
      });
      // 2 s, read back from a log-scale histogram: within its bin's width
      expect(emails.jobs.Slow!.p99RunTimeMs).toBeGreaterThan(1_700);
      expect(emails.jobs.Slow!.p99RunTimeMs).toBeLessThanOrEqual(2_000 * 1.2);
      expect(emails.jobs.Slow!.avgRunTimeMs).toBe(2_000);
      const reports = metrics.queues.find((q) => q.queue === 'reports')!;
      expect(reports).toMatchObject({ submitted: 1, completed: 0, failed: 2, retried: 1, dead: 1 });
      expect(reports.successRate).toBe(0);
      expect(reports.avgRunTimeMs).toBeNull();
      expect(reports.jobs.Broken).toMatchObject({ failed: 2, dead: 1 });
      expect(metrics.jobsPerSecond).toBeGreaterThan(0);
    });

    it('reads one queue, reports depth and counts, and leaves out minutes before since', async () => {
      class Noop extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Noop]);
      await conveyor.dispatch(new Noop());
      await conveyor.flushMetrics();
      await h.clock.advance(10 * MINUTE);
      await conveyor.dispatch(new Noop());
      await conveyor.dispatch(new Noop()).onQueue('other');
      await conveyor.flushMetrics();

      const recent = await conveyor.metrics({ queue: 'default', since: h.clock.now() - MINUTE });
      expect(recent.queues.map((q) => q.queue)).toEqual(['default']);
      expect(recent).toMatchObject({ submitted: 1, depth: 2 });
      expect(recent.queues[0]!.counts.pending).toBe(2);
      const all = await conveyor.metrics({ since: new Date(h.clock.now() - 20 * MINUTE) });
      expect(all).toMatchObject({ submitted: 3, depth: 3 });
    });

    it('records nothing with metrics: false', async () => {
      class Noop extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Noop], { metrics: false });
      await conveyor.dispatch(new Noop());
      await conveyor.drain();
      await conveyor.flushMetrics();

      expect(await conveyor.metrics()).toMatchObject({ submitted: 0, completed: 0 });
    });

    it('reports uptime from the longest-running live worker', async () => {
      const conveyor = h.conveyor();
      await h.driver.saveWorker(foreignWorker('w-1', h.clock.now()));
      expect((await conveyor.metrics()).uptimeSeconds).toBe(60);
    });
  });

  describe('api: clear a queue', () => {
    const h = useHarness(factory);

    it('removes pending, delayed and retrying jobs of one queue; keeps finished jobs and other queues', async () => {
      let runs = 0;
      class Flaky extends Job {
        static maxAttempts = 3;
        static backoff = MINUTE;
        handle() {
          runs++;
          if (runs === 1) throw new Error('retry me');
        }
      }
      class Noop extends Job {
        handle() {}
      }
      const conveyor = h.conveyor([Flaky, Noop]);
      const done = await conveyor.dispatch(new Noop());
      await conveyor.drain();
      const retrying = await conveyor.dispatch(new Flaky());
      await conveyor.drain();
      expect(await retrying.status()).toBe('retrying');
      await conveyor.dispatch(new Noop());
      await conveyor.dispatch(new Noop()).delay('1h');
      const elsewhere = await conveyor.dispatch(new Noop()).onQueue('other');

      expect(await conveyor.clear('default')).toBe(3);

      expect(await done.status()).toBe('completed');
      expect(await retrying.status()).toBeNull();
      expect(await elsewhere.status()).toBe('pending');
      expect(await conveyor.counts('default')).toMatchObject({
        pending: 0,
        delayed: 0,
        retrying: 0,
        completed: 1,
      });
      expect(await conveyor.clear('default')).toBe(0);
    });
  });
}
