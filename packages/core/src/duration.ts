import { ConfigurationError, quote } from './errors.js';

/** A length of time: milliseconds, or a string like `'500ms'`, `'30s'`, `'5m'`, `'2h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` | string;

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * Turns a duration into milliseconds. Throws `ConfigurationError` quoting the value for a negative, NaN or
 * infinite number, or a string that is not `<number><ms|s|m|h|d>`.
 */
export function toMs(value: Duration, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigurationError(
        `Invalid ${what} ${quote(value)}: use a finite number of milliseconds >= 0, or a string like '30s', '5m', '2h', '1d'.`,
      );
    }
    return value;
  }
  if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim());
    if (match) return Math.round(Number(match[1]) * UNITS[match[2]!]!);
  }
  throw new ConfigurationError(
    `Invalid ${what} ${quote(value)}: use milliseconds (a number >= 0) or a string like '500ms', '30s', '5m', '2h', '1d'.`,
  );
}
