import { ConfigurationError, quote } from '../errors.js';

/**
 * The fields of a cron expression, as the Laravel-style helpers edit them: each helper sets some fields and
 * leaves the others, so `weekdays().dailyAt('08:00')` is `0 8 * * 1-5`. `second` is null for a 5-field
 * expression.
 */
export interface CronFields {
  second: string | null;
  minute: string;
  hour: string;
  dayOfMonth: string;
  month: string;
  dayOfWeek: string;
}

/** Every minute: what a schedule is before any helper. */
export const EVERY_MINUTE: Readonly<CronFields> = {
  second: null,
  minute: '*',
  hour: '*',
  dayOfMonth: '*',
  month: '*',
  dayOfWeek: '*',
};

/** Splits a normalized 5- or 6-field expression. */
export function fieldsOf(expression: string): CronFields {
  const parts = expression.split(' ');
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = parts.length === 6 ? parts : [null, ...parts];
  return {
    second: second ?? null,
    minute: minute!,
    hour: hour!,
    dayOfMonth: dayOfMonth!,
    month: month!,
    dayOfWeek: dayOfWeek!,
  };
}

/** Joins fields back: 5 fields without a seconds field, else 6. */
export function expressionOf(fields: CronFields): string {
  const rest = [fields.minute, fields.hour, fields.dayOfMonth, fields.month, fields.dayOfWeek];
  return (fields.second === null ? rest : [fields.second, ...rest]).join(' ');
}

/** A time of day, `'13:00'`, `'9:30'` or `'13:00:15'`. */
export interface TimeOfDay {
  hour: number;
  minute: number;
  /** Null unless the time gave seconds. */
  second: number | null;
}

export function parseTime(time: unknown, what: string): TimeOfDay {
  const match = typeof time === 'string' ? /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time.trim()) : null;
  if (match) {
    const hour = Number(match[1]);
    const minute = Number(match[2]);
    const second = match[3] === undefined ? null : Number(match[3]);
    if (hour <= 23 && minute <= 59 && (second === null || second <= 59)) return { hour, minute, second };
  }
  throw new ConfigurationError(
    `Invalid time ${quote(time)} for ${what}: use 'HH:MM' (24-hour, e.g. '13:00') or 'HH:MM:SS'.`,
  );
}

/** Sets the time-of-day fields; the seconds field only when the time has seconds. */
export function atTime(fields: CronFields, time: TimeOfDay): CronFields {
  return {
    ...fields,
    second: time.second === null ? null : String(time.second),
    minute: String(time.minute),
    hour: String(time.hour),
  };
}

/** Day names the helpers accept, besides 0..6 (0 and 7 are Sunday). */
export type DayName =
  | 'sunday'
  | 'monday'
  | 'tuesday'
  | 'wednesday'
  | 'thursday'
  | 'friday'
  | 'saturday'
  | 'sun'
  | 'mon'
  | 'tue'
  | 'wed'
  | 'thu'
  | 'fri'
  | 'sat';

export type Day = DayName | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** A day of the week as its cron number (0 = Sunday .. 6 = Saturday). */
export function dayNumber(day: unknown): number {
  if (typeof day === 'number' && Number.isInteger(day) && day >= 0 && day <= 7) return day % 7;
  if (typeof day === 'string') {
    const name = day.trim().toLowerCase();
    const index = DAY_NAMES.findIndex((full) => full === name || full.slice(0, 3) === name);
    if (index >= 0) return index;
  }
  throw new ConfigurationError(
    `Invalid day of week ${quote(day)}: use 0..6 (0 and 7 are Sunday) or a name like 'monday' or 'mon'.`,
  );
}

/** A whole number in `[min, max]`, else a `ConfigurationError` naming `what`. */
export function integerIn(value: unknown, min: number, max: number, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new ConfigurationError(`Invalid ${what} ${quote(value)}: use a whole number from ${min} to ${max}.`);
}

/** A step that divides `span` evenly (so `*\/step` is regular across the wrap), else a `ConfigurationError`. */
export function evenStep(value: unknown, span: number, what: string): number {
  const step = integerIn(value, 1, span, what);
  if (span % step !== 0) {
    const divisors = Array.from({ length: span }, (_, i) => i + 1).filter((d) => span % d === 0 && d < span);
    throw new ConfigurationError(
      `Invalid ${what} ${quote(value)}: use a number that divides ${span} evenly (${divisors.join(', ')}).`,
    );
  }
  return step;
}
