import { EventEmitter } from 'eventemitter3';
import type { ClockTimer } from '../clock.js';
import type { Conveyor } from '../conveyor.js';
import type { NewJob, ScheduleRecord } from '../driver.js';
import { type Duration, toMs } from '../duration.js';
import { ConfigurationError, ParseError, quote } from '../errors.js';
import { newId } from '../ids.js';
import type { StoredJobOptions } from '../job-options.js';
import { decodeValue, encodeValue } from '../serializer.js';
import { decodeDefinition, nextRunOf, type ScheduleDefinition } from './definition.js';

export interface SchedulerOptions {
  /** The instance whose driver holds the schedules and receives the jobs. Default: `Queue`. */
  conveyor?: Conveyor;
  /**
   * How often persisted schedules are read again, so schedules created, paused or deleted by other processes
   * are picked up even when no occurrence is due. Default 5 s.
   */
  refresh?: Duration;
  /**
   * An occurrence whose time passed more than this before a scheduler reached it counts as missed (its
   * schedule's `missed` policy applies). Default 1 minute.
   */
  missedAfter?: Duration;
  /** This scheduler's id (the owner of its locks). Default: a random UUID. */
  id?: string;
}

/** What a scheduler did with one occurrence it claimed. */
export interface ScheduleRun {
  schedule: string;
  /** The occurrence (ms since epoch). With missed occurrences, the first of them. */
  at: number;
  /**
   * `dispatched`: a job was stored. `missed`: skipped by the `'skip'` policy. `overlapping`: skipped because the
   * job of an earlier run still holds the schedule's lock (`withoutOverlapping()`).
   */
  outcome: 'dispatched' | 'missed' | 'overlapping';
  /** The dispatched job's id, or (overlapping) the id of the job holding the lock; null when missed. */
  jobId: string | null;
}

export interface SchedulerEvents {
  /** An occurrence's job was stored. */
  dispatched: [run: ScheduleRun];
  /** An occurrence was claimed and not dispatched (`missed` or `overlapping`). */
  skipped: [run: ScheduleRun];
  /** A fault the scheduler survived (storage error, unreadable definition); it tries again later. */
  error: [error: Error];
}

/**
 * Runs schedules: at each occurrence it claims the occurrence through the driver (exactly one process wins,
 * however many run a scheduler) and dispatches the schedule's job. Runs inside every worker by default, or
 * standalone: `await new Scheduler().start()` (on `Queue`) or `new Scheduler({ conveyor })`.
 *
 * Time comes from the conveyor's clock, so a `FakeClock` drives it without real waiting: `advance()` fires the
 * scheduler's timer at each occurrence.
 */
export class Scheduler extends EventEmitter<SchedulerEvents> {
  readonly id: string;
  #conveyor: Conveyor | undefined;
  readonly #refreshMs: number;
  readonly #missedAfterMs: number;
  #saved = false;
  #running = false;
  #timer: ClockTimer | undefined;
  #ticking: Promise<ScheduleRun[]> | undefined;
  #unwatch: (() => void) | undefined;
  /** Stored definitions already reported as unreadable (reported once each, not at every tick). */
  readonly #unreadable = new Set<string>();

  constructor(options: SchedulerOptions = {}) {
    super();
    const conveyor = options.conveyor as Partial<Conveyor> | null | undefined;
    if (
      conveyor !== undefined &&
      (conveyor === null || typeof conveyor !== 'object' || !conveyor.schedules)
    ) {
      throw new ConfigurationError(
        `Invalid scheduler conveyor ${quote(conveyor)}: pass a Conveyor instance.`,
      );
    }
    this.#conveyor = options.conveyor;
    this.id = options.id ?? newId();
    this.#refreshMs = Math.max(1, toMs(options.refresh ?? '5s', 'scheduler refresh'));
    this.#missedAfterMs = toMs(options.missedAfter ?? '1m', 'scheduler missedAfter');
  }

  /** The conveyor this scheduler serves (the default `Queue` unless one was given). */
  get conveyor(): Conveyor {
    if (!this.#conveyor) {
      throw new ConfigurationError(
        'This scheduler has not started yet: it uses the default Queue once it does.',
      );
    }
    return this.#conveyor;
  }

  get running(): boolean {
    return this.#running;
  }

  /**
   * Saves the schedules defined in code on the conveyor (one process at a time; unchanged ones are left
   * alone), runs what is due, then keeps running each occurrence on time until `close()`. Rejects on a
   * configuration error (such as two schedules with one name) or when the driver fails at once.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#bind();
      // A change made in this process (create, pause, resume, delete) is acted on at once.
      this.#unwatch = this.conveyor.schedules.watch(() => {
        if (this.#running) this.tick().catch((error) => this.#report(error));
      });
      await this.tick();
    } catch (error) {
      this.#running = false;
      this.#unwatch?.();
      this.#timer?.cancel();
      this.#timer = undefined;
      throw error;
    }
  }

  /** Stops the timer and waits for a tick in progress. Idempotent. */
  async close(): Promise<void> {
    this.#running = false;
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.idle();
  }

  /** Resolves when no tick is in progress (a tick the timer started included). */
  async idle(): Promise<void> {
    let ticking: Promise<unknown> | undefined;
    while ((ticking = this.#ticking) !== undefined) {
      await ticking.catch(() => {});
      if (ticking === this.#ticking) return;
    }
  }

  /**
   * Claims and dispatches every occurrence due at the clock's `now`, and (when started) sets the timer for the
   * next one. Returns what this scheduler did with the occurrences it claimed. Ticks never overlap: a call
   * during a tick waits for it, then runs its own.
   */
  tick(): Promise<ScheduleRun[]> {
    const previous = this.#ticking?.catch(() => []) ?? Promise.resolve([]);
    const current = previous.then(async () => {
      await this.#bind();
      return this.#tick();
    });
    this.#ticking = current;
    return current;
  }

  /** Binds the default `Queue` when no conveyor was given (imported here: queue.ts imports this module). */
  async #bind(): Promise<void> {
    if (!this.#conveyor) {
      const { Queue } = await import('../queue.js');
      this.#conveyor ??= Queue;
    }
  }

  async #tick(): Promise<ScheduleRun[]> {
    this.#timer?.cancel();
    this.#timer = undefined;
    const clock = this.conveyor.clock;
    let wakeAt = clock.now() + this.#refreshMs;
    try {
      if (!this.#saved) this.#saved = await this.conveyor.schedules.saveDefined(this.id);
      const records = await this.conveyor.driver.listSchedules();
      const now = clock.now();
      wakeAt = now + this.#refreshMs;
      const runs: ScheduleRun[] = [];
      for (const record of records) {
        if (record.paused || record.nextRunAt === null) continue;
        const key = `${record.name}\u0000${record.definition}`;
        try {
          if (this.#unreadable.has(key)) continue;
          const definition = decodeDefinition(record.definition, record.name);
          const at = dueOccurrence(record, definition);
          if (at !== null && at <= now) {
            const run = await this.#runDue(record.name, definition, at, now);
            if (run) runs.push(run);
          }
          const next = at === null || at <= now ? nextRunOf(definition, now) : at;
          if (next !== null) wakeAt = Math.min(wakeAt, next);
        } catch (error) {
          // A definition that does not parse, or whose cron no longer validates, fails the same way every time.
          if (error instanceof ParseError || error instanceof ConfigurationError) this.#unreadable.add(key);
          this.#report(error);
        }
      }
      return runs;
    } finally {
      this.#arm(wakeAt);
    }
  }

  /**
   * Claims the due occurrence of one schedule and dispatches it. With several occurrences due (nothing ran at
   * the time), one claim covers them all: `at` is the first, and the stored next run moves past `now`.
   */
  async #runDue(
    name: string,
    definition: ScheduleDefinition,
    at: number,
    now: number,
  ): Promise<ScheduleRun | null> {
    const nextRunAt = nextRunOf(definition, now);
    const driver = this.conveyor.driver;
    if (!(await driver.claimOccurrence(name, at, nextRunAt))) return null; // another process has it
    if (definition.missed === 'skip' && now - at > this.#missedAfterMs) {
      const run: ScheduleRun = { schedule: name, at, outcome: 'missed', jobId: null };
      this.emit('skipped', run);
      return run;
    }
    const job = this.#jobFor(name, definition, at);
    const outcome = (await driver.push({ jobs: [job] }, this.conveyor.clock.now())).jobs[0]!;
    if (outcome.outcome === 'duplicate') {
      this.conveyor.emitDuplicate(job, outcome.id);
      const run: ScheduleRun = { schedule: name, at, outcome: 'overlapping', jobId: outcome.id };
      this.emit('skipped', run);
      return run;
    }
    const run: ScheduleRun = { schedule: name, at, outcome: 'dispatched', jobId: outcome.id };
    this.conveyor.emit('dispatched', { id: outcome.id, name: job.name, queue: job.queue, attempt: 0 });
    this.emit('dispatched', run);
    return run;
  }

  /** The job of one occurrence; its `meta` says which schedule and occurrence it is for. */
  #jobFor(name: string, definition: ScheduleDefinition, at: number): NewJob {
    const stored = decodeValue(definition.job.options, `schedule ${name} job options`) as StoredJobOptions;
    const options: StoredJobOptions = {
      ...stored,
      meta: { ...stored.meta, schedule: name, scheduledAt: at },
    };
    return {
      ...definition.job,
      id: newId(),
      options: encodeValue(options, `schedule ${name} job options`),
      delayMs: 0,
      unique: definition.unique,
      batchId: null,
    };
  }

  #arm(wakeAt: number): void {
    if (!this.#running) return;
    const delay = Math.max(0, wakeAt - this.conveyor.clock.now());
    this.#timer = this.conveyor.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#running) this.tick().catch((error) => this.#report(error));
    }, delay);
  }

  #report(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else console.error('[conveyor] scheduler error:', err);
  }
}

/**
 * The occurrence a record is waiting for: its `nextRunAt`, or (should that not be after the last claimed one,
 * as a record saved from a stale read or by a process with a skewed clock may say) the first occurrence after
 * `lastRunAt`, so a schedule can never get stuck on an occurrence the driver will refuse.
 */
function dueOccurrence(record: ScheduleRecord, definition: ScheduleDefinition): number | null {
  const at = record.nextRunAt;
  if (at === null || record.lastRunAt === null || at > record.lastRunAt) return at;
  return nextRunOf(definition, record.lastRunAt);
}
