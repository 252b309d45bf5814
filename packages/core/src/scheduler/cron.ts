import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { ConfigurationError, quote } from '../errors.js';

/** The timezone a schedule uses unless `.timezone()` says otherwise: the same in every process. */
export const DEFAULT_TIMEZONE = 'UTC';

/** `@daily` and friends, as the 5- or 6-field expressions they stand for. */
const ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
  '@minutely': '* * * * *',
  '@secondly': '* * * * * *',
  '@weekdays': '0 0 * * 1-5',
  '@weekends': '0 0 * * 0,6',
};

const CRON_HELP =
  "use 5 fields (minute hour day-of-month month day-of-week, e.g. '0 2 * * *'), 6 with seconds first " +
  "(e.g. '*/10 * * * * *'), or an alias like '@daily'.";

/**
 * Checks a timezone and returns its canonical IANA name (`'europe/paris'` becomes `'Europe/Paris'`). Throws a
 * `ConfigurationError` quoting anything else.
 */
export function validateTimezone(timezone: unknown): string {
  if (typeof timezone === 'string' && timezone.length > 0) {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone;
    } catch {
      // falls through to the error below
    }
  }
  throw new ConfigurationError(
    `Unknown timezone ${quote(timezone)}: use an IANA timezone name such as 'Europe/Paris', 'America/New_York' or 'UTC'.`,
  );
}

/**
 * Normalizes an expression: trims, collapses whitespace and expands an `@alias`. Throws a `ConfigurationError`
 * quoting anything that is not 5 or 6 fields or a known alias (the field values are checked by `Cron.parse`).
 */
export function normalizeCron(expression: unknown): string {
  if (typeof expression !== 'string') {
    throw new ConfigurationError(`Invalid cron expression ${quote(expression)}: ${CRON_HELP}`);
  }
  const text = expression.trim().replace(/\s+/g, ' ');
  if (text.startsWith('@')) {
    const expanded = ALIASES[text.toLowerCase()];
    if (expanded) return expanded;
    throw new ConfigurationError(
      `Unknown cron alias ${quote(expression)}: use one of ${Object.keys(ALIASES).join(', ')}, or ${CRON_HELP}`,
    );
  }
  const fields = text === '' ? 0 : text.split(' ').length;
  if (fields !== 5 && fields !== 6) {
    throw new ConfigurationError(
      `Invalid cron expression ${quote(expression)}: it has ${fields} field${fields === 1 ? '' : 's'}; ${CRON_HELP}`,
    );
  }
  return text;
}

const cache = new Map<string, Cron>();
const CACHE_LIMIT = 1_000;

/**
 * A validated cron expression in a timezone, and the maths of its occurrences (over cron-parser, which handles
 * DST: a wall time that does not exist on a spring-forward day runs at the first instant after the gap, and a
 * wall time that happens twice on a fall-back day runs once, at its first instance; expressions that fire every
 * minute or hour keep firing through the repeated hour).
 *
 * `next()` is the one source of occurrence times: every process computes the same sequence from it, which is
 * what lets the driver claim each occurrence exactly once.
 */
export class Cron {
  /** Normalized: whitespace collapsed, aliases expanded. 5 fields, or 6 with seconds first. */
  readonly expression: string;
  /** Canonical IANA name. */
  readonly timezone: string;
  readonly #parsed: CronExpression;

  private constructor(expression: string, timezone: string, parsed: CronExpression) {
    this.expression = expression;
    this.timezone = timezone;
    this.#parsed = parsed;
  }

  /**
   * Validates and parses; throws a `ConfigurationError` quoting a bad expression or timezone, or an expression
   * that never fires (like `0 0 30 2 *`). Results are cached, so parsing the same pair again is cheap.
   */
  static parse(expression: unknown, timezone: unknown = DEFAULT_TIMEZONE): Cron {
    const tz = validateTimezone(timezone);
    const text = normalizeCron(expression);
    const key = `${tz} ${text}`;
    const cached = cache.get(key);
    if (cached) return cached;
    let parsed: CronExpression;
    try {
      // `hashSeed`: an `H` field picks the same value in every process.
      parsed = CronExpressionParser.parse(text, { tz, currentDate: 0, hashSeed: text, strict: false });
    } catch (error) {
      throw new ConfigurationError(
        `Invalid cron expression ${quote(expression)}: ${(error as Error).message}. ${cap(CRON_HELP)}`,
        { cause: error },
      );
    }
    const cron = new Cron(text, tz, parsed);
    if (cron.next(0) === null) {
      throw new ConfigurationError(`Invalid cron expression ${quote(expression)}: it never fires.`);
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, cron);
    return cron;
  }

  /** True when the expression has a seconds field. */
  get hasSeconds(): boolean {
    return this.expression.split(' ').length === 6;
  }

  /** The first occurrence strictly after `after` (ms since epoch), or null when there is none. */
  next(after: number): number | null {
    try {
      this.#parsed.reset(new Date(after));
      return this.#parsed.next().getTime();
    } catch {
      return null;
    }
  }

  /** The first `count` occurrences strictly after `after`. */
  take(after: number, count: number): number[] {
    const times: number[] = [];
    let at: number | null = after;
    while (times.length < count && (at = this.next(at)) !== null) times.push(at);
    return times;
  }
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
