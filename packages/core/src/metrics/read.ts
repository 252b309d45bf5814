import type { Driver, MetricsBucket, StateCounts } from '../driver.js';
import type { WorkerInfo } from '../worker-registry.js';
import { parseField } from './fields.js';
import { FigureSums, type MetricsFigures } from './figures.js';
import { MINUTE_MS, minuteOf } from './recorder.js';

/** One queue's figures over the span, with its job counts now and its figures per job name. */
export interface QueueMetrics extends MetricsFigures {
  queue: string;
  /** Jobs waiting now: pending + delayed + retrying. */
  depth: number;
  counts: StateCounts;
  /** The same figures for each job name seen on the queue in the span (`(other)` past 50 names a minute). */
  jobs: Record<string, MetricsFigures>;
}

/** What `conveyor.metrics()` returns: figures over [since, until] for every queue (or one), and totals. */
export interface Metrics extends MetricsFigures {
  /** Start of the span: `since`, rounded down to its minute (buckets are per minute). */
  since: number;
  until: number;
  /** Jobs waiting now in the queues read. */
  depth: number;
  /** How long the longest-running live worker has run, in seconds (0 with no worker). */
  uptimeSeconds: number;
  workers: { total: number; healthy: number; unhealthy: number };
  queues: QueueMetrics[];
}

export interface MetricsQuery {
  /** One queue; default every queue. */
  queue?: string;
  /** Start of the span (ms since epoch or a Date). Default: an hour before now. */
  since?: number | Date;
}

export const DEFAULT_SPAN_MS = 60 * MINUTE_MS;

/**
 * Reads the per-minute buckets of the span and the queues' counts, and sums them into figures. Rates are over
 * the part of the span that holds data (from the first minute with figures to now, at least a second), so a
 * system that started ten minutes ago is not averaged over an hour.
 */
export async function readMetrics(
  driver: Driver,
  query: MetricsQuery,
  now: number,
  workers: WorkerInfo[],
): Promise<Metrics> {
  const sinceMs = query.since === undefined ? now - DEFAULT_SPAN_MS : Number(query.since);
  const since = minuteOf(Number.isFinite(sinceMs) ? sinceMs : now - DEFAULT_SPAN_MS);
  const queues = query.queue === undefined ? await driver.queues() : [query.queue];
  const reads = await Promise.all(
    queues.map(async (queue) => {
      const [buckets, counts] = await Promise.all([
        driver.readMetrics(queue, since, minuteOf(now)),
        driver.counts(queue),
      ]);
      return { queue, buckets, counts };
    }),
  );

  let first = Number.POSITIVE_INFINITY;
  for (const { buckets } of reads)
    if (buckets.length > 0 && buckets[0]!.minute < first) first = buckets[0]!.minute;
  const spanSeconds =
    first === Number.POSITIVE_INFINITY ? 0 : Math.max(1, (now - Math.max(since, first)) / 1000);

  const total = new FigureSums();
  let depth = 0;
  const perQueue: QueueMetrics[] = [];
  for (const { queue, buckets, counts } of reads) {
    const sums = sumBuckets(buckets, total);
    const queueDepth = counts.pending + counts.delayed + counts.retrying;
    depth += queueDepth;
    const jobs: Record<string, MetricsFigures> = {};
    for (const [name, named] of [...sums.names].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      jobs[name] = named.figures(spanSeconds);
    }
    perQueue.push({ queue, ...sums.queue.figures(spanSeconds), depth: queueDepth, counts, jobs });
  }

  const started = workers.map((w) => w.startedAt).filter((t) => t > 0);
  const healthy = workers.filter((w) => w.healthy).length;
  return {
    since,
    until: now,
    ...total.figures(spanSeconds),
    depth,
    uptimeSeconds: started.length > 0 ? Math.max(0, Math.round((now - Math.min(...started)) / 1000)) : 0,
    workers: { total: workers.length, healthy, unhealthy: workers.length - healthy },
    queues: perQueue,
  };
}

/** Sums one queue's buckets: queue-wide (also into `total`) and per job name. */
function sumBuckets(
  buckets: MetricsBucket[],
  total: FigureSums,
): { queue: FigureSums; names: Map<string, FigureSums> } {
  const queue = new FigureSums();
  const names = new Map<string, FigureSums>();
  for (const bucket of buckets) {
    for (const [field, value] of Object.entries(bucket.fields)) {
      const { name, figure } = parseField(field);
      if (name === null) {
        queue.add(figure, value);
        total.add(figure, value);
        continue;
      }
      let sums = names.get(name);
      if (sums === undefined) names.set(name, (sums = new FigureSums()));
      sums.add(figure, value);
    }
  }
  return { queue, names };
}
