import { EventEmitter } from 'eventemitter3';
import { BatchHandle } from './batch-handle.js';
import type { BatchItem } from './batch-items.js';
import { ChainHandle } from './chain-handle.js';
import { type Clock, systemClock } from './clock.js';
import { PendingDispatch } from './dispatch.js';
import { Drainer, type DrainOptions } from './drainer.js';
import type {
  Driver,
  DriverEvent,
  JobRecord,
  ListFilter,
  NewJob,
  QueueSettings,
  StateCounts,
  Unsubscribe,
} from './driver.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import type { ConveyorEvents, JobEventInfo } from './events.js';
import { decodeGroupOptions } from './group-options.js';
import { JobHandle } from './handle.js';
import { checkHealth, type Health } from './health.js';
import { newId } from './ids.js';
import { Job, type JobClass, type ResultOf } from './job.js';
import {
  type DispatchOptions,
  resolveJobOptions,
  type StoredJobOptions,
  usesClassOptions,
  validateQueueName,
} from './job-options.js';
import { type JobView, toJobView } from './job-view.js';
import { type MetricsOptions, resolveMetricsOptions } from './metrics/options.js';
import { type Metrics, type MetricsQuery, readMetrics } from './metrics/read.js';
import { MetricsRecorder } from './metrics/recorder.js';
import { PendingBatch } from './pending-batch.js';
import { PendingChain } from './pending-chain.js';
import { clearQueue } from './queue-clear.js';
import { changeQueueSettings, limitChange, pausedChange, type QueueLimitOptions } from './queue-limits.js';
import { type ResolvedRetention, type RetentionOptions, resolveRetention } from './retention.js';
import type { ScheduledJob } from './scheduler/scheduled-job.js';
import { Schedules } from './scheduler/schedules.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  encodePayload,
  encodeValue,
  JobRegistry,
  jobNameOf,
} from './serializer.js';
import { resolveUnique } from './unique.js';
import { Worker, type WorkerOptions } from './worker.js';
import { listWorkers, type WorkerInfo } from './worker-registry.js';

export interface ConveyorOptions {
  /** The storage. Without one, the first call that needs it throws a `ConfigurationError`. */
  driver?: Driver;
  /** Named drivers, selected with `connection(name)` or `.onConnection(name)`. */
  connections?: Record<string, Driver>;
  /** Time source for every `now` core gives a driver. Default: the system clock. */
  clock?: Clock;
  /** Job classes this instance may run (`drain()`, workers that list no `jobs`). */
  jobs?: JobClass[];
  /** Largest encoded payload. Default 512 KiB. */
  maxPayloadBytes?: number;
  /** Retention of finished jobs. Default: completed 1 h / 1,000 per queue; failed 7 d / 10,000 per queue. */
  retention?: RetentionOptions;
  /** Per-minute metrics (`metrics()`): kept `'1d'`, sent every `'5s'` by default; `false` records none. */
  metrics?: MetricsOptions | false;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/**
 * One configured Conveyor: a driver, a clock, the job classes it knows and its events. `Queue` is the default
 * instance; create your own for dependency injection and tests.
 */
export class Conveyor extends EventEmitter<ConveyorEvents> {
  readonly clock: Clock;
  readonly registry: JobRegistry;
  readonly retention: ResolvedRetention;
  readonly maxPayloadBytes: number;
  /** Schedules: defined in code with `schedule(job)`, managed at run time with `schedules.create/list/pause/...`. */
  readonly schedules: Schedules = new Schedules(this);
  #driver: Driver | undefined;
  readonly #connections = new Map<string, Conveyor>();
  #subscription: Promise<Unsubscribe> | undefined;
  readonly #driverListeners = new Set<(event: DriverEvent) => void>();
  #drainer: Drainer | undefined;
  /** Stops the driver subscription that turns finished-batch events into `batch:finished`, while one runs. */
  #batchEvents: Promise<() => void> | undefined;
  /** Batches `batch:finished` was emitted for (the most recent ones), so each is emitted once per process. */
  readonly #finishedBatches = new Set<string>();
  readonly #workers = new Set<Worker>();
  /** Told about every job `prepare` encodes, while `@conveyor/core/testing`'s fake listens. */
  #prepareListener: ((job: Job, record: NewJob) => void) | undefined;
  /** @internal Sums this process's figures per (queue, minute) for `metrics()`; undefined when metrics are off. */
  readonly metricsRecorder: MetricsRecorder | undefined;

  constructor(options: ConveyorOptions = {}) {
    super();
    this.#driver = options.driver;
    this.clock = options.clock ?? systemClock;
    this.registry = new JobRegistry(options.jobs ?? []);
    this.retention = resolveRetention(options.retention);
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const metrics = resolveMetricsOptions(options.metrics);
    if (metrics) {
      this.metricsRecorder = new MetricsRecorder({
        driver: () => this.driver,
        ...metrics,
        error: (error) => this.emit('error', error instanceof Error ? error : new Error(String(error))),
      });
    }
    for (const [name, driver] of Object.entries(options.connections ?? {})) this.use(name, driver);
  }

  /** The storage driver; throws a `ConfigurationError` that says how to set one when there is none. */
  get driver(): Driver {
    if (!this.#driver) {
      throw new ConfigurationError(
        'No queue driver is configured: call Queue.use(new MemoryDriver()) (from @conveyor/memory-driver) or ' +
          'Queue.use(new RedisDriver({ url })) (from @conveyor/redis-driver), or pass { driver } to new Conveyor().',
      );
    }
    return this.#driver;
  }

  get hasDriver(): boolean {
    return this.#driver !== undefined;
  }

  /** Sets the default driver, or (with a name) a named connection. */
  use(driver: Driver): this;
  use(name: string, driver: Driver): this;
  use(nameOrDriver: string | Driver, maybeDriver?: Driver): this {
    if (typeof nameOrDriver === 'string') {
      if (!maybeDriver)
        throw new ConfigurationError(
          `Queue.use(${quote(nameOrDriver)}) needs a driver as its second argument.`,
        );
      this.#connections.set(
        nameOrDriver,
        new Conveyor({
          driver: maybeDriver,
          clock: this.clock,
          jobs: this.registry.names().map((n) => this.registry.resolve(n)),
        }),
      );
      return this;
    }
    this.#driver = nameOrDriver;
    this.#subscription = undefined;
    if (this.#batchEvents) {
      void this.#batchEvents.then((stop) => stop());
      this.#batchEvents = undefined;
      this.#watchBatchEvents();
    }
    return this;
  }

  /**
   * @internal The seam `@conveyor/core/testing` fakes through (core never imports testing code). Replaces the
   * default driver, possibly with none, and returns the previous one so it can be put back. Unlike `use()`, it
   * keeps the driver event subscription: a wrapping driver (the fake) subscribes through the one it wraps.
   */
  swapDriver(driver: Driver | undefined): Driver | undefined {
    const previous = this.#driver;
    this.#driver = driver;
    return previous;
  }

  /**
   * @internal Sets (or clears, with undefined) the one listener `prepare` calls with each job and its stored
   * form, so the testing fake can rebuild recorded jobs with their own class. Returns the previous listener.
   */
  onPrepare(
    listener: ((job: Job, record: NewJob) => void) | undefined,
  ): ((job: Job, record: NewJob) => void) | undefined {
    const previous = this.#prepareListener;
    this.#prepareListener = listener;
    return previous;
  }

  /** @internal The names of the connections registered with `use(name, driver)`. */
  connectionNames(): string[] {
    return [...this.#connections.keys()];
  }

  /** The instance for a named connection. */
  connection(name: string): Conveyor {
    const found = this.#connections.get(name);
    if (!found) {
      const known = [...this.#connections.keys()];
      throw new ConfigurationError(
        `Unknown connection ${quote(name)}: register it with Queue.use(${quote(name)}, driver)` +
          (known.length ? ` (known: ${known.join(', ')}).` : '.'),
      );
    }
    return found;
  }

  /** @internal Used by `PendingDispatch`. */
  async connectionFor(name: string | undefined): Promise<Conveyor> {
    return name === undefined ? this : this.connection(name);
  }

  /** Registers job classes this instance may run. */
  register(...classes: JobClass[]): this {
    for (const cls of classes) this.registry.register(cls);
    return this;
  }

  /** Starts a dispatch; `await` it (or call `.dispatch()`) to send. */
  dispatch<J extends Job>(job: J): PendingDispatch<J> {
    assertJob(job);
    return new PendingDispatch(this, job);
  }

  /**
   * Defines a recurring job in code on this instance (`Schedule.job` does the same on `Queue`); a scheduler saves
   * it when it starts: `conveyor.schedule(new DailyReport()).dailyAt('02:00')`.
   */
  schedule<J extends Job>(job: J): ScheduledJob<J> {
    return this.schedules.define(job);
  }

  /**
   * Starts a chain on this instance (`Chain.of` does the same on `Queue`): each job runs only after the
   * previous one completed. `await` it or call `.dispatch()` to send it.
   */
  chain(jobs: readonly Job[]): PendingChain {
    return new PendingChain(this, jobs);
  }

  /** The chain with this id, or null if the driver does not know it. */
  async findChain(id: string): Promise<ChainHandle | null> {
    return (await this.driver.getChain(id)) ? new ChainHandle(this, id) : null;
  }

  /**
   * Starts a batch on this instance (`Batch.of` does the same on `Queue`): jobs that run in parallel, arrays of
   * jobs as chains inside it. Call `.dispatch()` to send it.
   */
  batch(items: readonly BatchItem[]): PendingBatch {
    return new PendingBatch(this, items);
  }

  /** The batch with this id, or null if the driver does not know it. */
  async findBatch(id: string): Promise<BatchHandle | null> {
    const record = await this.driver.getBatch(id);
    return record ? new BatchHandle(this, id, decodeGroupOptions(record.options)) : null;
  }

  /**
   * @internal Prepares the stored form of a job. `extra` adds core-only options (a callback's `callbackFor`).
   */
  prepare(
    job: Job,
    options: DispatchOptions,
    batchId: string | null = null,
    extra: Pick<StoredJobOptions, 'callbackFor'> = {},
  ): NewJob {
    return this.#prepare(job, options, batchId, extra, null);
  }

  /**
   * @internal A `prepare` for many jobs sent with the same builder options and batch (a batch's members): the
   * options of a job that sets none on its instance depend only on its class and `options`, so they are resolved
   * and encoded once per class for the preparer's life (use one preparer per dispatch: statics may change between
   * dispatches).
   */
  preparer(options: DispatchOptions, batchId: string | null): (job: Job) => NewJob {
    // middleware given to `.through()` may resolve keys from each job: nothing is shared then
    const shared = options.through === undefined ? new Map<Function, SharedJobFields>() : null;
    return (job) => this.#prepare(job, options, batchId, {}, shared);
  }

  #prepare(
    job: Job,
    options: DispatchOptions,
    batchId: string | null,
    extra: Pick<StoredJobOptions, 'callbackFor'>,
    shared: Map<Function, SharedJobFields> | null,
  ): NewJob {
    assertJob(job);
    const cls = job.constructor;
    const share = shared !== null && usesClassOptions(job);
    let fields = share ? shared.get(cls) : undefined;
    if (fields === undefined) {
      const resolved = resolveJobOptions(job, options, this.clock.now());
      if (extra.callbackFor) resolved.stored.callbackFor = extra.callbackFor;
      fields = {
        name: jobNameOf(cls),
        queue: resolved.queue,
        options: encodeValue(resolved.stored, 'job options', this.maxPayloadBytes),
        priority: resolved.priority,
        maxAttempts: resolved.maxAttempts,
        delayMs: resolved.delayMs,
      };
      if (share) shared.set(cls, fields);
    }
    const record: NewJob = {
      id: newId(),
      name: fields.name,
      queue: fields.queue,
      payload: encodePayload(job, this.maxPayloadBytes),
      options: fields.options,
      priority: fields.priority,
      maxAttempts: fields.maxAttempts,
      delayMs: fields.delayMs,
      unique: resolveUnique(job, options.unique),
      batchId,
    };
    this.#prepareListener?.(job, record);
    return record;
  }

  /** @internal Stores one job and returns its handle. */
  async send<J extends Job>(job: J, options: DispatchOptions): Promise<JobHandle<ResultOf<J>>> {
    const record = this.prepare(job, options);
    const driver = this.driver;
    const result = await driver.push({ jobs: [record] }, this.clock.now());
    const outcome = result.jobs[0]!;
    if (outcome.outcome === 'added') {
      // the event object only when someone counts or listens
      if (this.metricsRecorder || this.listenerCount('dispatched') > 0)
        this.emit('dispatched', { id: outcome.id, name: record.name, queue: record.queue, attempt: 0 });
    } else {
      this.emitDuplicate(record, outcome.id);
    }
    return new JobHandle<ResultOf<J>>(this, outcome.id, outcome.outcome === 'duplicate');
  }

  /** @internal Emits `duplicate` for a job a uniqueness lock turned away (`holderId` holds the lock). */
  emitDuplicate(record: NewJob, holderId: string): void {
    if (record.unique === null || this.listenerCount('duplicate') === 0) return;
    this.emit('duplicate', { id: holderId, name: record.name, queue: record.queue, key: record.unique.key });
  }

  /** A handle for a job id (whether or not it exists). */
  job<TResult = unknown>(id: string): JobHandle<TResult> {
    return new JobHandle<TResult>(this, id);
  }

  /** A stored job, decoded, or null. */
  async getJob(id: string): Promise<JobView | null> {
    const record = await this.driver.get(id);
    return record ? toJobView(record) : null;
  }

  /** Jobs, newest first, filtered by queue, status and name (default limit 100). */
  async list(
    filter: {
      queue?: string;
      status?: JobView['state'];
      name?: string;
      limit?: number;
      offset?: number;
    } = {},
  ) {
    const driverFilter: ListFilter = {};
    if (filter.queue !== undefined) driverFilter.queue = filter.queue;
    if (filter.status !== undefined) driverFilter.state = filter.status;
    if (filter.name !== undefined) driverFilter.name = filter.name;
    if (filter.limit !== undefined) driverFilter.limit = filter.limit;
    if (filter.offset !== undefined) driverFilter.offset = filter.offset;
    return (await this.driver.list(driverFilter)).map(toJobView);
  }

  /** Counts per state, for one queue or all. */
  counts(queue?: string): Promise<StateCounts> {
    return this.driver.counts(queue);
  }

  queues(): Promise<string[]> {
    return this.driver.queues();
  }

  /** Puts failed jobs back on their queue with a fresh set of attempts; returns the ids moved. */
  retry(ids: string | string[] | 'all', options: { queue?: string } = {}): Promise<string[]> {
    const now = this.clock.now();
    if (ids === 'all') return this.driver.retryFailed(options.queue ? { queue: options.queue } : {}, now);
    return this.driver.retryFailed({ ids: Array.isArray(ids) ? ids : [ids] }, now);
  }

  /** Deletes a finished job (typically a failed one). */
  async forget(id: string): Promise<boolean> {
    return (await this.driver.remove([id])) > 0;
  }

  /** Deletes every failed job of a queue (or of every queue); returns how many. */
  async flush(queue?: string): Promise<number> {
    const queues = queue ? [queue] : await this.driver.queues();
    let removed = 0;
    for (const q of queues) {
      removed += await this.driver.clean({
        queue: q,
        state: 'failed',
        finishedBefore: Number.MAX_SAFE_INTEGER,
        keep: 0,
        limit: Number.MAX_SAFE_INTEGER,
      });
    }
    return removed;
  }

  /**
   * Limits a queue for every worker sharing this storage, like BullMQ's global limits: at most `limit` jobs
   * start per window of `per`, and at most `concurrency` run at once, whatever the number of workers and their
   * own concurrency. Merged with the queue's stored settings (an option left out keeps its value; `null`
   * removes a limit). Returns the settings now stored. `Queue.limit('emails', { limit: 100, per: '1m', concurrency: 5 })`
   */
  limit(queue: string, options: QueueLimitOptions): Promise<QueueSettings> {
    return changeQueueSettings(this.driver, queue, limitChange(options));
  }

  /**
   * Stops every worker sharing this storage from taking jobs of `queue` (running jobs finish; jobs can still be
   * dispatched). `resume()` undoes it. Returns the settings now stored.
   */
  pause(queue: string): Promise<QueueSettings> {
    return changeQueueSettings(this.driver, queue, pausedChange(true));
  }

  /** Lets workers take jobs from a paused queue again. Returns the settings now stored. */
  resume(queue: string): Promise<QueueSettings> {
    return changeQueueSettings(this.driver, queue, pausedChange(false));
  }

  /** A queue's stored settings: paused, concurrency cap, rate limit (`{ limit, windowMs }`). */
  queueSettings(queue: string): Promise<QueueSettings> {
    return this.driver.getQueueSettings(validateQueueName(queue));
  }

  /**
   * Removes every waiting job (pending, delayed, retrying) of a queue and returns how many; running and finished
   * jobs stay. Page by page, not one atomic step: see `docs/cli.md` (`conveyor queue clear`).
   */
  clear(queue: string): Promise<number> {
    return clearQueue(this.driver, validateQueueName(queue));
  }

  /**
   * The live workers of every process sharing this storage, from their heartbeats: id, host, pid, queues,
   * concurrency, active jobs, processed/failed counts, start time, and `healthy` (false once a worker missed 3
   * heartbeats; its record disappears a while later, or at once on a clean `close()`).
   */
  workers(): Promise<WorkerInfo[]> {
    return listWorkers(this.driver, this.clock.now());
  }

  /** Storage reachable (within `timeout`, default 5 s), workers healthy or not, queue depths; never throws. */
  health(options: { timeout?: Duration } = {}): Promise<Health> {
    const timeoutMs = toMs(options.timeout ?? '5s', 'health timeout');
    return checkHealth(
      this.driver,
      () => this.clock.now(),
      () => this.workers(),
      timeoutMs,
    );
  }

  /**
   * Figures since `since` (default an hour ago) for one queue or all, from per-minute buckets: submitted,
   * completed, failed, retried, dead, run time avg/p50/p95/p99, success rate, jobs/s, queue depth, uptime, per
   * queue and per job name. Figures reach storage every few seconds (`flushMetrics()` sends them at once).
   */
  async metrics(query: MetricsQuery = {}): Promise<Metrics> {
    const now = this.clock.now();
    return readMetrics(this.driver, query, now, await listWorkers(this.driver, now));
  }

  /** Sends the figures this process summed so far (done every few seconds, and by `close()`). */
  async flushMetrics(): Promise<void> {
    await this.metricsRecorder?.flush();
  }

  /** Cancels a job; returns its state afterwards (null if unknown). */
  async cancel(id: string): Promise<JobRecord['state'] | null> {
    return (await this.driver.cancel(id, this.clock.now()))?.state ?? null;
  }

  /** @internal Listens to the driver's cross-process events through one shared subscription. */
  async onDriverEvent(listener: (event: DriverEvent) => void): Promise<() => void> {
    this.#driverListeners.add(listener);
    const driver = this.driver;
    this.#subscription ??= driver.subscribe((event) => {
      for (const l of this.#driverListeners) l(event);
    });
    await this.#subscription;
    return () => void this.#driverListeners.delete(listener);
  }

  /** @internal Resolves with the finished record, or null after `timeoutMs` (on this instance's clock). */
  async waitForFinish(id: string, timeoutMs: number | undefined): Promise<JobRecord | null> {
    let wake: () => void = () => {};
    const woken = () => new Promise<void>((resolve) => (wake = resolve));
    let next = woken();
    const stop = await this.onDriverEvent((event) => {
      if (event.type === 'job' && event.jobId === id) wake();
    });
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : this.clock.setTimeout(() => {
            timedOut = true;
            wake();
          }, timeoutMs);
    try {
      for (;;) {
        const record = await this.driver.get(id);
        if (!record) throw new ConfigurationError(`Cannot wait for job ${quote(id)}: no such job.`);
        if (FINISHED.has(record.state)) return record;
        if (timedOut) return null;
        await next;
        next = woken();
      }
    } finally {
      timer?.cancel();
      stop();
    }
  }

  /** A worker on this instance (`start()` it). */
  worker(options: Omit<WorkerOptions, 'conveyor'> = {}): Worker {
    const worker = new Worker({ ...options, conveyor: this });
    this.#workers.add(worker);
    return worker;
  }

  /**
   * Runs everything that is due on every queue with this instance's registered jobs, until nothing is due,
   * using the same worker code as production (jobs that others enqueue meanwhile, such as the next link of a
   * chain or a batch's `then` job, run in the same drain, whatever their queue). Returns how many attempts ran.
   *
   * Time moves only if asked. Without `advance`, a delayed job or a retry waiting out its backoff stays put:
   * advance the `FakeClock` and drain again. With `advance` (this instance's clock must be a `FakeClock`), the
   * drain also moves the clock to each next due job in turn (a delay ending, a backoff over, a released job)
   * and runs it, until nothing is left (`advance: true`), or until `advance` from now (a duration such as
   * `'1h'`: the clock then ends exactly there, as with `clock.advance('1h')` while a worker runs).
   */
  drain(options: DrainOptions = {}): Promise<number> {
    this.#drainer ??= new Drainer(this);
    return this.#drainer.drain(options);
  }

  // --- `batch:finished`: emitted once per batch and process, from the driver's events, for whoever listens.

  override on<T extends EventEmitter.EventNames<ConveyorEvents>>(
    event: T,
    fn: EventEmitter.EventListener<ConveyorEvents, T>,
    context?: unknown,
  ): this {
    if (event === 'batch:finished') this.#watchBatchEvents();
    return super.on(event, fn, context);
  }

  override addListener<T extends EventEmitter.EventNames<ConveyorEvents>>(
    event: T,
    fn: EventEmitter.EventListener<ConveyorEvents, T>,
    context?: unknown,
  ): this {
    return this.on(event, fn, context);
  }

  override once<T extends EventEmitter.EventNames<ConveyorEvents>>(
    event: T,
    fn: EventEmitter.EventListener<ConveyorEvents, T>,
    context?: unknown,
  ): this {
    if (event === 'batch:finished') this.#watchBatchEvents();
    return super.once(event, fn, context);
  }

  override emit<T extends EventEmitter.EventNames<ConveyorEvents>>(
    event: T,
    ...args: EventEmitter.EventArgs<ConveyorEvents, T>
  ): boolean {
    if (event === 'dispatched' && this.metricsRecorder) {
      // Every stored job is counted as submitted, in the minute it was dispatched.
      const job = args[0] as JobEventInfo;
      this.metricsRecorder.count(job.queue, job.name, 'submitted', this.clock.now());
    } else if (event === 'batch:finished') {
      // A worker of this process and the driver's event may both report the same batch: emit it once.
      const { id } = args[0] as { id: string };
      if (this.#finishedBatches.has(id)) return false;
      this.#finishedBatches.add(id);
      if (this.#finishedBatches.size > 10_000) {
        this.#finishedBatches.delete(this.#finishedBatches.values().next().value!);
      }
    }
    return super.emit(event, ...args);
  }

  /**
   * @internal Resolves once the driver subscription behind `batch:finished` listeners is active (at once when
   * there is none), so a batch dispatched after a listener was added cannot finish before it is watched.
   */
  async batchEventsReady(): Promise<void> {
    await this.#batchEvents?.catch(() => undefined);
  }

  /** Subscribes (once) to the driver's batch events; with no driver yet, `use(driver)` does it. */
  #watchBatchEvents(): void {
    if (this.#batchEvents || !this.#driver) return;
    const watch = this.onDriverEvent((event) => {
      if (event.type === 'batch' && event.finished && this.listenerCount('batch:finished') > 0) {
        this.emit('batch:finished', { id: event.batchId });
      }
    });
    this.#batchEvents = watch;
    watch.catch((error: unknown) => {
      if (this.#batchEvents === watch) this.#batchEvents = undefined;
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
    });
  }

  /** @internal Counts stored jobs as submitted when no `dispatched` event was emitted for them (nobody listened). */
  countDispatched(jobs: readonly NewJob[]): void {
    const recorder = this.metricsRecorder;
    if (!recorder) return;
    const now = this.clock.now();
    for (const job of jobs) recorder.count(job.queue, job.name, 'submitted', now);
  }

  /** Closes workers made by `worker()` or `drain()`, the event subscription, and every driver. */
  async close(): Promise<void> {
    this.#batchEvents = undefined;
    await this.#drainer?.close();
    this.#drainer = undefined;
    await Promise.all([...this.#workers].map((w) => w.close()));
    this.#workers.clear();
    if (this.#driver) await this.metricsRecorder?.close().catch(() => {});
    const subscription = this.#subscription;
    this.#subscription = undefined;
    if (subscription) await (await subscription)().catch(() => {});
    await Promise.all([...this.#connections.values()].map((c) => c.close()));
    await this.#driver?.close();
  }
}

/** What the jobs of one class share in a `preparer`: everything but the id, payload and uniqueness. */
type SharedJobFields = Pick<NewJob, 'name' | 'queue' | 'options' | 'priority' | 'maxAttempts' | 'delayMs'>;

function assertJob(job: unknown): asserts job is Job {
  if (!(job instanceof Job)) {
    throw new TypeError(
      `Cannot dispatch ${quote(job)}: expected an instance of a class that extends Job (class SendEmail extends Job { handle() {...} }).`,
    );
  }
}
