import type { MetricsFigures, StateCounts, WorkerInfo } from '@conveyor/core';
import type { CliContext } from '../context.js';
import { duration, json, percent, table, time } from '../format.js';
import type { Io } from '../io.js';
import { untilStopped, type Watch } from '../watch.js';

export interface StatsOptions {
  json?: boolean;
  watch?: boolean;
  /** ms between reports with --watch */
  interval: number;
  /** start of the metrics span (ms since epoch); default an hour ago */
  since?: number;
}

/** A queue's line in `conveyor stats`. */
export interface QueueStats extends MetricsFigures {
  queue: string;
  paused: boolean;
  /** pending + delayed + retrying */
  depth: number;
  counts: StateCounts;
  /** Figures per job name over the span. */
  jobs: Record<string, MetricsFigures>;
}

/** What `conveyor stats --json` prints. */
export interface StatsReport {
  at: string;
  /** Start of the metrics span. */
  since: string;
  /** Counts per state over every queue (what `Queue.counts()` returns). */
  counts: StateCounts;
  /** Figures over every queue. */
  totals: MetricsFigures & { depth: number; uptimeSeconds: number };
  queues: QueueStats[];
  workers: WorkerInfo[];
}

export async function collectStats(ctx: CliContext, since?: number): Promise<StatsReport> {
  const { conveyor } = ctx;
  const [metrics, counts, workers] = await Promise.all([
    conveyor.metrics(since === undefined ? {} : { since }),
    conveyor.counts(),
    conveyor.workers(),
  ]);
  const paused = await Promise.all(
    metrics.queues.map(async (q) => (await conveyor.driver.getQueueSettings(q.queue)).paused),
  );
  const { queues, since: from, until, workers: _workers, ...totals } = metrics;
  return {
    at: new Date(until).toISOString(),
    since: new Date(from).toISOString(),
    counts,
    totals,
    queues: queues.map(({ queue, depth, counts: queueCounts, jobs, ...figures }, i) => ({
      queue,
      paused: paused[i]!,
      depth,
      counts: queueCounts,
      ...figures,
      jobs,
    })),
    workers,
  };
}

/** `conveyor stats [--watch] [--json]`. */
export async function stats(ctx: CliContext, options: StatsOptions, io: Io, watch: Watch): Promise<number> {
  const once = async (first: boolean) => {
    const report = await collectStats(ctx, options.since);
    if (options.json) {
      io.out(json(report, options.watch));
      return;
    }
    if (options.watch && io.isTty) io.out('\x1b[2J\x1b[H');
    else if (!first) io.out('\n');
    io.out(renderStats(report));
  };
  await once(true);
  if (options.watch) {
    await untilStopped(watch, options.interval, async () => {
      await once(false);
      return false;
    });
  }
  return 0;
}

const STATES = ['pending', 'delayed', 'processing', 'retrying', 'completed', 'failed', 'cancelled'] as const;

export function renderStats(report: StatsReport): string {
  const parts: string[] = [];
  parts.push(`Conveyor at ${report.at} — figures since ${report.since}\n\n`);
  if (report.queues.length === 0) {
    parts.push('No queues yet.\n');
  } else {
    parts.push(
      table(
        ['QUEUE', ...STATES.map((s) => s.toUpperCase()), 'JOBS/S', 'SUCCESS', 'P50', 'P95', 'P99'],
        [
          ...report.queues.map((q) => [
            q.paused ? `${q.queue} (paused)` : q.queue,
            ...STATES.map((s) => q.counts[s]),
            q.jobsPerSecond,
            percent(q.successRate),
            duration(q.p50RunTimeMs),
            duration(q.p95RunTimeMs),
            duration(q.p99RunTimeMs),
          ]),
          [
            'all',
            ...STATES.map((s) => report.counts[s]),
            report.totals.jobsPerSecond,
            percent(report.totals.successRate),
            duration(report.totals.p50RunTimeMs),
            duration(report.totals.p95RunTimeMs),
            duration(report.totals.p99RunTimeMs),
          ],
        ],
      ),
    );
    const perJob = report.queues.flatMap((q) =>
      Object.entries(q.jobs).map(([name, f]) => [
        q.queue,
        name,
        f.submitted,
        f.completed,
        f.failed,
        f.dead,
        percent(f.successRate),
        duration(f.avgRunTimeMs),
        duration(f.p50RunTimeMs),
        duration(f.p95RunTimeMs),
        duration(f.p99RunTimeMs),
      ]),
    );
    if (perJob.length > 0) {
      parts.push('\n');
      parts.push(
        table(
          ['QUEUE', 'JOB', 'SUBMITTED', 'COMPLETED', 'FAILED', 'DEAD', 'SUCCESS', 'AVG', 'P50', 'P95', 'P99'],
          perJob,
        ),
      );
    }
  }
  const healthy = report.workers.filter((w) => w.healthy).length;
  parts.push(
    `\nWorkers: ${report.workers.length} (${healthy} healthy, ${report.workers.length - healthy} unhealthy), uptime ${duration(report.totals.uptimeSeconds * 1000)}\n`,
  );
  if (report.workers.length > 0) parts.push(renderWorkers(report.workers));
  return parts.join('');
}

export function renderWorkers(workers: WorkerInfo[]): string {
  return table(
    [
      'WORKER',
      'HOST',
      'PID',
      'QUEUES',
      'CONCURRENCY',
      'ACTIVE',
      'PROCESSED',
      'FAILED',
      'STARTED',
      'LAST BEAT',
      'HEALTH',
    ],
    workers.map((w) => [
      w.id,
      w.host,
      w.pid,
      w.queues.join(','),
      w.concurrency,
      w.active,
      w.processed,
      w.failed,
      time(w.startedAt),
      time(w.heartbeatAt),
      w.healthy ? 'ok' : 'missed beats',
    ]),
  );
}
