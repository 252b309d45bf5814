/**
 * Field names inside one per-minute metrics bucket of a queue. Queue-wide figures use the plain names;
 * figures of one job name repeat them under `name:<job name>:`. Run times are summed (`runMs`, `runs`) and
 * counted per histogram bin (`h.<bin>`, see `histogram.ts`), so averages and percentiles can be rebuilt from
 * any span of buckets.
 */

/** Counters of a bucket. */
export const COUNTERS = [
  /** Jobs stored by a dispatch (plain, chain link, batch member, schedule occurrence). */
  'submitted',
  /** Attempts that completed. */
  'completed',
  /** Attempts that failed: each one is either `retried` or `dead`. */
  'failed',
  /** Failed attempts that will run again after their backoff. */
  'retried',
  /** Jobs that failed finally (the dead-letter `failed` state). */
  'dead',
  /** Attempts released back to the queue without counting (`ctx.release`, middleware, shutdown). */
  'released',
  'cancelled',
  /** Jobs taken over by stalled recovery (their lease expired). */
  'stalled',
] as const;

export type Counter = (typeof COUNTERS)[number];

/** Sum of run times (ms) of completed attempts, and how many there were. */
export const RUN_MS = 'runMs';
export const RUNS = 'runs';
export const BIN_PREFIX = 'h.';
export const NAME_PREFIX = 'name:';

export function binField(bin: number): string {
  return BIN_PREFIX + bin;
}

/** `field` for one job name. */
export function nameField(name: string, field: string): string {
  return `${NAME_PREFIX}${name}:${field}`;
}

/** Splits a stored field into its job name (null for queue-wide) and its figure. */
export function parseField(field: string): { name: string | null; figure: string } {
  if (!field.startsWith(NAME_PREFIX)) return { name: null, figure: field };
  const cut = field.lastIndexOf(':');
  if (cut < NAME_PREFIX.length) return { name: null, figure: field };
  return { name: field.slice(NAME_PREFIX.length, cut), figure: field.slice(cut + 1) };
}
