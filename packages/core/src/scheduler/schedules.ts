import type { Conveyor } from '../conveyor.js';
import type { ScheduleRecord, UniqueSpec } from '../driver.js';
import { ConfigurationError, quote } from '../errors.js';
import type { Job } from '../job.js';
import {
  decodeDefinition,
  encodeDefinition,
  type MissedPolicy,
  nextRunOf,
  type ScheduleDefinition,
  type ScheduleSource,
  sameTiming,
} from './definition.js';
import { ScheduledJob } from './scheduled-job.js';

/** A stored schedule as `schedules.list()` shows it. Times are ms since epoch. */
export interface ScheduleInfo {
  name: string;
  cron: string;
  timezone: string;
  /** The job's registry name. */
  job: string;
  queue: string;
  paused: boolean;
  /** The next occurrence; null while paused or after the schedule's end. */
  nextRunAt: number | null;
  /** The last occurrence claimed (dispatched, or skipped by the missed policy or an overlap). */
  lastRunAt: number | null;
  missed: MissedPolicy;
  /** The lock each run holds (`withoutOverlapping()` / `unique()`), or null. */
  unique: UniqueSpec | null;
  startsAt: number | null;
  endsAt: number | null;
  source: ScheduleSource;
}

/** A stored schedule whose definition this process cannot read (shown so it can be deleted). */
export interface UnreadableScheduleInfo {
  name: string;
  paused: boolean;
  nextRunAt: number | null;
  lastRunAt: number | null;
  /** Why the definition could not be read. */
  error: string;
}

/** The lock that serializes saving code-defined schedules across processes. */
const SYNC_LOCK = 'scheduler:sync';
const SYNC_LOCK_TTL_MS = 30_000;

/**
 * The schedules of one `Conveyor`: those defined in code (`conveyor.schedule(job)`, `Schedule.job(job)`), which a
 * scheduler saves when it starts, and the persisted ones, managed at run time: `create`, `list`, `get`, `pause`,
 * `resume`, `delete`. Every process sharing the driver sees the same persisted schedules.
 */
export class Schedules {
  readonly #conveyor: Conveyor;
  readonly #defined: ScheduledJob[] = [];
  /** Schedulers of this process, told when a schedule changes here (others notice within their refresh). */
  readonly #watchers = new Set<() => void>();

  constructor(conveyor: Conveyor) {
    this.#conveyor = conveyor;
  }

  /** @internal Defines a schedule in code (what `conveyor.schedule(job)` does). */
  define<J extends Job>(job: J): ScheduledJob<J> {
    const schedule = new ScheduledJob(job);
    this.#defined.push(schedule);
    return schedule;
  }

  /** The schedules defined in code on this instance. */
  get defined(): readonly ScheduledJob[] {
    return this.#defined;
  }

  /**
   * Saves a schedule at run time: `await conveyor.schedules.create(new ScheduledJob(job).dailyAt('02:00').name('report'))`.
   * A schedule of the same name is replaced (an upsert): it keeps its paused state and last run, and keeps its
   * next run time unless the timing changed. Every scheduler sharing the driver picks it up within its refresh
   * interval.
   */
  async create(schedule: ScheduledJob): Promise<ScheduleInfo> {
    if (!(schedule instanceof ScheduledJob)) {
      throw new TypeError(
        `schedules.create() expects a ScheduledJob, e.g. new ScheduledJob(new DailyReport()).dailyAt('02:00'); got ${quote(schedule)}.`,
      );
    }
    const name = schedule.scheduleName;
    const definition = schedule.toDefinition(this.#conveyor, 'runtime');
    const existing = (await this.#conveyor.driver.listSchedules()).find((r) => r.name === name);
    const record = await this.#upsert(name, definition, existing);
    this.#changed();
    return toInfo(record, definition);
  }

  /** Every stored schedule, by name, with its next run time. */
  async list(): Promise<Array<ScheduleInfo | UnreadableScheduleInfo>> {
    const records = await this.#conveyor.driver.listSchedules();
    return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(describe);
  }

  /** One stored schedule, or null. */
  async get(name: string): Promise<ScheduleInfo | UnreadableScheduleInfo | null> {
    const record = await this.#find(name);
    return record ? describe(record) : null;
  }

  /** Stops dispatching a schedule (in every process) until `resume()`. False if there is no such schedule. */
  async pause(name: string): Promise<boolean> {
    const record = await this.#find(name);
    if (!record) return false;
    if (!record.paused)
      await this.#conveyor.driver.saveSchedule({ ...record, paused: true, nextRunAt: null });
    return true;
  }

  /**
   * Resumes a paused schedule from now: occurrences that fell while it was paused are not dispatched. False if
   * there is no such schedule.
   */
  async resume(name: string): Promise<boolean> {
    const record = await this.#find(name);
    if (!record) return false;
    if (record.paused) {
      const definition = decodeDefinition(record.definition, name);
      const nextRunAt = nextRunOf(definition, this.#conveyor.clock.now());
      await this.#conveyor.driver.saveSchedule({ ...record, paused: false, nextRunAt });
    }
    this.#changed();
    return true;
  }

  /**
   * Deletes a stored schedule. A schedule defined in code is saved again when a scheduler next starts with that
   * code; to stop one for good, remove it from the code too (or `pause()` it). False if there was none.
   */
  async delete(name: string): Promise<boolean> {
    const removed = await this.#conveyor.driver.removeSchedule(name);
    this.#changed();
    return removed;
  }

  /** @internal Calls `listener` after every change made through this object; returns the unsubscribe. */
  watch(listener: () => void): () => void {
    this.#watchers.add(listener);
    return () => void this.#watchers.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#watchers) listener();
  }

  /**
   * @internal Saves the schedules defined in code, so every process (and `list()`) sees them. One process at a
   * time (a driver lock); a stored schedule whose definition is unchanged is left alone. Returns false, having
   * saved nothing, while another process holds the lock: call again later.
   */
  async saveDefined(owner: string): Promise<boolean> {
    if (this.#defined.length === 0) return true;
    const definitions = new Map<string, ScheduleDefinition>();
    for (const schedule of this.#defined) {
      const name = schedule.scheduleName;
      if (definitions.has(name)) {
        throw new ConfigurationError(
          `Two schedules are named ${quote(name)}: give one of them another .name('...').`,
        );
      }
      definitions.set(name, schedule.toDefinition(this.#conveyor, 'code'));
    }
    const driver = this.#conveyor.driver;
    if (!(await driver.acquireLock(SYNC_LOCK, owner, SYNC_LOCK_TTL_MS, this.#conveyor.clock.now()))) {
      return false;
    }
    try {
      const stored = new Map((await driver.listSchedules()).map((r) => [r.name, r]));
      for (const [name, definition] of definitions) await this.#upsert(name, definition, stored.get(name));
    } finally {
      await driver.releaseLock(SYNC_LOCK, owner);
    }
    return true;
  }

  /**
   * Saves a definition, keeping what an existing record knows: its paused state and last claimed occurrence
   * (so an occurrence is never claimed twice), and its next run time when the timing is unchanged (so missed
   * occurrences keep their policy across a deploy). An identical definition is not written at all.
   */
  async #upsert(
    name: string,
    definition: ScheduleDefinition,
    existing: ScheduleRecord | undefined,
  ): Promise<ScheduleRecord> {
    const text = encodeDefinition(definition);
    if (existing?.definition === text) return existing;
    let keepNext = false;
    if (existing) {
      try {
        keepNext = sameTiming(decodeDefinition(existing.definition, name), definition);
      } catch {
        keepNext = false; // an unreadable old definition: start its timing afresh
      }
    }
    const paused = existing?.paused ?? false;
    const record: ScheduleRecord = {
      name,
      definition: text,
      paused,
      nextRunAt: paused
        ? null
        : keepNext
          ? (existing?.nextRunAt ?? null)
          : nextRunOf(definition, this.#conveyor.clock.now()),
      lastRunAt: existing?.lastRunAt ?? null,
    };
    await this.#conveyor.driver.saveSchedule(record);
    return record;
  }

  async #find(name: string): Promise<ScheduleRecord | undefined> {
    return (await this.#conveyor.driver.listSchedules()).find((r) => r.name === name);
  }
}

function describe(record: ScheduleRecord): ScheduleInfo | UnreadableScheduleInfo {
  try {
    return toInfo(record, decodeDefinition(record.definition, record.name));
  } catch (error) {
    const { name, paused, nextRunAt, lastRunAt } = record;
    return { name, paused, nextRunAt, lastRunAt, error: (error as Error).message };
  }
}

function toInfo(record: ScheduleRecord, definition: ScheduleDefinition): ScheduleInfo {
  return {
    name: record.name,
    cron: definition.cron,
    timezone: definition.timezone,
    job: definition.job.name,
    queue: definition.job.queue,
    paused: record.paused,
    nextRunAt: record.nextRunAt,
    lastRunAt: record.lastRunAt,
    missed: definition.missed,
    unique: definition.unique,
    startsAt: definition.startsAt,
    endsAt: definition.endsAt,
    source: definition.source,
  };
}
