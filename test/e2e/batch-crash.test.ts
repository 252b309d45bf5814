/**
 * Batch crash: a 10,000-job batch with `then` and `finally` callback jobs runs across four worker processes;
 * one is SIGKILLed mid-run. The batch must end at 100% with every member completed, and each callback must
 * have run exactly once (counted after every worker stopped, so no late run can hide), although the members
 * the killed worker had in flight were delivered twice.
 */
import { Conveyor } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eJobs, RecordCallback, RecordRun } from './fixtures/jobs.js';
import { readCallbacks, recordKeys } from './fixtures/recorder.js';
import { analyseRuns } from './run-analysis.js';
import {
  adminClient,
  assertRedisAnswers,
  cleanupPrefix,
  killAllWorkers,
  percent,
  randomPrefix,
  redisUrl,
  spawnWorker,
  stderrTails,
  waitUntil,
} from './support.js';

const PREFIX = randomPrefix('batchcrash');
const JOBS = 10_000;
const WORKERS = 4;
const CONCURRENCY = 20;
const LEASE_MS = 2_000;
const STALLED_INTERVAL_MS = 500;
const WORK_MS = 10;

describe('e2e batch crash: a 10,000-job batch survives a SIGKILLed worker', () => {
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

  it(`then and finally each run exactly once and progress ends at 100%`, { timeout: 150_000 }, async () => {
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
    const members = Array.from({ length: JOBS }, (_, n) => new RecordRun(n, WORK_MS));
    const [batch] = await Promise.all([
      conveyor
        .batch(members)
        .name('e2e-batch-crash')
        .then(new RecordCallback('then'))
        .finally(new RecordCallback('finally'))
        .dispatch(),
      ...workers.map((w) => w.ready),
    ]);
    const dispatchedAt = Date.now();
    const victim = workers[0]!;
    const survivors = workers.slice(1);
    const runsKey = recordKeys(PREFIX).runs;

    // Kill once 30% have run, at a moment the victim has handlers running (counted from the run records).
    const runningKey = recordKeys(PREFIX).running(victim.name);
    await waitUntil(
      async () => (await admin.scard(runsKey)) >= JOBS * 0.3 && (await admin.scard(runningKey)) > 0,
      {
        timeout: 60_000,
        what: '30% of the batch to run, with handlers running on the victim',
        describe: async () => `${await admin.scard(runsKey)} runs${stderrTails(workers)}`,
      },
    );
    await victim.crash();
    const runsAtKill = await admin.scard(runsKey);

    await waitUntil(
      async () => {
        const callbacks = await readCallbacks(admin, PREFIX);
        return (await batch.progress()).finished && callbacks.has('then') && callbacks.has('finally');
      },
      {
        timeout: 90_000,
        what: 'the batch to finish and its then/finally callbacks to run',
        describe: async () =>
          `${JSON.stringify(await batch.progress())}, callbacks ${JSON.stringify([...(await readCallbacks(admin, PREFIX))])}` +
          stderrTails(workers),
      },
    );
    const finishedAt = Date.now();

    // Stop the survivors gracefully: after this no callback can run again, so its count is final.
    const exitCodes = await Promise.all(survivors.map((w) => w.stop()));
    expect(exitCodes, survivors.map((w) => w.stderr()).join('\n')).toEqual(survivors.map(() => 0));

    const progress = await batch.progress();
    const state = await batch.state();
    const callbacks = await readCallbacks(admin, PREFIX);
    const memberIds = (
      await conveyor.list({ queue: 'default', name: RecordRun.jobName, limit: JOBS + 100 })
    ).map((job) => job.id);
    const report = await analyseRuns({
      conveyor,
      redis: admin,
      prefix: PREFIX,
      ids: memberIds,
      killed: victim.name,
    });
    console.log(
      `[e2e batch crash] members ${report.jobs}, completed ${report.completed}, ran once ${report.ranOnce}, ` +
        `ran twice ${report.ranTwice}, killed worker in-flight ${report.killedInFlight.size} ` +
        `(killed at ${runsAtKill} runs = ${percent(runsAtKill, JOBS)}), recovered as stalled ` +
        `${report.recoveredStalled}; then ran ${callbacks.get('then') ?? 0}x, finally ran ` +
        `${callbacks.get('finally') ?? 0}x; progress ${JSON.stringify(progress)}; ` +
        `dispatch ${dispatchedAt - startedAt} ms, finished ${finishedAt - startedAt} ms`,
    );

    expect(callbacks.get('then')).toBe(1);
    expect(callbacks.get('finally')).toBe(1);
    expect([...callbacks.keys()].sort()).toEqual(['finally', 'then']);
    expect(progress).toEqual({
      total: JOBS,
      pending: 0,
      processed: JOBS,
      failed: 0,
      cancelled: 0,
      percentage: 100,
      finished: true,
    });
    expect(state.failedJobIds).toEqual([]);
    expect(memberIds).toHaveLength(JOBS);
    expect(report.notCompleted).toEqual([]);
    expect(report.neverRan).toEqual([]);
    expect(report.unexpectedRepeats).toEqual([]);
    expect(report.killedInFlight.size).toBeGreaterThan(0);
    expect(report.recoveredStalled).toBeGreaterThan(0);
  });
});
