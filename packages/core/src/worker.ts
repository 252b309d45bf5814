import { EventEmitter } from 'eventemitter3';
import { type Attempt, AttemptGroup } from './attempt.js';
import { type ClockTimer, systemClock } from './clock.js';
import type { Conveyor } from './conveyor.js';
import type { DriverEvent, JobState, ReservedJob, ReserveRequest, ReserveResult } from './driver.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import type { ConveyorEvents } from './events.js';
import { newId } from './ids.js';
import type { JobClass } from './job.js';
import { JobRunner, type RunnerHost } from './job-runner.js';
import { LeaseKeeper } from './lease-keeper.js';
import { PeriodicTask } from './periodic-task.js';
import { sweepRetention } from './retention-sweeper.js';
import { Scheduler } from './scheduler/scheduler.js';
import { JobRegistry } from './serializer.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions, type WorkerOptions } from './worker-options.js';
import { WorkerRegistration } from './worker-registry.js';

export { AttemptAbortedError } from './attempt.js';
export type { WorkerOptions } from './worker-options.js';

/** Most stalled jobs taken over in one `recoverStalled` call, and most calls in one pass. */
const STALLED_BATCH = 100;
const STALLED_ROUNDS = 10;
/** The driver events a worker acts on. */
const CANCEL_EVENTS: ReadonlyArray<DriverEvent['type']> = ['cancel'];
/** Longest pause after a storage fault in the fetch loop. */
const MAX_ERROR_PAUSE_MS = 5_000;
/** A wait for work shorter than this (real ms) that found nothing counts towards a spin, after this many. */
const SPIN_MS = 2;
const SPIN_ROUNDS = 3;

/** Jobs a wait reserved when it returned, and how many it asked for. */
interface Reservation {
  result: ReserveResult;
  asked: number;
}

/** How a wait for work ended, and what it reserved (`waitAndReserve`). */
interface Waited {
  how: 'woken' | 'waited' | 'returned-at-once';
  reserved?: Reservation;
}

/** From this concurrency on, jobs that arrive together start in two groups a turn apart (see `#group`). */
const GROUP_MIN_CONCURRENCY = 8;

/**
 * Runs jobs: takes them from its queues in strict order, runs up to `concurrency` at once, keeps their leases
 * alive with one heartbeat timer, enforces timeouts and cancellation, retries failures with their backoff,
 * recovers jobs whose lease expired elsewhere, and sweeps finished jobs beyond the conveyor's retention.
 *
 * All time comes from the conveyor's clock: with a `FakeClock`, `clock.advance()` moves leases, timeouts,
 * backoffs and delays without real waiting.
 *
 * ```ts
 * const worker = new Worker({ jobs: [SendEmail], queues: ['critical', 'emails'], concurrency: 20 });
 * await worker.start();
 * process.on('SIGTERM', () => worker.close({ timeout: '30s' }));
 * ```
 *
 * Every event is emitted on the worker and on its conveyor.
 */
export class Worker extends EventEmitter<ConveyorEvents> implements RunnerHost {
  readonly id: string;
  readonly queues: string[];
  readonly concurrency: number;
  readonly #options: ResolvedWorkerOptions;
  readonly #jobs: JobRegistry;
  #conveyor: Conveyor | undefined;
  #runner: JobRunner | undefined;
  #leases: LeaseKeeper | undefined;
  /** Its record in the worker registry and its figures (beaten by the stalled-recovery chore). */
  #registration: WorkerRegistration | undefined;

  #started: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  /** The fetch loop runs. */
  #running = false;
  /** New reservations may run (false once `close()` began: they go straight back). */
  #accepting = true;
  #loop: Promise<void> | undefined;
  #stalledTask: PeriodicTask | undefined;
  #sweepTask: PeriodicTask | undefined;
  /** Runs the conveyor's schedules while the worker runs (option `scheduler`). */
  #scheduler: Scheduler | undefined;

  /** Attempts holding a concurrency slot (running or settling). */
  #slotsBusy = 0;
  /** Every attempt not done yet, including stalled jobs being settled. */
  #inflight = 0;
  #slotWaiter: (() => void) | undefined;
  /**
   * Jobs reserved ahead, started as slots free (once a slot's settle is stored; with pipelined settles once its
   * handler ended). The reserve for them travels with the settles (one round trip), so a freed slot waits for no
   * reserve. At most one per slot whose handler is not running, plus `prefetch` more with pipelined settles (see
   * `#wanted`); their leases are renewed by the heartbeat, and they are handed back on close.
   */
  #prefetched: ReservedJob[] = [];
  #fillScheduled = false;
  /**
   * Most jobs started in one turn of the event loop, and how many more this turn may start. A reply that brings
   * many jobs starts them in groups a turn apart, so the first group's settles (with the reserve for its slots)
   * are written while the next group runs: Redis works while the worker works, instead of in turns.
   */
  readonly #group: number;
  #groupLeft: number;
  #groupTimer: ReturnType<typeof setImmediate> | undefined;
  #idleWaiters: Array<() => void> = [];
  /** Aborts the fetch loop's current wait (idle wait or error pause). */
  #wait: AbortController | undefined;
  /** The current wait is a `waitAndReserve` (see `workMayBeReady`). */
  #waitReserves = false;
  /** A settle made work ready while the loop was not waiting: skip the next wait. */
  #wakePending = false;

  #subscribed: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  /** Reserve calls in flight, and cancel events that arrived meanwhile for jobs not yet known. */
  #reserving = 0;
  #lateCancels: Set<string> | undefined;
  /** From the last reserve: when the next delayed or retrying job of these queues is due, or null. */
  #nextDueAt: number | null = null;

  constructor(options: WorkerOptions = {}) {
    super();
    this.#options = resolveWorkerOptions(options);
    this.id = this.#options.id;
    this.queues = this.#options.queues;
    this.concurrency = this.#options.concurrency;
    this.#group =
      this.concurrency >= GROUP_MIN_CONCURRENCY ? Math.ceil(this.concurrency / 2) : Number.POSITIVE_INFINITY;
    this.#groupLeft = this.#group;
    this.#jobs = new JobRegistry(options.jobs ?? []);
    if (options.conveyor !== undefined) {
      const conveyor = options.conveyor as Partial<Conveyor> | null;
      if (conveyor === null || typeof conveyor !== 'object' || typeof conveyor.prepare !== 'function') {
        throw new ConfigurationError(`Invalid worker conveyor ${quote(conveyor)}: pass a Conveyor instance.`);
      }
      this.#attach(options.conveyor);
    }
  }

  /** The conveyor this worker serves (the default `Queue` unless one was given). */
  get conveyor(): Conveyor {
    if (!this.#conveyor) {
      throw new ConfigurationError(
        'This worker has not started yet: it uses the default Queue once it does.',
      );
    }
    return this.#conveyor;
  }

  /** Starts the fetch loop (and the heartbeat, stalled recovery and retention sweeper). Resolves once running. */
  start(): Promise<void> {
    if (!this.#started) {
      const starting = this.#start();
      this.#started = starting;
      // A start that failed (no driver, storage down) may be tried again.
      starting.catch(() => {
        if (this.#started === starting && !this.#closed) this.#started = undefined;
      });
    }
    return this.#started;
  }

  /**
   * Stops gracefully. The worker stops taking jobs at once and waits up to `timeout` (default `'30s'`, on the
   * conveyor's clock) for running jobs to finish. Jobs still running then have their `ctx.signal` aborted (with
   * an `AttemptAbortedError`, reason `'shutdown'`) and go back to their queue as `pending`, ready at once; that
   * attempt is **not counted** against `maxAttempts`, and whatever the handler does afterwards is ignored. Jobs
   * reserved but not started are handed back the same way. Every timer is cleared. The driver stays open: the
   * conveyor owns it. Calling `close()` again returns the same promise.
   */
  close(options: { timeout?: Duration } = {}): Promise<void> {
    if (!this.#closed) {
      let graceMs: number;
      try {
        graceMs = toMs(options.timeout ?? '30s', 'close timeout');
      } catch (error) {
        return Promise.reject(error);
      }
      this.#closed = this.#close(graceMs);
    }
    return this.#closed;
  }

  /**
   * Reserves up to `concurrency` (minus the slots in use) due jobs and runs them to the end, settled and
   * followed up (events, `failed()` hooks). Returns how many attempts ran: 0 when nothing was due.
   */
  async runOnce(): Promise<number> {
    await this.#ready();
    if (!this.#accepting) return 0;
    const free = this.concurrency - this.#slotsBusy;
    if (free <= 0) return 0;
    this.#leases!.hold();
    try {
      const { jobs } = await this.#reserve(free);
      if (jobs.length === 0) return 0;
      const group = new AttemptGroup(jobs.length);
      this.#runAll(jobs, group);
      await group.done;
      return jobs.length;
    } finally {
      this.#leases!.letGo();
    }
  }

  /**
   * For tests: recovers stalled jobs and runs everything due, again and again, until nothing is due (retries
   * that are due at once run in the same drain). Returns how many attempts ran. A job that keeps releasing
   * itself with no delay would keep it going, as it would keep a worker busy.
   */
  async drain(): Promise<number> {
    await this.#ready();
    let total = 0;
    for (;;) {
      await this.#recoverStalled();
      const ran = await this.runOnce();
      if (ran === 0) return total;
      total += ran;
    }
  }

  /**
   * When the next delayed, retrying or released job of this worker's queues becomes due, as the last reserve
   * saw it (null: none). `conveyor.drain({ advance })` moves a fake clock there.
   */
  get nextDueAt(): number | null {
    return this.#nextDueAt;
  }

  // --- RunnerHost -----------------------------------------------------------------------------------------

  get emitter(): EventEmitter<ConveyorEvents> {
    return this;
  }

  resolveClass(name: string): JobClass {
    return this.#jobs.has(name) ? this.#jobs.resolve(name) : this.conveyor.registry.resolve(name);
  }

  attemptDone(attempt: Attempt): void {
    this.#inflight--;
    if (attempt.holdsSlot) {
      this.#slotsBusy--;
      this.#slotFreed(true);
    }
    if (this.#inflight === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  attemptEnded(attempt: Attempt): void {
    // with pipelined settles the handler's end frees its slot (its settle is still on the way)
    if (attempt.holdsSlot) this.#slotFreed(this.#options.pipelined);
  }

  /** A slot may take a job: start a reserved-ahead one soon (when `fill`), and wake the fetch loop. */
  #slotFreed(fill: boolean): void {
    if (fill && this.#prefetched.length > 0 && !this.#fillScheduled) {
      this.#fillScheduled = true;
      queueMicrotask(this.#fillSoon);
    }
    const waiter = this.#slotWaiter;
    if (waiter) {
      this.#slotWaiter = undefined;
      waiter();
    }
  }

  attemptSettled(attempt: Attempt, state: JobState): void {
    this.#registration!.settled(attempt, state);
  }

  workMayBeReady(): void {
    // A wait that reserves when it returns is not cut short: the driver wakes it for the same work (a push,
    // release or retry wakes every wait), and cutting it would leave its reserve to take jobs for nobody.
    if (this.#wait) {
      if (!this.#waitReserves) this.#wait.abort();
    } else this.#wakePending = true;
  }

  // --- lifecycle ------------------------------------------------------------------------------------------

  #attach(conveyor: Conveyor): void {
    for (const name of this.#jobs.names()) {
      const cls = this.#jobs.resolve(name);
      if (conveyor.registry.has(name) && conveyor.registry.resolve(name) !== cls) {
        throw new ConfigurationError(
          `Two different job classes are registered as ${quote(name)} (one on the worker, one on the conveyor): ` +
            'give one of them another `static jobName`.',
        );
      }
    }
    this.#conveyor = conveyor;
    const runner = new JobRunner(this);
    this.#runner = runner;
    this.#registration = new WorkerRegistration(this, conveyor, runner, this.#options.stalledIntervalMs);
    this.#leases = new LeaseKeeper(
      {
        clock: conveyor.clock,
        driver: () => conveyor.driver,
        leases: () => {
          const leases = runner.leases();
          for (const job of this.#prefetched) leases.push({ jobId: job.id, token: job.token });
          return leases;
        },
        lost: (ids) => {
          // a prefetched job whose lease is gone belongs to someone else now: drop it, settle nothing
          if (this.#prefetched.length > 0)
            this.#prefetched = this.#prefetched.filter((j) => !ids.includes(j.id));
          runner.lost(ids);
        },
        error: (error) => runner.error(error),
      },
      this.#options.heartbeatMs,
      this.#options.leaseMs,
    );
  }

  /** Binds the default `Queue` when no conveyor was given (imported here: queue.ts imports this module). */
  async #ready(): Promise<void> {
    if (!this.#conveyor) {
      const { Queue } = await import('./queue.js');
      if (!this.#conveyor) this.#attach(Queue);
    }
    if (!this.#subscribed) {
      // Only cancel events: with a typed subscription the driver need not send this process every job's
      // completion (Redis: one channel per event type).
      const subscribing = this.conveyor.driver.subscribe(this.#onDriverEvent, CANCEL_EVENTS).then((stop) => {
        this.#unsubscribe = () => void stop().catch(() => {});
      });
      this.#subscribed = subscribing;
      subscribing.catch(() => {
        if (this.#subscribed === subscribing) this.#subscribed = undefined;
      });
    }
    await this.#subscribed;
  }

  async #start(): Promise<void> {
    if (this.#closed)
      throw new ConfigurationError('This worker is closed: create a new Worker to start again.');
    await this.#ready();
    if (this.#options.scheduler) await this.#startScheduler();
    if (this.#closed) return;
    this.#running = true;
    this.#leases!.hold();
    const { clock } = this.conveyor;
    const onError = (error: unknown) => this.#runner!.error(error);
    this.#stalledTask = new PeriodicTask(
      clock,
      this.#options.stalledIntervalMs,
      // one timer for both chores: stalled recovery, and the heartbeat of the worker registry
      () => Promise.all([this.#recoverStalled(), this.#registration!.beat().catch(onError)]),
      onError,
    );
    this.#sweepTask = new PeriodicTask(clock, this.#options.sweepIntervalMs, () => this.#sweep(), onError);
    this.#stalledTask.start(true);
    this.#sweepTask.start(true);
    this.#loop = this.#fetchLoop();
  }

  async #close(graceMs: number): Promise<void> {
    this.#accepting = false;
    this.#running = false;
    const chores = Promise.all([this.#stalledTask?.stop(), this.#sweepTask?.stop()]);
    this.#wait?.abort();
    this.#slotWaiter?.();
    this.#slotWaiter = undefined;
    // The grace period starts now, on the conveyor's clock.
    let graceTimer: ClockTimer | undefined;
    const graceOver =
      graceMs > 0 && this.#conveyor
        ? new Promise<void>((resolve) => {
            graceTimer = this.#conveyor!.clock.setTimeout(resolve, graceMs);
          })
        : Promise.resolve();
    try {
      await this.#started?.catch(() => {});
      await this.#scheduler?.close();
      await this.#loop;
      this.#fill(); // not accepting: prefetched jobs go back to their queue
      if (this.#inflight > 0) await Promise.race([this.#whenIdle(), graceOver]);
      this.#runner?.releaseAll();
      await chores;
      await this.#whenIdle();
      await this.#registration?.stop().catch((error: unknown) => this.#runner!.error(error));
    } finally {
      graceTimer?.cancel();
      await this.#leases?.stop();
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
    }
  }

  /** Starts a scheduler when there is something to schedule: cheap for the many workers that have none. */
  async #startScheduler(): Promise<void> {
    const conveyor = this.conveyor;
    if (conveyor.schedules.defined.length === 0 && (await conveyor.driver.listSchedules()).length === 0)
      return;
    const scheduler = new Scheduler({ conveyor, id: this.id });
    scheduler.on('error', (error) => this.emit('error', error));
    await scheduler.start();
    this.#scheduler = scheduler;
  }

  #whenIdle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  readonly #onDriverEvent = (event: DriverEvent): void => {
    if (event.type !== 'cancel') return;
    const runner = this.#runner!;
    if (runner.active.has(event.jobId)) runner.cancel(event.jobId);
    else if (this.#prefetched.length > 0 && this.#prefetched.some((job) => job.id === event.jobId)) {
      for (const job of this.#prefetched) if (job.id === event.jobId) job.cancelRequested = true;
    } else if (this.#reserving > 0) (this.#lateCancels ??= new Set()).add(event.jobId);
  };

  #sweep(): Promise<number> {
    const conveyor = this.conveyor;
    return sweepRetention(
      conveyor.driver,
      this.queues,
      conveyor.retention,
      () => conveyor.clock.now(),
      () => this.#running,
    );
  }

  // --- fetching -------------------------------------------------------------------------------------------

  async #fetchLoop(): Promise<void> {
    let errorPause = 0;
    let spins = 0;
    const runner = this.#runner!;
    // what a wait that reserved when it returned took (see `#waitForWork`), or the reserve sent with the
    // settles (see `#reserveWithSettles`), and how many it asked for
    let woken: Reservation | undefined;
    while (this.#running) {
      try {
        if (!woken && runner.settlesQueued > 0) {
          // settles go out at the end of this turn: the reserve for the slots they free goes with them, in one
          // driver call, and its jobs come back with their outcomes (taken as a wait's are, below)
          woken = await this.#reserveWithSettles();
          if (!this.#running) break;
        }
        this.#fill();
        const want = woken ? woken.asked : this.#wanted(runner.active.size);
        if (want <= 0) {
          await new Promise<void>((resolve) => (this.#slotWaiter = resolve));
          continue;
        }
        let reserved: ReserveResult;
        if (woken) {
          // taken by the last wait or with the settles, and held since: only how many it found still matters
          reserved = woken.result;
          woken = undefined;
        } else {
          reserved = await this.#reserve(want);
          this.#hold(reserved.jobs);
        }
        errorPause = 0;
        // Fewer than asked: the queues are empty for now, so wait for work rather than ask again.
        if (reserved.jobs.length < want && this.#running) {
          const waited = await this.#waitForWork(reserved.nextAvailableAt);
          woken = waited.reserved;
          // held at once, so a close() that came meanwhile hands them back
          if (woken) this.#hold(woken.result.jobs);
          // A driver whose wait keeps returning at once while reserve hands out nothing (work held back by a
          // limit it does not wait on) would make this loop spin: after a few such rounds, pause a little.
          spins = reserved.jobs.length === 0 && waited.how === 'returned-at-once' ? spins + 1 : 0;
          if (spins >= SPIN_ROUNDS) await this.#spinPause(Math.min(2 ** (spins - SPIN_ROUNDS) * 5, 250));
        }
      } catch (error) {
        this.#runner!.error(error);
        errorPause = Math.min(errorPause === 0 ? 100 : errorPause * 2, MAX_ERROR_PAUSE_MS);
        if (this.#running) await this.#pause(errorPause);
      }
    }
  }

  /**
   * The reserve sent with this turn's settles (`JobRunner.reserveWithSettles`), for the slots wanting jobs when
   * they go; its jobs are held at once. Undefined when none was sent (no slot wanted one).
   *
   * One call instead of a settle and a reserve made a chain at concurrency 1 advance in 0.60-0.75 ms a link
   * instead of 0.82-0.87. At concurrency 50, once the Redis driver wrote such a call at once rather than at the
   * end of the tick, it ran 26.1-28.1k noop jobs/s against 21.6-24.5k for a settle and a reserve as two calls in
   * one write (5 alternated pairs), with 22 instead of 28 µs of worker CPU per job.
   */
  async #reserveWithSettles(): Promise<Reservation | undefined> {
    const runner = this.#runner!;
    let asked = 0;
    let result: ReserveResult | null;
    try {
      result = await runner.reserveWithSettles(() => {
        this.#fill();
        const want = this.#wanted(runner.active.size);
        if (want <= 0 || !this.#running) return null;
        asked = want;
        return this.#reserveStarts(want);
      });
    } finally {
      if (asked > 0) this.#reserving--;
    }
    if (result === null) return undefined;
    const reserved = this.#reserved(result);
    this.#hold(reserved.jobs);
    return { result: reserved, asked };
  }

  /** Jobs reserved for this worker: started on free slots now, the rest when slots free (or handed back). */
  #hold(jobs: ReservedJob[]): void {
    if (jobs.length === 0) return;
    for (const job of jobs) this.#prefetched.push(job);
    this.#fill();
  }

  async #reserve(max: number): Promise<ReserveResult> {
    const request = this.#reserveStarts(max);
    let result: ReserveResult;
    try {
      result = await this.conveyor.driver.reserve(request);
    } finally {
      this.#reserving--;
    }
    return this.#reserved(result);
  }

  /**
   * The request of a reserve about to be sent. Until the caller counts it done (`#reserving--`), cancel events
   * for jobs not known yet are kept for it (see `#reserved`); a wake-up noted before it is spent.
   */
  #reserveStarts(max: number): ReserveRequest {
    this.#reserving++;
    this.#wakePending = false;
    return {
      queues: this.queues,
      max,
      leaseMs: this.#options.leaseMs,
      workerId: this.id,
      token: newId(),
      now: this.conveyor.clock.now(),
    };
  }

  /** Notes a reservation's next due time, and marks its jobs whose cancel arrived while it was on its way. */
  #reserved(result: ReserveResult): ReserveResult {
    this.#nextDueAt = result.nextAvailableAt;
    const late = this.#lateCancels;
    if (late) {
      for (const job of result.jobs) if (late.has(job.id)) job.cancelRequested = true;
      if (this.#reserving === 0) this.#lateCancels = undefined;
    }
    return result;
  }

  /**
   * How many jobs to reserve now: free slots, plus one ahead for each slot whose attempt ended and waits for its
   * settle (see `#prefetched`). Pipelined settles hold `prefetch` more ahead (0 with stored settles), so the
   * next jobs are at hand while the last ones' settles travel (the reserve goes in the same write as those
   * settles, so every settle sent before a reserve is answered by the time its jobs arrive: at most
   * `concurrency + prefetch` jobs running, held or on their way).
   */
  #wanted(running: number): number {
    return this.concurrency + this.#options.prefetch - running - this.#prefetched.length;
  }

  readonly #fillSoon = (): void => {
    this.#fillScheduled = false;
    this.#fill();
  };

  /** Starts prefetched jobs on free slots; once the worker is closing, hands every one of them back. */
  #fill(): void {
    const prefetched = this.#prefetched;
    if (prefetched.length === 0) return;
    if (!this.#accepting) {
      this.#runAll(prefetched.splice(0), null);
      return;
    }
    // A slot frees once its settle is stored; with pipelined settles once its handler ended (what may be on its
    // way meanwhile is bounded by the reserve ahead: see `#wanted`).
    const free = Math.min(
      prefetched.length,
      this.concurrency - (this.#options.pipelined ? this.#runner!.active.size : this.#slotsBusy),
    );
    const count = Math.min(free, this.#groupLeft);
    if (count > 0) {
      this.#groupLeft -= count;
      this.#runAll(count === prefetched.length ? prefetched.splice(0) : prefetched.splice(0, count), null);
    }
    if (this.#groupTimer === undefined && (free > count || this.#groupLeft < this.#group)) {
      // two turns: this group's settles are flushed in the next one, and written at the end of it
      this.#groupTimer = setImmediate(() => {
        this.#groupTimer = setImmediate(this.#nextGroup);
      });
    }
  }

  readonly #nextGroup = (): void => {
    this.#groupTimer = undefined;
    this.#groupLeft = this.#group;
    this.#fill();
  };

  #runAll(jobs: ReservedJob[], group: AttemptGroup | null): void {
    const runner = this.#runner!;
    for (const job of jobs) {
      this.#inflight++;
      this.#slotsBusy++;
      runner.run(job, group, this.#accepting);
    }
  }

  /**
   * Blocks until work may be ready: a push (the driver wakes us), the next delayed job's time, or a settle.
   * Says whether the driver's wait returned at once on its own (not woken by this worker or its clock).
   *
   * On the system clock, when no job is due before the idle wait ends, the wait also reserves, the moment it
   * returns, for the slots free when it began (`driver.waitAndReserve`: Redis runs the reserve right behind its
   * blocking pop, one round trip sooner than a reserve sent after the wake-up); the loop then takes those jobs
   * instead of reserving. A fake clock does not pass with real time, so under one the worker waits, then
   * reserves at the clock's time.
   */
  async #waitForWork(nextAvailableAt: number | null): Promise<Waited> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return { how: 'woken' };
    }
    const conveyor = this.conveyor;
    const controller = new AbortController();
    this.#wait = controller;
    let waitMs = this.#options.idleWaitMs;
    const due = nextAvailableAt === null ? null : Math.max(1, nextAvailableAt - conveyor.clock.now());
    if (due !== null && due < waitMs) waitMs = due;
    const asked = this.#wanted(this.#runner!.active.size);
    const began = performance.now();
    // Only a wait with no due time before its end reserves behind it: a storage's own timeout may be coarse
    // (Redis checks blocking timeouts ten times a second), so a wait for a delayed job or a rate window's end
    // runs on this worker's timer and reserves when it fires.
    if (conveyor.clock === systemClock && asked > 0 && (due === null || due > waitMs)) {
      const request = this.#reserveStarts(asked);
      this.#waitReserves = true;
      let result: ReserveResult | null;
      try {
        result = await conveyor.driver.waitAndReserve(request, waitMs, controller.signal);
      } finally {
        this.#reserving--;
        this.#waitReserves = false;
        if (this.#wait === controller) this.#wait = undefined;
      }
      if (result === null) return { how: 'woken' };
      return {
        how: result.jobs.length === 0 && performance.now() - began < SPIN_MS ? 'returned-at-once' : 'waited',
        reserved: { result: this.#reserved(result), asked },
      };
    }
    let timer: ClockTimer | undefined;
    // On the conveyor's clock, so advancing a FakeClock wakes the worker when a delayed job is due.
    if (due !== null) timer = conveyor.clock.setTimeout(() => controller.abort(), due);
    try {
      await conveyor.driver.waitForWork(this.queues, waitMs, controller.signal);
    } finally {
      timer?.cancel();
      if (this.#wait === controller) this.#wait = undefined;
    }
    if (controller.signal.aborted) return { how: 'woken' };
    return { how: performance.now() - began < SPIN_MS ? 'returned-at-once' : 'waited' };
  }

  /**
   * Breaks a spin (see `#fetchLoop`). Real time on purpose: this bounds CPU use, it is not a semantic delay,
   * and it must not depend on a fake clock being advanced. Ends early on a wake-up or `close()`.
   */
  async #spinPause(ms: number): Promise<void> {
    const controller = new AbortController();
    this.#wait = controller;
    let handle: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      handle = setTimeout(resolve, ms);
      handle.unref?.();
      controller.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearTimeout(handle);
    if (this.#wait === controller) this.#wait = undefined;
  }

  /** Waits `ms` on the conveyor's clock, or until `close()`. */
  async #pause(ms: number): Promise<void> {
    const controller = new AbortController();
    this.#wait = controller;
    let timer: ClockTimer | undefined;
    await new Promise<void>((resolve) => {
      timer = this.conveyor.clock.setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    timer?.cancel();
    if (this.#wait === controller) this.#wait = undefined;
  }

  // --- stalled recovery ----------------------------------------------------------------------------------

  /** Takes over jobs whose lease expired and settles each as a failed attempt with a `StalledError`. */
  async #recoverStalled(): Promise<number> {
    const conveyor = this.conveyor;
    const runner = this.#runner!;
    let total = 0;
    for (let round = 0; round < STALLED_ROUNDS; round++) {
      const jobs = await conveyor.driver.recoverStalled(
        this.queues,
        conveyor.clock.now(),
        this.#options.leaseMs,
        newId(),
        STALLED_BATCH,
      );
      if (jobs.length === 0) break;
      const group = new AttemptGroup(jobs.length);
      for (const job of jobs) {
        this.#inflight++;
        runner.recover(job, group);
      }
      await group.done;
      total += jobs.length;
      if (jobs.length < STALLED_BATCH) break;
    }
    return total;
  }
}
