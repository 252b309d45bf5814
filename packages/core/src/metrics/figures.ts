import { BIN_PREFIX, COUNTERS, type Counter, RUN_MS, RUNS } from './fields.js';
import { quantile } from './histogram.js';

/** What `conveyor.metrics()` reports for a span of time, queue-wide or for one job name. */
export interface MetricsFigures {
  /** Jobs stored by a dispatch (plain, chain link, batch member, schedule occurrence). */
  submitted: number;
  /** Attempts that completed. */
  completed: number;
  /** Attempts that failed (each one is `retried` or `dead`). */
  failed: number;
  /** Failed attempts that run again after their backoff. */
  retried: number;
  /** Jobs that failed finally: they are in the dead-letter `failed` state. */
  dead: number;
  /** Attempts released back without counting (`ctx.release`, middleware, worker shutdown). */
  released: number;
  cancelled: number;
  /** Jobs recovered after their lease expired (each also counts as a failed attempt). */
  stalled: number;
  /** Run time of completed attempts (reservation to stored outcome), in ms; null when none completed. */
  avgRunTimeMs: number | null;
  p50RunTimeMs: number | null;
  p95RunTimeMs: number | null;
  p99RunTimeMs: number | null;
  /** completed / (completed + failed): the share of finished attempts that succeeded; null when none. */
  successRate: number | null;
  /** (completed + failed) attempts per second over the span. */
  jobsPerSecond: number;
}

/** Sums of stored figures over any number of buckets (counters add; histogram bins add). */
export class FigureSums {
  readonly counters = new Map<Counter, number>();
  runs = 0;
  runMs = 0;
  readonly bins = new Map<number, number>();

  /** Adds one stored field (already split from its job name). Unknown figures are ignored. */
  add(figure: string, value: number): void {
    if (!Number.isFinite(value)) return;
    if (figure === RUNS) this.runs += value;
    else if (figure === RUN_MS) this.runMs += value;
    else if (figure.startsWith(BIN_PREFIX)) {
      const bin = Number(figure.slice(BIN_PREFIX.length));
      if (Number.isInteger(bin) && bin >= 0) this.bins.set(bin, (this.bins.get(bin) ?? 0) + value);
    } else if ((COUNTERS as readonly string[]).includes(figure)) {
      const counter = figure as Counter;
      this.counters.set(counter, (this.counters.get(counter) ?? 0) + value);
    }
  }

  figures(spanSeconds: number): MetricsFigures {
    const get = (counter: Counter) => this.counters.get(counter) ?? 0;
    const completed = get('completed');
    const failed = get('failed');
    const finished = completed + failed;
    return {
      submitted: get('submitted'),
      completed,
      failed,
      retried: get('retried'),
      dead: get('dead'),
      released: get('released'),
      cancelled: get('cancelled'),
      stalled: get('stalled'),
      avgRunTimeMs: this.runs > 0 ? round(this.runMs / this.runs) : null,
      p50RunTimeMs: roundOrNull(quantile(this.bins, 0.5)),
      p95RunTimeMs: roundOrNull(quantile(this.bins, 0.95)),
      p99RunTimeMs: roundOrNull(quantile(this.bins, 0.99)),
      successRate: finished > 0 ? round(completed / finished, 4) : null,
      jobsPerSecond: spanSeconds > 0 ? round(finished / spanSeconds) : 0,
    };
  }
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value);
}
