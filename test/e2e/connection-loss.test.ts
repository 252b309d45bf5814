/**
 * Connection loss: worker processes run while (1) every client connection is killed twice, and (2) Redis
 * itself is restarted (appendonly, fsync on every write). Workers must reconnect by themselves and every job
 * must complete; nothing is lost. Jobs in flight when a connection drops may run again (at-least-once), so
 * repeats are counted and printed, not forbidden.
 *
 * Both tests use a redis-server owned by this file (a free port, a temporary directory), so killing every
 * client never disturbs the other suites sharing the main Redis.
 */
import { Conveyor } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eJobs, RecordRun } from './fixtures/jobs.js';
import { recordKeys } from './fixtures/recorder.js';
import { analyseRuns } from './run-analysis.js';
import {
  adminClient,
  cleanupPrefix,
  dispatchMany,
  finishedCount,
  killAllWorkers,
  type OwnedRedis,
  percent,
  randomPrefix,
  spawnWorker,
  startRedisServer,
  stderrTails,
  type WorkerProcess,
  waitUntil,
} from './support.js';

const JOBS = 4_000;
const WORKERS = 2;
const CONCURRENCY = 10;
/** Each handler waits a random 0..WORK_MS ms, so the run lasts a few seconds and faults land mid-run. */
const WORK_MS = 40;
const LEASE_MS = 2_000;
const STALLED_INTERVAL_MS = 500;

describe('e2e connection loss', () => {
  let server: OwnedRedis;
  let admin: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = adminClient(server.url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
    await admin.connect();
  });

  afterAll(async () => {
    await killAllWorkers();
    admin?.disconnect();
    await server?.destroy();
  });

  /** Workers, dispatcher and prefix for one test; `run` gets them and the ids of `JOBS` dispatched jobs. */
  async function withWorkers(
    name: string,
    run: (ctx: {
      conveyor: Conveyor;
      prefix: string;
      ids: string[];
      workers: WorkerProcess[];
    }) => Promise<void>,
  ): Promise<void> {
    const prefix = randomPrefix(name);
    const conveyor = new Conveyor({ driver: new RedisDriver({ url: server.url, prefix }), jobs: e2eJobs });
    try {
      const workers = Array.from({ length: WORKERS }, (_, i) =>
        spawnWorker({
          redisUrl: server.url,
          prefix,
          name: `w${i}`,
          concurrency: CONCURRENCY,
          lease: LEASE_MS,
          stalledInterval: STALLED_INTERVAL_MS,
        }),
      );
      const [ids] = await Promise.all([
        dispatchMany(conveyor, JOBS, (n) => new RecordRun(n, WORK_MS)),
        ...workers.map((w) => w.ready),
      ]);
      await run({ conveyor, prefix, ids, workers });
    } finally {
      await killAllWorkers();
      await conveyor.close();
      await cleanupPrefix(prefix, server.url);
    }
  }

  const runs = (prefix: string) => admin.scard(recordKeys(prefix).runs);

  async function untilRuns(
    ctx: { prefix: string; workers: WorkerProcess[] },
    fraction: number,
  ): Promise<number> {
    return waitUntil(
      async () => {
        const n = await runs(ctx.prefix);
        return n >= JOBS * fraction && n;
      },
      {
        timeout: 30_000,
        what: `${percent(JOBS * fraction, JOBS)} of the jobs to run`,
        describe: async () => `${await runs(ctx.prefix)} runs${stderrTails(ctx.workers)}`,
      },
    );
  }

  /** Waits for every job to complete, stops the workers gracefully, and checks and prints the outcome. */
  async function finish(
    label: string,
    ctx: { conveyor: Conveyor; prefix: string; ids: string[]; workers: WorkerProcess[] },
    startedAt: number,
    faults: string,
  ): Promise<void> {
    const { conveyor, prefix, ids, workers } = ctx;
    await waitUntil(async () => (await finishedCount(conveyor)) >= JOBS, {
      timeout: 45_000,
      what: `all ${JOBS} jobs to finish`,
      describe: async () => JSON.stringify(await conveyor.counts()) + stderrTails(workers),
    });
    const completedAt = Date.now();
    const exitCodes = await Promise.all(workers.map((w) => w.stop()));
    expect(exitCodes, workers.map((w) => w.stderr()).join('\n')).toEqual(workers.map(() => 0));

    const report = await analyseRuns({ conveyor, redis: admin, prefix, ids, allowRepeats: true });
    console.log(
      `[e2e ${label}] jobs ${report.jobs}, completed ${report.completed}, ran once ${report.ranOnce}, ` +
        `ran twice ${report.ranTwice}, ran more ${report.jobs - report.ranOnce - report.ranTwice - report.neverRan.length}, ` +
        `recovered as stalled ${report.recoveredStalled}; ${faults}; done in ${completedAt - startedAt} ms`,
    );
    expect(report.notCompleted).toEqual([]);
    expect(report.completed).toBe(JOBS);
    expect(report.neverRan).toEqual([]);
  }

  it('every client connection killed twice mid-run: workers reconnect and every job completes', {
    timeout: 90_000,
  }, async () => {
    await withWorkers('connkill', async (ctx) => {
      const startedAt = Date.now();
      const faults: string[] = [];
      for (const fraction of [0.25, 0.6]) {
        const at = await untilRuns(ctx, fraction);
        // SKIPME yes spares the admin connection; pub/sub connections are dropped too.
        const normal = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
        const pubsub = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'SKIPME', 'yes'));
        faults.push(`killed ${normal} normal + ${pubsub} pubsub connections at ${percent(at, JOBS)}`);
        // Every worker process holds connections, so each kill must have cut some of them.
        expect(normal).toBeGreaterThanOrEqual(WORKERS);
        // Some jobs had not even started: the kill landed mid-run (read on the admin connection, which
        // SKIPME spared, so this does not depend on how fast the other clients reconnect).
        expect(await runs(ctx.prefix)).toBeLessThan(JOBS);
      }
      await finish('connection kill', ctx, startedAt, faults.join(', '));
    });
  });

  it('Redis restarted mid-run (appendonly): workers reconnect and every job completes', {
    timeout: 90_000,
  }, async () => {
    await withWorkers('restart', async (ctx) => {
      const startedAt = Date.now();
      const at = await untilRuns(ctx, 0.4);
      const downAt = Date.now();
      await server.restart();
      const downFor = Date.now() - downAt;
      const completedAfterRestart = await waitUntil(async () => (await ctx.conveyor.counts()).completed, {
        timeout: 10_000,
        what: 'the restarted Redis to answer the dispatcher',
      });
      // The restart landed mid-run, and what was stored before it survived (the AOF was replayed).
      expect(completedAfterRestart).toBeLessThan(JOBS);
      expect(await runs(ctx.prefix)).toBeGreaterThanOrEqual(at);
      await finish('redis restart', ctx, startedAt, `restarted at ${percent(at, JOBS)}, down ${downFor} ms`);
    });
  });
});
