import type { Driver, MetricsIncrement } from '../driver.js';
import { BIN_PREFIX, type Counter, NAME_PREFIX, RUN_MS, RUNS } from './fields.js';
import { binOf } from './histogram.js';

export const MINUTE_MS = 60_000;
/** Most job names one bucket keeps apart; the others are summed under `OTHER_NAMES`, so a bucket stays small. */
export const MAX_NAMES_PER_BUCKET = 50;
export const OTHER_NAMES = '(other)';
const OTHER_PREFIX = `${NAME_PREFIX}${OTHER_NAMES}:`;
/** Most buckets kept for a flush while storage refuses them (about a day of one queue, or an hour of 160). */
const MAX_PENDING_BUCKETS = 10_000;

/** Start of the minute `at` falls in. */
export function minuteOf(at: number): number {
  return at - (((at % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

interface PendingBucket {
  queue: string;
  minute: number;
  fields: Map<string, number>;
  /** Field prefixes of the job names seen (`name:<job>:`), at most `MAX_NAMES_PER_BUCKET`. */
  names: Map<string, string>;
}

export interface RecorderHost {
  driver(): Driver;
  /** Buckets live this long after their minute. */
  readonly retentionMs: number;
  /** Real ms between flushes while there is something to flush. */
  readonly flushIntervalMs: number;
  /** A flush the timer started failed (the figures are kept and sent with the next flush). */
  error(error: unknown): void;
}

/**
 * Sums a process's figures per (queue, minute) in memory and adds them into the driver's per-minute buckets
 * (`incrementMetrics`) every `flushIntervalMs` and on `flush()`: one storage call per flush, however many jobs
 * ran, and storage that stays bounded (per-minute buckets that expire, never per-job rows). Each figure is
 * counted queue-wide and for its job name.
 *
 * The flush timer is a real, unref'd timer (flushing is I/O batching, not a semantic delay, so it does not
 * follow a `FakeClock`), armed only while something waits to be flushed.
 */
export class MetricsRecorder {
  readonly #host: RecorderHost;
  #buckets = new Map<string, PendingBucket>();
  /** The bucket written last: most records hit the same one. */
  #last: PendingBucket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(host: RecorderHost) {
    this.#host = host;
  }

  /** Counts one `counter` (by `n`) for a job of `name` on `queue` at `at`. */
  count(queue: string, name: string, counter: Counter, at: number, n = 1): void {
    const bucket = this.#bucket(queue, at);
    add(bucket.fields, counter, n);
    add(bucket.fields, nameKey(bucket, name) + counter, n);
  }

  /** Counts a completed attempt and its run time. */
  completed(queue: string, name: string, runMs: number, at: number): void {
    const bucket = this.#bucket(queue, at);
    const prefix = nameKey(bucket, name);
    const ms = Math.max(runMs, 0);
    const bin = BIN_PREFIX + binOf(ms);
    const fields = bucket.fields;
    add(fields, 'completed', 1);
    add(fields, RUNS, 1);
    add(fields, RUN_MS, ms);
    add(fields, bin, 1);
    add(fields, `${prefix}completed`, 1);
    add(fields, prefix + RUNS, 1);
    add(fields, prefix + RUN_MS, ms);
    add(fields, prefix + bin, 1);
  }

  /** True when figures wait to be flushed. */
  get pending(): boolean {
    return this.#buckets.size > 0;
  }

  /** Sends what was summed so far; one flush at a time. Figures a failed flush could not send are kept. */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#flushOnce());
    this.#flushing = run.catch(() => {});
    return run;
  }

  /** Stops the timer and flushes what is left. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #flushOnce(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buckets.size === 0) return;
    const buckets = this.#buckets;
    this.#buckets = new Map();
    this.#last = undefined;
    const increments: MetricsIncrement[] = [];
    for (const bucket of buckets.values()) {
      increments.push({
        queue: bucket.queue,
        minute: bucket.minute,
        fields: Object.fromEntries(bucket.fields),
      });
    }
    try {
      await this.#host.driver().incrementMetrics(increments, this.#host.retentionMs);
    } catch (error) {
      this.#restore(buckets);
      throw error;
    }
  }

  /** Puts back the figures of a failed flush (added to whatever was counted meanwhile). */
  #restore(buckets: Map<string, PendingBucket>): void {
    for (const [key, old] of buckets) {
      const current = this.#buckets.get(key);
      if (current === undefined) {
        if (this.#buckets.size < MAX_PENDING_BUCKETS) this.#buckets.set(key, old);
        continue;
      }
      for (const [field, value] of old.fields) add(current.fields, field, value);
    }
    this.#arm();
  }

  #bucket(queue: string, at: number): PendingBucket {
    const minute = minuteOf(at);
    const last = this.#last;
    if (last !== undefined && last.minute === minute && last.queue === queue) return last;
    const key = `${minute}\u0000${queue}`;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { queue, minute, fields: new Map(), names: new Map() };
      this.#buckets.set(key, bucket);
      this.#arm();
    }
    this.#last = bucket;
    return bucket;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((error: unknown) => this.#host.error(error));
    }, this.#host.flushIntervalMs);
    this.#timer.unref?.();
  }
}

function add(fields: Map<string, number>, field: string, n: number): void {
  fields.set(field, (fields.get(field) ?? 0) + n);
}

/** The field prefix for job `name` in `bucket`: its own while the bucket has room for names, else `(other)`. */
function nameKey(bucket: PendingBucket, name: string): string {
  let prefix = bucket.names.get(name);
  if (prefix !== undefined) return prefix;
  if (bucket.names.size >= MAX_NAMES_PER_BUCKET) return OTHER_PREFIX;
  prefix = `${NAME_PREFIX}${name}:`;
  bucket.names.set(name, prefix);
  return prefix;
}
