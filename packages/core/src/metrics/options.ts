import { type Duration, toMs } from '../duration.js';
import { ConfigurationError, quote } from '../errors.js';

/** `new Conveyor({ metrics })`: per-minute metrics, or `false` to record none. */
export interface MetricsOptions {
  /** How long per-minute buckets are kept. Default `'1d'`. */
  retention?: Duration;
  /** How often a process sends what it summed (also on `close()`). Default `'5s'`. */
  flushInterval?: Duration;
}

export interface ResolvedMetricsOptions {
  retentionMs: number;
  flushIntervalMs: number;
}

/** Null when metrics are off. Every bad value is a `ConfigurationError` quoting it. */
export function resolveMetricsOptions(
  options: MetricsOptions | false | undefined,
): ResolvedMetricsOptions | null {
  if (options === false) return null;
  if (options === undefined) return { retentionMs: 86_400_000, flushIntervalMs: 5_000 };
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError(
      `Invalid metrics options ${quote(options)}: pass { retention: '1d', flushInterval: '5s' } or false.`,
    );
  }
  const retentionMs = toMs(options.retention ?? '1d', 'metrics retention');
  const flushIntervalMs = toMs(options.flushInterval ?? '5s', 'metrics flushInterval');
  if (retentionMs < 60_000) {
    throw new ConfigurationError(
      `Invalid metrics retention ${quote(options.retention)}: keep buckets at least a minute, like '1d'.`,
    );
  }
  if (flushIntervalMs <= 0) {
    throw new ConfigurationError(
      `Invalid metrics flushInterval ${quote(options.flushInterval)}: use a duration above zero, like '5s'.`,
    );
  }
  return { retentionMs, flushIntervalMs };
}
