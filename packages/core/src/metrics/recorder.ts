import type { Driver, MetricsIncrement } from '../driver.js';
import { BIN_PREFIX, COUNTERS, type Counter, NAME_PREFIX, RUN_MS, RUNS } from './fields.js';
import { binOf, LAST_BIN } from './histogram.js';

export const MINUTE_MS = 60_000;
/** Most job names one bucket keeps apart; the others are summed under `OTHER_NAMES`, so a bucket stays small. */
export const MAX_NAMES_PER_BUCKET = 50;
export const OTHER_NAMES = '(other)';
/** Most buckets kept for a flush while storage refuses them (about a day of one queue, or an hour of 160). */
const MAX_PENDING_BUCKETS = 10_000;

/** Start of the minute `at` falls in. */
export function minuteOf(at: number): number {
  return at - (((at % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

const COUNTER_INDEX = new Map<Counter, number>(COUNTERS.map((counter, index) => [counter, index]));

/** What one job name summed in one bucket: plain numbers, so recording allocates nothing. */
class NameSums {
  readonly counters = new Float64Array(COUNTERS.length);
  runs = 0;
  runMs = 0;
  /** Count per histogram bin, made on the first run time. */
  bins: Float64Array | undefined;

  add(other: NameSums): void {
    for (let i = 0; i < this.counters.length; i++) this.counters[i]! += other.counters[i]!;
    this.runs += other.runs;
    this.runMs += other.runMs;
    if (other.bins) {
      this.bins ??= new Float64Array(LAST_BIN + 1);
      for (let i = 0; i <= LAST_BIN; i++) this.bins[i]! += other.bins[i]!;
    }
  }

  /** Adds this name's figures into `fields`, each under `prefix` (and each also into `total`). */
  write(fields: Record<string, number>, prefix: string, total: Record<string, number>): void {
    const put = (field: string, value: number) => {
      if (value === 0) return;
      fields[prefix + field] = (fields[prefix + field] ?? 0) + value;
      total[field] = (total[field] ?? 0) + value;
    };
    for (let i = 0; i < COUNTERS.length; i++) put(COUNTERS[i]!, this.counters[i]!);
    put(RUNS, this.runs);
    put(RUN_MS, this.runMs);
    if (this.bins) for (let i = 0; i <= LAST_BIN; i++) put(BIN_PREFIX + i, this.bins[i]!);
  }
}

interface PendingBucket {
  queue: string;
  minute: number;
  /** By job name: at most `MAX_NAMES_PER_BUCKET`, then `OTHER_NAMES`. */
  names: Map<string, NameSums>;
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
 * Sums a process's figures per (queue, minute, job name) in memory and adds them into the driver's per-minute
 * buckets (`incrementMetrics`) every `flushIntervalMs` and on `flush()`: one storage call per flush, however
 * many jobs ran, and storage that stays bounded (per-minute buckets that expire, never per-job rows). Each
 * figure is stored queue-wide and for its job name; recording a figure only adds to numbers, field names are
 * built at flush.
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
    this.#sums(queue, name, at).counters[COUNTER_INDEX.get(counter)!]! += n;
  }

  /** Counts a completed attempt and its run time. */
  completed(queue: string, name: string, runMs: number, at: number): void {
    const sums = this.#sums(queue, name, at);
    const ms = Math.max(runMs, 0);
    sums.counters[COMPLETED]! += 1;
    sums.runs += 1;
    sums.runMs += ms;
    (sums.bins ??= new Float64Array(LAST_BIN + 1))[binOf(ms)]! += 1;
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
      const total: Record<string, number> = {};
      const named: Record<string, number> = {};
      for (const [name, sums] of bucket.names) sums.write(named, `${NAME_PREFIX}${name}:`, total);
      increments.push({ queue: bucket.queue, minute: bucket.minute, fields: { ...total, ...named } });
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
      for (const [name, sums] of old.names) {
        const into = current.names.get(name);
        if (into) into.add(sums);
        else current.names.set(name, sums);
      }
    }
    this.#arm();
  }

  #sums(queue: string, name: string, at: number): NameSums {
    const bucket = this.#bucket(queue, at);
    let sums = bucket.names.get(name);
    if (sums === undefined) {
      const kept = bucket.names.size < MAX_NAMES_PER_BUCKET ? name : OTHER_NAMES;
      sums = bucket.names.get(kept);
      if (sums === undefined) bucket.names.set(kept, (sums = new NameSums()));
    }
    return sums;
  }

  #bucket(queue: string, at: number): PendingBucket {
    const minute = minuteOf(at);
    const last = this.#last;
    if (last !== undefined && last.minute === minute && last.queue === queue) return last;
    const key = `${minute}\u0000${queue}`;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { queue, minute, names: new Map() };
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

const COMPLETED = COUNTER_INDEX.get('completed')!;
