import type { NewJob, UniqueSpec } from '../driver.js';
import { ParseError, quote } from '../errors.js';
import { Cron } from './cron.js';

/** What a scheduler does with occurrences that passed while nothing ran: dispatch one (`once`) or none. */
export type MissedPolicy = 'once' | 'skip';

/** Where a schedule came from: code (`Schedule.job()`, saved when a scheduler starts) or `schedules.create()`. */
export type ScheduleSource = 'code' | 'runtime';

/** The job a schedule dispatches, prepared once when the schedule is defined. */
export type ScheduledJobRecord = Pick<
  NewJob,
  'name' | 'queue' | 'payload' | 'options' | 'priority' | 'maxAttempts'
>;

/**
 * A schedule as core stores it in `ScheduleRecord.definition` (JSON; the driver never reads it). Times are ms
 * since epoch. Everything a process needs to dispatch the job is here, so any process can run any schedule,
 * whether or not it has the job's class.
 */
export interface ScheduleDefinition {
  v: 1;
  /** Normalized expression (see `Cron`). */
  cron: string;
  timezone: string;
  job: ScheduledJobRecord;
  /** The lock each dispatched job holds (`withoutOverlapping()` / `unique()`), or null. */
  unique: UniqueSpec | null;
  missed: MissedPolicy;
  /** No occurrence before this time (inclusive bound), or null. */
  startsAt: number | null;
  /** No occurrence after this time (inclusive bound), or null. */
  endsAt: number | null;
  source: ScheduleSource;
}

export function encodeDefinition(definition: ScheduleDefinition): string {
  const { v, cron, timezone, job, unique, missed, startsAt, endsAt, source } = definition;
  return JSON.stringify({
    v,
    cron,
    timezone,
    job: {
      name: job.name,
      queue: job.queue,
      payload: job.payload,
      options: job.options,
      priority: job.priority,
      maxAttempts: job.maxAttempts,
    },
    unique: unique && { key: unique.key, ttlMs: unique.ttlMs, until: unique.until },
    missed,
    startsAt,
    endsAt,
    source,
  });
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTime = (v: unknown): v is number | null => v === null || isNumber(v);

/** Decodes and checks a stored definition; throws `ParseError` naming the schedule when it does not parse. */
export function decodeDefinition(text: string, name: string): ScheduleDefinition {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ParseError(`Stored schedule ${quote(name)} does not parse: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const d = value as Partial<ScheduleDefinition> | null;
  const job = d?.job as Partial<ScheduledJobRecord> | undefined;
  const unique = d?.unique as Partial<UniqueSpec> | null | undefined;
  const ok =
    d !== null &&
    typeof d === 'object' &&
    d.v === 1 &&
    isString(d.cron) &&
    isString(d.timezone) &&
    typeof job === 'object' &&
    job !== null &&
    isString(job.name) &&
    isString(job.queue) &&
    isString(job.payload) &&
    isString(job.options) &&
    isNumber(job.priority) &&
    isNumber(job.maxAttempts) &&
    (unique === null ||
      (typeof unique === 'object' &&
        isString(unique.key) &&
        isTime(unique.ttlMs) &&
        (unique.until === 'started' || unique.until === 'completed'))) &&
    (d.missed === 'once' || d.missed === 'skip') &&
    isTime(d.startsAt) &&
    isTime(d.endsAt) &&
    (d.source === 'code' || d.source === 'runtime');
  if (!ok) {
    throw new ParseError(
      `Stored schedule ${quote(name)} is not a schedule definition this version of Conveyor understands: ${text.slice(0, 200)}`,
    );
  }
  return d as ScheduleDefinition;
}

/** The cron of a definition (cached; a stored definition that no longer validates throws `ConfigurationError`). */
export function cronOf(definition: ScheduleDefinition): Cron {
  return Cron.parse(definition.cron, definition.timezone);
}

/** The first occurrence strictly after `after` inside the schedule's start/end window, or null. */
export function nextRunOf(definition: ScheduleDefinition, after: number): number | null {
  const from = definition.startsAt === null ? after : Math.max(after, definition.startsAt - 1);
  const next = cronOf(definition).next(from);
  return next === null || (definition.endsAt !== null && next > definition.endsAt) ? null : next;
}

/** True when two definitions produce the same occurrences (so a stored `nextRunAt` still holds). */
export function sameTiming(a: ScheduleDefinition, b: ScheduleDefinition): boolean {
  return a.cron === b.cron && a.timezone === b.timezone && a.startsAt === b.startsAt && a.endsAt === b.endsAt;
}
