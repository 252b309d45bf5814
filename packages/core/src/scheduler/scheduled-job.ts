import type { Conveyor } from '../conveyor.js';
import { type Duration, toMs } from '../duration.js';
import { ConfigurationError, quote } from '../errors.js';
import { type Backoff, Job, type Priority } from '../job.js';
import { type DispatchOptions, resolveJobOptions } from '../job-options.js';
import { encodePayload, jobNameOf } from '../serializer.js';
import { Cron, DEFAULT_TIMEZONE, validateTimezone } from './cron.js';
import type { MissedPolicy, ScheduleDefinition, ScheduleSource } from './definition.js';
import {
  atTime,
  type CronFields,
  type Day,
  dayNumber,
  EVERY_MINUTE,
  evenStep,
  expressionOf,
  fieldsOf,
  integerIn,
  parseTime,
} from './helpers.js';

/** How long a `withoutOverlapping()` lock outlives a job that vanished, unless told: a day (as in Laravel). */
export const DEFAULT_OVERLAP_EXPIRY = '24h';

export interface ScheduleUniqueOptions {
  /** The lock key. Default: `schedule:<schedule name>`, shared by every run of this schedule. */
  key?: string;
  /** Lock TTL: bounds a lock whose job vanished. Default 24 h. */
  for?: Duration;
  /** `completed` (default): held until the run finishes. `started`: until a worker starts it. */
  until?: 'started' | 'completed';
}

/**
 * A recurring job, built with Laravel's helpers: `Schedule.job(new DailyReport()).dailyAt('02:00')`. Every
 * call validates what it was given and throws a `ConfigurationError` quoting a bad cron expression, timezone,
 * time or option at once.
 *
 * Helpers set some cron fields and keep the others, as in Laravel: `weekdays().dailyAt('08:00')` is
 * `0 8 * * 1-5`; `cron()` replaces the whole expression. A helper that sets the minute also sets the second
 * to 0 (a 5-field expression), except a time given with seconds. A schedule starts as every minute.
 *
 * Made by `Schedule.job(job)` / `conveyor.schedule(job)` (defined in code, saved when a scheduler starts) or by
 * `new ScheduledJob(job)` to pass to `conveyor.schedules.create()` (saved at run time).
 */
export class ScheduledJob<J extends Job = Job> {
  /** The job each occurrence dispatches (its payload is captured when the schedule is saved). */
  readonly job: J;
  #fields: CronFields = { ...EVERY_MINUTE };
  #timezone = DEFAULT_TIMEZONE;
  #name: string | null = null;
  readonly #options: DispatchOptions = {};
  #missed: MissedPolicy = 'once';
  #unique: { key: string | null; ttlMs: number | null; until: 'started' | 'completed' } | null = null;
  #startsAt: number | null = null;
  #endsAt: number | null = null;

  constructor(job: J) {
    if (!(job instanceof Job)) {
      throw new TypeError(
        `Cannot schedule ${quote(job)}: expected an instance of a class that extends Job, e.g. Schedule.job(new DailyReport()).`,
      );
    }
    encodePayload(job); // a payload that cannot be stored fails here, at definition time
    this.job = job;
  }

  /** The cron expression so far (5 fields, or 6 with seconds first). */
  get expression(): string {
    return expressionOf(this.#fields);
  }

  /** The schedule's name: set with `name()`, else `<job name> <cron> <timezone>`. */
  get scheduleName(): string {
    return this.#name ?? `${jobNameOf(this.job.constructor)} ${this.expression} ${this.#timezone}`;
  }

  // ---- timing -------------------------------------------------------------------------------------------

  /** Any cron expression: 5 fields, 6 with seconds first, or an alias like `@daily`. */
  cron(expression: string): this {
    this.#fields = fieldsOf(Cron.parse(expression, this.#timezone).expression);
    return this;
  }

  /** The IANA timezone the expression is read in (default `UTC`, the same in every process). */
  timezone(timezone: string): this {
    this.#timezone = validateTimezone(timezone);
    Cron.parse(this.expression, this.#timezone);
    return this;
  }

  /** Every second (a 6-field expression). */
  everySecond(): this {
    return this.#set({ second: '*' });
  }

  /** Every `seconds` seconds; `seconds` must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30). */
  everySeconds(seconds: number): this {
    const step = evenStep(seconds, 60, 'everySeconds() interval');
    return this.#set({ second: step === 1 ? '*' : `*/${step}` });
  }

  everyMinute(): this {
    return this.#everyMinutes(1);
  }
  everyTwoMinutes(): this {
    return this.#everyMinutes(2);
  }
  everyThreeMinutes(): this {
    return this.#everyMinutes(3);
  }
  everyFourMinutes(): this {
    return this.#everyMinutes(4);
  }
  everyFiveMinutes(): this {
    return this.#everyMinutes(5);
  }
  everyTenMinutes(): this {
    return this.#everyMinutes(10);
  }
  everyFifteenMinutes(): this {
    return this.#everyMinutes(15);
  }
  everyThirtyMinutes(): this {
    return this.#everyMinutes(30);
  }

  /** At minute 0 of every hour. */
  hourly(): this {
    return this.hourlyAt(0);
  }

  /** At `minute` past every hour. */
  hourlyAt(minute: number): this {
    return this.#set({ second: null, minute: String(integerIn(minute, 0, 59, 'minute')) });
  }

  /** Every two hours, at `minute` past (default 0). */
  everyTwoHours(minute = 0): this {
    return this.#everyHours(2, minute);
  }
  everyThreeHours(minute = 0): this {
    return this.#everyHours(3, minute);
  }
  everyFourHours(minute = 0): this {
    return this.#everyHours(4, minute);
  }
  everySixHours(minute = 0): this {
    return this.#everyHours(6, minute);
  }

  /** At midnight. */
  daily(): this {
    return this.dailyAt('00:00');
  }

  /** At `time` (`'13:00'`, or `'13:00:30'` with seconds) every day. */
  dailyAt(time: string): this {
    return this.#set(atTime(this.#fields, parseTime(time, 'dailyAt()')));
  }

  /** At `first`:00 and `second`:00 (default 1 and 13). */
  twiceDaily(first = 1, second = 13): this {
    return this.twiceDailyAt(first, second, 0);
  }

  /** At `first`:`minute` and `second`:`minute`. */
  twiceDailyAt(first: number, second: number, minute = 0): this {
    const a = integerIn(first, 0, 23, 'hour');
    const b = integerIn(second, 0, 23, 'hour');
    return this.#set({
      second: null,
      minute: String(integerIn(minute, 0, 59, 'minute')),
      hour: `${Math.min(a, b)},${Math.max(a, b)}`,
    });
  }

  /** Only Monday to Friday (combine with a time helper: `weekdays().dailyAt('08:00')`). */
  weekdays(): this {
    return this.#set({ dayOfWeek: '1-5' });
  }

  /** Only Saturday and Sunday. */
  weekends(): this {
    return this.#set({ dayOfWeek: '0,6' });
  }

  /** Only on these days of the week (0..6 or names like `'monday'`). */
  days(...days: Day[]): this {
    if (days.length === 0) throw new ConfigurationError('days() needs at least one day of the week.');
    const numbers = [...new Set(days.map(dayNumber))].sort((a, b) => a - b);
    return this.#set({ dayOfWeek: numbers.join(',') });
  }

  mondays(): this {
    return this.days(1);
  }
  tuesdays(): this {
    return this.days(2);
  }
  wednesdays(): this {
    return this.days(3);
  }
  thursdays(): this {
    return this.days(4);
  }
  fridays(): this {
    return this.days(5);
  }
  saturdays(): this {
    return this.days(6);
  }
  sundays(): this {
    return this.days(0);
  }

  /** Sundays at midnight. */
  weekly(): this {
    return this.weeklyOn(0, '00:00');
  }

  /** On `day` (0..6 or a name) at `time` (default midnight). */
  weeklyOn(day: Day, time = '00:00'): this {
    const fields = atTime(this.#fields, parseTime(time, 'weeklyOn()'));
    return this.#set({ ...fields, dayOfWeek: String(dayNumber(day)) });
  }

  /** The first day of every month at midnight. */
  monthly(): this {
    return this.monthlyOn(1, '00:00');
  }

  /** On day `day` (1..31) of every month at `time` (default midnight). */
  monthlyOn(day = 1, time = '00:00'): this {
    const fields = atTime(this.#fields, parseTime(time, 'monthlyOn()'));
    return this.#set({ ...fields, dayOfMonth: String(integerIn(day, 1, 31, 'day of month')) });
  }

  /** On days `first` and `second` of every month (default 1 and 16) at `time`. */
  twiceMonthly(first = 1, second = 16, time = '00:00'): this {
    const a = integerIn(first, 1, 31, 'day of month');
    const b = integerIn(second, 1, 31, 'day of month');
    const fields = atTime(this.#fields, parseTime(time, 'twiceMonthly()'));
    return this.#set({ ...fields, dayOfMonth: `${Math.min(a, b)},${Math.max(a, b)}` });
  }

  /** On the last day of every month at `time` (default midnight). */
  lastDayOfMonth(time = '00:00'): this {
    const fields = atTime(this.#fields, parseTime(time, 'lastDayOfMonth()'));
    return this.#set({ ...fields, dayOfMonth: 'L' });
  }

  /** The first day of every quarter (January, April, July, October) at midnight. */
  quarterly(): this {
    return this.#set({ second: null, minute: '0', hour: '0', dayOfMonth: '1', month: '1-12/3' });
  }

  /** January 1st at midnight. */
  yearly(): this {
    return this.yearlyOn(1, 1, '00:00');
  }

  /** On `month` (1..12) / `day` (1..31) at `time` (default midnight). */
  yearlyOn(month = 1, day = 1, time = '00:00'): this {
    const fields = atTime(this.#fields, parseTime(time, 'yearlyOn()'));
    return this.#set({
      ...fields,
      dayOfMonth: String(integerIn(day, 1, 31, 'day of month')),
      month: String(integerIn(month, 1, 12, 'month')),
    });
  }

  /** No occurrence before `start` (a Date, ms since epoch or an ISO date string). */
  startsAt(start: Date | number | string): this {
    this.#startsAt = toTime(start, 'startsAt()');
    this.#checkWindow();
    return this;
  }

  /** No occurrence after `end`. */
  endsAt(end: Date | number | string): this {
    this.#endsAt = toTime(end, 'endsAt()');
    this.#checkWindow();
    return this;
  }

  /** Occurrences only from `start` to `end` (both inclusive): `startsAt(start).endsAt(end)`. */
  between(start: Date | number | string, end: Date | number | string): this {
    this.#startsAt = toTime(start, 'between() start');
    this.#endsAt = toTime(end, 'between() end');
    this.#checkWindow();
    return this;
  }

  // ---- identity and behaviour ---------------------------------------------------------------------------

  /**
   * The schedule's unique name: runtime management (`pause`, `delete`, ...) and claims go by it. Default:
   * `<job name> <cron> <timezone>`; set one when two schedules would share it, or to rename safely.
   */
  name(name: string): this {
    if (typeof name !== 'string' || name.trim().length === 0) {
      throw new ConfigurationError(`Invalid schedule name ${quote(name)}: use a non-empty string.`);
    }
    this.#name = name.trim();
    return this;
  }

  /**
   * Occurrences that passed while no scheduler ran: `'once'` (default) dispatches one job for them when a
   * scheduler next runs; `'skip'` dispatches none and waits for the next future occurrence.
   */
  missed(policy: MissedPolicy): this {
    if (policy !== 'once' && policy !== 'skip') {
      throw new ConfigurationError(`Invalid missed policy ${quote(policy)}: use 'once' or 'skip'.`);
    }
    this.#missed = policy;
    return this;
  }

  /**
   * Skips an occurrence while the job of an earlier one has not finished (pending, running or retrying), so a
   * slow run is never doubled. The lock expires after `expiresAfter` (default 24 h) in case its job vanished.
   */
  withoutOverlapping(expiresAfter: Duration = DEFAULT_OVERLAP_EXPIRY): this {
    return this.unique({ for: expiresAfter });
  }

  /** The job uniqueness lock each dispatched job takes; an occurrence whose lock is held is skipped. */
  unique(options: ScheduleUniqueOptions = {}): this {
    const { key, until = 'completed' } = options;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
      throw new ConfigurationError(`Invalid unique key ${quote(key)}: use a non-empty string.`);
    }
    if (until !== 'started' && until !== 'completed') {
      throw new ConfigurationError(`Invalid unique until ${quote(until)}: use 'started' or 'completed'.`);
    }
    this.#unique = {
      key: key ?? null,
      ttlMs: toMs(options.for ?? DEFAULT_OVERLAP_EXPIRY, 'unique for'),
      until,
    };
    return this;
  }

  // ---- options of the dispatched job (each overrides the job's instance property and class static) ----------

  onQueue(queue: string): this {
    return this.#option({ queue });
  }
  priority(priority: Priority): this {
    return this.#option({ priority });
  }
  maxAttempts(attempts: number): this {
    return this.#option({ maxAttempts: attempts });
  }
  backoff(backoff: Backoff): this {
    return this.#option({ backoff });
  }
  timeout(timeout: Duration): this {
    return this.#option({ timeout });
  }
  /** Stored with every dispatched job as `ctx.meta`, next to `schedule` and `scheduledAt`. */
  meta(meta: Record<string, unknown>): this {
    return this.#option({ meta });
  }

  /** @internal The stored form: the job prepared by `conveyor` (so its payload limit applies). */
  toDefinition(conveyor: Conveyor, source: ScheduleSource): ScheduleDefinition {
    const cron = Cron.parse(this.expression, this.#timezone);
    const prepared = conveyor.prepare(this.job, this.#options);
    // The schedule's own lock (`withoutOverlapping()` / `unique()`), else the job class's `static unique`.
    const unique = this.#unique
      ? {
          key: this.#unique.key ?? `schedule:${this.scheduleName}`,
          ttlMs: this.#unique.ttlMs,
          until: this.#unique.until,
        }
      : prepared.unique;
    return {
      v: 1,
      cron: cron.expression,
      timezone: cron.timezone,
      job: {
        name: prepared.name,
        queue: prepared.queue,
        payload: prepared.payload,
        options: prepared.options,
        priority: prepared.priority,
        maxAttempts: prepared.maxAttempts,
      },
      unique,
      missed: this.#missed,
      startsAt: this.#startsAt,
      endsAt: this.#endsAt,
      source,
    };
  }

  #everyMinutes(step: number): this {
    return this.#set({ second: null, minute: step === 1 ? '*' : `*/${step}` });
  }

  #everyHours(step: number, minute: number): this {
    return this.#set({ second: null, minute: String(integerIn(minute, 0, 59, 'minute')), hour: `*/${step}` });
  }

  #set(patch: Partial<CronFields>): this {
    const fields = { ...this.#fields, ...patch };
    Cron.parse(expressionOf(fields), this.#timezone);
    this.#fields = fields;
    return this;
  }

  #option(patch: DispatchOptions): this {
    const options = { ...this.#options, ...patch };
    resolveJobOptions(this.job, options, 0); // validates, throwing a ConfigurationError quoting a bad value
    Object.assign(this.#options, patch);
    return this;
  }

  #checkWindow(): void {
    if (this.#startsAt !== null && this.#endsAt !== null && this.#startsAt > this.#endsAt) {
      throw new ConfigurationError(
        `Invalid schedule window: starts at ${new Date(this.#startsAt).toISOString()}, after it ends at ` +
          `${new Date(this.#endsAt).toISOString()}.`,
      );
    }
  }
}

function toTime(value: unknown, what: string): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? Date.parse(value)
          : Number.NaN;
  if (Number.isFinite(ms) && ms >= 0) return ms;
  throw new ConfigurationError(
    `Invalid date ${quote(value)} for ${what}: use a Date, ms since epoch or an ISO date string. ` +
      "(For hours of the day, restrict the cron's hour field instead, e.g. '0 7-22 * * *'.)",
  );
}
