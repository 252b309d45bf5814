import { ConfigurationError, quote } from './errors.js';
import type { Backoff, ExponentialBackoff } from './job.js';

/** Checks a backoff option at the call that got it; throws `ConfigurationError` quoting a bad one. */
export function validateBackoff(backoff: unknown): Backoff {
  const bad = (why: string) =>
    new ConfigurationError(
      `Invalid backoff ${quote(backoff)}: ${why}. Use ms (number >= 0), an array of ms, ` +
        "{ type: 'exponential', delay, factor?, max?, jitter? }, or a function (attempt, error) => ms.",
    );
  if (typeof backoff === 'function') return backoff as Backoff;
  if (typeof backoff === 'number') {
    if (!Number.isFinite(backoff) || backoff < 0) throw bad('a delay must be a finite number >= 0');
    return backoff;
  }
  if (Array.isArray(backoff)) {
    if (backoff.length === 0) throw bad('the array is empty');
    if (!backoff.every((d) => typeof d === 'number' && Number.isFinite(d) && d >= 0)) {
      throw bad('every delay must be a finite number >= 0');
    }
    return backoff;
  }
  if (backoff && typeof backoff === 'object' && (backoff as ExponentialBackoff).type === 'exponential') {
    const { delay, factor = 2, max } = backoff as ExponentialBackoff;
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) throw bad('delay must be >= 0');
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1)
      throw bad('factor must be >= 1');
    if (max !== undefined && (typeof max !== 'number' || !(max >= 0))) throw bad('max must be >= 0');
    return backoff as ExponentialBackoff;
  }
  throw bad('unknown kind');
}

/**
 * How long to wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed with `error`.
 * `random` is injectable so tests can pin jitter. No backoff means retry at once.
 */
export function backoffDelay(
  backoff: Backoff | undefined,
  attempt: number,
  error: Error,
  random: () => number = Math.random,
): number {
  if (backoff === undefined) return 0;
  if (typeof backoff === 'number') return backoff;
  if (typeof backoff === 'function') {
    const ms = backoff(attempt, error);
    return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
  }
  if (Array.isArray(backoff)) {
    return (backoff as number[])[Math.min(attempt, backoff.length) - 1] ?? 0;
  }
  const { delay, factor = 2, max = Number.POSITIVE_INFINITY, jitter = false } = backoff as ExponentialBackoff;
  const base = Math.min(max, delay * factor ** (attempt - 1));
  return Math.round(jitter ? base / 2 + random() * (base / 2) : base);
}
