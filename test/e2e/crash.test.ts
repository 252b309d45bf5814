/**
 * Crash: four worker processes share 20,000 jobs; one is SIGKILLed mid-run. Every job must end `completed`,
 * every handler must have run exactly once, except jobs in flight on the killed worker, which may run twice
 * (at-least-once delivery: their lease expires and another worker recovers them). A few jobs outlive the
 * lease, so a heartbeat that fails to renew leases on the healthy workers shows up as a repeat.
 */
import { Conveyor } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eJobs, RecordRun, SlowRun } from './fixtures/jobs.js';
import { recordKeys } from './fixtures/recorder.js';
import { analyseRuns } from './run-analysis.js';
import {
  adminClient,
  assertRedisAnswers,
  cleanupPrefix,
  dispatchMany,
  finishedCount,
  killAllWorkers,
  percent,
  randomPrefix,
  redisUrl,
  spawnWorker,
  stderrTails,
  waitUntil,
} from './support.js';

const PREFIX = randomPrefix('crash');
const JOBS = 20_000;
const WORKERS = 4;
const CONCURRENCY = 20;
const LEASE_MS = 2_000;
const STALLED_INTERVAL_MS = 500;
/** Each handler waits a random 0..WORK_MS ms, so a crash always finds attempts in flight. */
const WORK_MS = 10;
/**
 * The first SLOW_JOBS of the JOBS run for SLOW_MS, longer than the lease: on the surviving workers they run
 * once only if the heartbeat keeps renewing their leases.
 */
const SLOW_JOBS = 40;
const SLOW_MS = 3_000;

describe('e2e crash: a worker process SIGKILLed mid-run', () => {
  let admin: Redis;
  let conveyor: Conveyor;

  beforeAll(async () => {
    await assertRedisAnswers();
    admin = adminClient();
    await admin.connect();
    conveyor = new Conveyor({ driver: new RedisDriver({ url: redisUrl(), prefix: PREFIX }), jobs: e2eJobs });
  });

  afterAll(async () => {
    await killAllWorkers();
    await conveyor?.close();
    await cleanupPrefix(PREFIX);
    admin?.disconnect();
  });

  it(`${JOBS} jobs on ${WORKERS} workers: all complete, only the killed worker's in-flight jobs run twice`, {
    timeout: 150_000,
  }, async () => {
    const startedAt = Date.now();
    const workers = Array.from({ length: WORKERS }, (_, i) =>
      spawnWorker({
        prefix: PREFIX,
        name: `w${i}`,
        concurrency: CONCURRENCY,
        lease: LEASE_MS,
        stalledInterval: STALLED_INTERVAL_MS,
      }),
    );
    const [ids] = await Promise.all([
      dispatchMany(conveyor, JOBS, (n) =>
        n < SLOW_JOBS ? new SlowRun(n, SLOW_MS) : new RecordRun(n, WORK_MS),
      ),
      ...workers.map((w) => w.ready),
    ]);
    const victim = workers[0]!;
    const survivors = workers.slice(1);
    const runsKey = recordKeys(PREFIX).runs;

    // Kill once 30% have run, at a moment the victim has handlers running (counted from the run records).
    const runningKey = recordKeys(PREFIX).running(victim.name);
    await waitUntil(
      async () => (await admin.scard(runsKey)) >= JOBS * 0.3 && (await admin.scard(runningKey)) > 0,
      {
        timeout: 60_000,
        what: '30% of the jobs to run, with handlers running on the victim',
        describe: async () => `${await admin.scard(runsKey)} runs${stderrTails(workers)}`,
      },
    );
    await victim.crash();
    const runsAtKill = await admin.scard(runsKey);

    const describeCounts = async () => JSON.stringify(await conveyor.counts()) + stderrTails(workers);
    await waitUntil(async () => (await finishedCount(conveyor)) >= JOBS, {
      timeout: 90_000,
      what: `all ${JOBS} jobs to finish`,
      describe: describeCounts,
    });
    const completedAt = Date.now();

    // Stop the survivors gracefully: after this nothing can run any more, so the counts are final.
    const exitCodes = await Promise.all(survivors.map((w) => w.stop()));
    expect(exitCodes, survivors.map((w) => w.stderr()).join('\n')).toEqual(survivors.map(() => 0));

    const report = await analyseRuns({ conveyor, redis: admin, prefix: PREFIX, ids, killed: victim.name });
    const counts = await conveyor.counts();
    console.log(
      `[e2e crash] jobs ${report.jobs}, completed ${report.completed}, ran once ${report.ranOnce}, ` +
        `ran twice ${report.ranTwice}, killed worker in-flight ${report.killedInFlight.size} ` +
        `(killed at ${runsAtKill} runs = ${percent(runsAtKill, JOBS)}), recovered as stalled ` +
        `${report.recoveredStalled}, counts ${JSON.stringify(counts)}; ` +
        `done in ${completedAt - startedAt} ms, total ${Date.now() - startedAt} ms`,
    );

    expect(report.notCompleted).toEqual([]);
    expect(report.completed).toBe(JOBS);
    expect(counts.completed).toBe(JOBS);
    expect(report.neverRan).toEqual([]);
    expect(report.unexpectedRepeats).toEqual([]);
    expect(report.ranOnce + report.ranTwice).toBe(JOBS);
    // The crash really hit work in progress, and that work was recovered through lease expiry.
    expect(report.killedInFlight.size).toBeGreaterThan(0);
    expect(report.recoveredStalled).toBeGreaterThan(0);
  });
});
