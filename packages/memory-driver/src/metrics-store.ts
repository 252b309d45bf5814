import type { MetricsBucket, MetricsIncrement } from '@conveyor/core/driver';

interface StoredBucket {
  fields: Map<string, number>;
  /** `minute + ttlMs` of the latest write: the bucket is dropped once the driver's time passes it. */
  expiresAt: number;
}

/**
 * Per-minute metrics buckets by queue. Storage stays bounded: a bucket lives `ttlMs` after its minute, measured
 * on the driver's time (the latest `now` or minute any call brought in, never a clock reading), and expired
 * buckets are dropped whenever that time enters a new minute.
 */
export class MetricsStore {
  private readonly queues = new Map<string, Map<number, StoredBucket>>();
  /** The driver's time as this store knows it: the latest `now` or bucket minute seen. */
  private latest = Number.NEGATIVE_INFINITY;
  /** Start of the minute expired buckets were last dropped in. */
  private prunedMinute = Number.NEGATIVE_INFINITY;

  /** Adds every increment into its bucket; `now` is the driver's latest time. */
  increment(increments: MetricsIncrement[], ttlMs: number, now: number): void {
    this.advance(now);
    for (const { queue, minute, fields } of increments) {
      this.advance(minute);
      let buckets = this.queues.get(queue);
      if (buckets === undefined) this.queues.set(queue, (buckets = new Map()));
      let bucket = buckets.get(minute);
      if (bucket === undefined) buckets.set(minute, (bucket = { fields: new Map(), expiresAt: 0 }));
      bucket.expiresAt = Math.max(bucket.expiresAt, minute + ttlMs);
      for (const field of Object.keys(fields)) {
        const value = fields[field]!;
        bucket.fields.set(field, (bucket.fields.get(field) ?? 0) + value);
      }
    }
    this.prune();
  }

  /** Live buckets of `queue` with `fromMinute <= minute <= toMinute` and at least one field, oldest first. */
  read(queue: string, fromMinute: number, toMinute: number, now: number): MetricsBucket[] {
    this.advance(now);
    this.prune();
    const buckets = this.queues.get(queue);
    if (buckets === undefined) return [];
    const out: MetricsBucket[] = [];
    for (const [minute, bucket] of buckets) {
      if (minute < fromMinute || minute > toMinute || bucket.expiresAt <= this.latest) continue;
      if (bucket.fields.size === 0) continue;
      out.push({ minute, fields: Object.fromEntries(bucket.fields) });
    }
    return out.sort((a, b) => a.minute - b.minute);
  }

  private advance(time: number): void {
    if (time > this.latest) this.latest = time;
  }

  /** Drops expired buckets, at most once per minute of driver time (it walks every bucket). */
  private prune(): void {
    const now = this.latest;
    const minute = now - (now % 60_000);
    if (minute <= this.prunedMinute) return;
    this.prunedMinute = minute;
    for (const [queue, buckets] of this.queues) {
      for (const [start, bucket] of buckets) if (bucket.expiresAt <= now) buckets.delete(start);
      if (buckets.size === 0) this.queues.delete(queue);
    }
  }
}
