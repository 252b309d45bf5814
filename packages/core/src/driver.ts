/**
 * The storage contract: the only module a driver imports from `@conveyor/core` (`@conveyor/core/driver`).
 *
 * Rules every driver keeps (the conformance suite in `test/conformance` proves them):
 * - Methods are queue transitions. Each one is atomic: a driver applies all of its reads and writes as one
 *   step (one Lua script, one SQL transaction, or synchronous code between two `await`s in memory). Where a
 *   method takes many items, each item is atomic on its own unless the doc says otherwise.
 * - Core supplies every `now`, id and lease token. A driver never reads a clock for semantics and never makes
 *   a random value, so a fake clock drives the memory driver exactly as real time drives Redis. (A driver may
 *   use real time only to bound how long it blocks, as in `waitForWork`, and to measure how long a
 *   `waitAndReserve` waited, which its contract adds to `now`.)
 * - `payload`, `options`, `result` and `progress` are opaque strings that core encodes; a driver stores and
 *   returns them unchanged and never re-encodes them in a transition.
 * - Expected outcomes are results, not exceptions: a duplicate push returns `outcome: 'duplicate'`; a settle
 *   whose lease was lost returns `ok: false`. Drivers throw only for faults (connection lost, corrupt data).
 * - All policy stays in core: backoff maths, option resolution, what a callback is. A driver follows the
 *   declarative data it was given (delays in ms, `allowFailures`, `unique.until`).
 */

/** Every state a job can be in. `retrying` is a failed attempt waiting out its backoff. */
export type JobState =
  | 'pending'
  | 'delayed'
  | 'processing'
  | 'retrying'
  | 'completed'
  | 'failed'
  | 'cancelled';

export const JOB_STATES: readonly JobState[] = [
  'pending',
  'delayed',
  'processing',
  'retrying',
  'completed',
  'failed',
  'cancelled',
];

/** States a job never leaves on its own (only `retryFailed` moves a `failed` job back). */
export const FINISHED_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

/** One entry of a job's error history. */
export interface JobErrorRecord {
  /** Error class name, e.g. `TimeoutError`. */
  name: string;
  message: string;
  stack?: string;
  /** The attempt (1-based) that produced it. */
  attempt: number;
  /** When it happened (ms since epoch). */
  at: number;
}

/** A uniqueness lock declared by a job. The lock's owner is the job id. */
export interface UniqueSpec {
  key: string;
  /** Lock TTL in ms (bounds a lock whose job vanished); `null` means no expiry. */
  ttlMs: number | null;
  /** `started`: released when a worker reserves the job. `completed`: released when it finishes (any way). */
  until: 'started' | 'completed';
}

/**
 * A job as core hands it to `push`: complete except for the fields the driver fills in (state, availableAt,
 * attempts, timestamps). `delayMs` is relative to the moment the driver enqueues the job, which for a chain
 * link is when the previous link completes.
 */
export interface NewJob {
  id: string;
  name: string;
  queue: string;
  payload: string;
  /** Core's own options (timeout, backoff, meta, ...), opaque to the driver. */
  options: string;
  /** 1 (low) .. 4 (critical); higher runs first. */
  priority: number;
  maxAttempts: number;
  delayMs: number;
  unique: UniqueSpec | null;
  batchId: string | null;
}

/** A stored job. */
export interface JobRecord {
  id: string;
  name: string;
  queue: string;
  payload: string;
  options: string;
  state: JobState;
  priority: number;
  /** Attempts started so far (a reservation counts one; a `released` settle gives it back). */
  attempts: number;
  maxAttempts: number;
  createdAt: number;
  /** When the job is (or was) ready to run. Order within a queue: priority desc, availableAt asc, seq asc. */
  availableAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  progress: string | null;
  result: string | null;
  errors: JobErrorRecord[];
  batchId: string | null;
  chainId: string | null;
  /** Position of this job in its chain (0-based), or null. */
  chainIndex: number | null;
  uniqueKey: string | null;
  /** Set while processing. */
  workerId: string | null;
  leaseExpiresAt: number | null;
  /** True when `cancel` was asked while the job was processing; the worker settles it as cancelled. */
  cancelRequested: boolean;
}

/** A job handed to a worker, with the lease token every later call about it must carry. */
export interface ReservedJob extends JobRecord {
  token: string;
}

export interface Lease {
  jobId: string;
  token: string;
}

/**
 * A chain: links run one after another. The driver enqueues `links[0]` at push time and keeps the rest; when
 * link i completes, the same settle enqueues link i+1. When a link fails finally or is cancelled, the same
 * settle stores every remaining link as a `cancelled` job (so each can be looked up) and enqueues `catch`
 * (only on failure, not on cancel).
 */
export interface NewChain {
  id: string;
  links: NewJob[];
  catch: NewJob[];
  /** Core's own chain data (name, ...), opaque to the driver. */
  options: string;
  batchId: string | null;
}

export type ChainState = 'running' | 'completed' | 'failed' | 'cancelled';

export interface ChainRecord {
  id: string;
  state: ChainState;
  /** Ids of every link in order, enqueued or not. */
  jobIds: string[];
  /** Index of the link running or next to run. */
  position: number;
  batchId: string | null;
  options: string;
  createdAt: number;
  finishedAt: number | null;
}

/**
 * A batch. `total` counts every job and every chain link in it. Counts come from a per-job outcome record,
 * so a job that is settled twice (re-delivery) counts once, and a failed job retried later that completes
 * moves from `failed` to `processed`.
 *
 * Thresholds, each crossed at most once, each enqueuing its stored callback jobs in the settle that crosses it:
 * - `then`: processed === total (every job completed);
 * - `catch`: the first final failure;
 * - `finally`: processed + failed + cancelled === total (every job settled).
 * An empty batch crosses `then` and `finally` at push. Without `allowFailures`, the first final failure also
 * cancels the batch: every member not yet started is stored as `cancelled` in that same step, and later links
 * of its chains are cancelled when they would have been enqueued.
 */
export interface NewBatch {
  id: string;
  allowFailures: boolean;
  then: NewJob[];
  catch: NewJob[];
  finally: NewJob[];
  /** Core's own batch data (name, ...), opaque to the driver. */
  options: string;
}

export interface BatchRecord {
  id: string;
  options: string;
  allowFailures: boolean;
  total: number;
  /** Completed members. */
  processed: number;
  failed: number;
  cancelled: number;
  /** Set when the batch was cancelled (by `cancelBatch` or by a failure without `allowFailures`). */
  cancelledAt: number | null;
  createdAt: number;
  /** When `finally` was crossed. */
  finishedAt: number | null;
  thenFired: boolean;
  catchFired: boolean;
  finallyFired: boolean;
  /** Ids of failed members. */
  failedJobIds: string[];
}

export interface PushInput {
  jobs?: NewJob[];
  chains?: NewChain[];
  /** Creates a batch; members carry its id in `batchId`. */
  batch?: NewBatch;
}

export type PushOutcome =
  | { outcome: 'added'; id: string }
  /** A uniqueness lock turned the job away; `id` is the holder's id. */
  | { outcome: 'duplicate'; id: string };

export interface PushResult {
  /** One per `input.jobs`, in order. */
  jobs: PushOutcome[];
  /** One per `input.chains`, in order: the outcome of its first link. */
  chains: PushOutcome[];
}

export interface ReserveRequest {
  /** Strict order: all ready jobs of queues[0] go before any of queues[1]. */
  queues: string[];
  max: number;
  leaseMs: number;
  workerId: string;
  /** Given to every job of this reservation; fences out any earlier holder. */
  token: string;
  now: number;
}

export interface ReserveResult {
  jobs: ReservedJob[];
  /**
   * The earliest `availableAt` after `now` among delayed and retrying jobs of these queues, or null: core
   * uses it to sleep exactly until the next job is due.
   */
  nextAvailableAt: number | null;
}

export type SettleOutcome =
  | { type: 'completed'; result: string | null }
  /** A failed attempt with attempts left: waits until `availableAt` in state `retrying` (or pending if due). */
  | { type: 'retry'; availableAt: number; error: JobErrorRecord }
  /** The final failure: the dead-letter state. */
  | { type: 'failed'; error: JobErrorRecord }
  /** Back to the queue without counting the attempt (`ctx.release`, middleware, graceful shutdown). */
  | { type: 'released'; availableAt: number }
  | { type: 'cancelled' };

export interface SettleRequest {
  jobId: string;
  token: string;
  outcome: SettleOutcome;
  /**
   * The queue the job was reserved from, when the caller has it (a worker always does): a driver that files jobs
   * by queue finds the job there without a lookup. A settle that names another queue than the job's is stale
   * (`ok: false`) and changes nothing.
   */
  queue?: string;
}

/** What a batch looks like after a settle, and which thresholds that settle crossed. */
export interface BatchChange {
  batch: BatchRecord;
  crossed: { then: boolean; catch: boolean; finally: boolean };
}

export type SettleResult =
  /** The lease was stale (expired and taken over, or the job was removed): nothing changed. */
  { ok: false } | { ok: true; state: JobState; batch: BatchChange | null };

export interface CancelResult {
  /** The job's state after the call: `cancelled`, or `processing` with `cancelRequested`, or a finished state. */
  state: JobState;
  batch: BatchChange | null;
}

export interface ListFilter {
  queue?: string;
  state?: JobState;
  name?: string;
  /** Default 100. */
  limit?: number;
  offset?: number;
}

export type StateCounts = Record<JobState, number>;

export interface RetryFailedSelector {
  /** Specific jobs; those not in `failed` are ignored. */
  ids?: string[];
  /** Every failed job of this queue (or of every queue when neither field is given). */
  queue?: string;
}

export interface CleanRequest {
  queue: string;
  state: 'completed' | 'failed' | 'cancelled';
  /** Remove jobs finished before this time... */
  finishedBefore: number;
  /** ...and the oldest beyond this many newest. */
  keep: number;
  /** At most this many removals in one call. */
  limit: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Hits counted in the current window (including this one when allowed). */
  count: number;
  /** When the window frees a slot; set when not allowed. */
  retryAt: number | null;
}

export interface ScheduleRecord {
  name: string;
  /** Core's encoded schedule (cron, timezone, job, options), opaque to the driver. */
  definition: string;
  paused: boolean;
  /** The next occurrence core computed, for listing. */
  nextRunAt: number | null;
  /** The last occurrence claimed. */
  lastRunAt: number | null;
}

/** Events a driver delivers to subscribers in every process (Redis: pub/sub; memory: in-process). */
export type DriverEvent =
  | { type: 'job'; jobId: string; queue: string; state: JobState }
  | { type: 'progress'; jobId: string; queue: string; progress: string }
  /** A processing job was asked to cancel: its worker aborts `ctx.signal` and settles it as cancelled. */
  | { type: 'cancel'; jobId: string; queue: string }
  | { type: 'batch'; batchId: string; finished: boolean };

/** Every `DriverEvent` type. */
export const DRIVER_EVENT_TYPES: ReadonlyArray<DriverEvent['type']> = ['job', 'progress', 'cancel', 'batch'];

export type Unsubscribe = () => Promise<void>;

/**
 * Settings of one queue, shared by every worker through the driver (`Queue.limit`, `queue pause`).
 * `reserve` obeys them: a paused queue hands out nothing; `concurrency` caps how many of the queue's jobs are
 * processing at once across all workers; `rateLimit` caps how many jobs start per fixed window
 * (`floor(now / windowMs)`). When a limit holds work back, `nextAvailableAt` includes the time it frees up
 * (the window's end), so workers sleep until then rather than poll.
 */
export interface QueueSettings {
  paused: boolean;
  concurrency: number | null;
  rateLimit: { limit: number; windowMs: number } | null;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = { paused: false, concurrency: null, rateLimit: null };

/**
 * A change to one queue's settings (`Driver.setQueueSettings`): a field given replaces the stored value
 * (`null` removes the concurrency cap or the rate limit), a field left out (or `undefined`) keeps it. A whole
 * `QueueSettings` is a patch that replaces every field.
 */
export type QueueSettingsPatch = Partial<QueueSettings>;

/** A worker's heartbeat record (worker registry). `info` is core's encoded data (host, pid, counts...). */
export interface WorkerRecord {
  id: string;
  info: string;
  /** When it last beat; core decides health from it. */
  heartbeatAt: number;
  /** The record disappears after this time unless beaten again. */
  expiresAt: number;
}

/** Numbers to add into one per-minute metrics bucket of a queue (core picks the field names). */
export interface MetricsIncrement {
  queue: string;
  /** Start of the minute, ms since epoch. */
  minute: number;
  fields: Record<string, number>;
}

export interface MetricsBucket {
  minute: number;
  fields: Record<string, number>;
}

export interface Driver {
  /** A short name used in error messages (`memory`, `redis`). */
  readonly name: string;

  /**
   * Inserts jobs, chains (first link enqueued, the rest kept) and optionally a new batch, in one atomic step.
   * Applies uniqueness: a job whose `unique.key` is held returns `duplicate` with the holder's id and is not
   * stored. Increments the batch's `total` by every member and chain link.
   */
  push(input: PushInput, now: number): Promise<PushResult>;

  /**
   * Makes due delayed/retrying jobs of `queues` ready, then takes up to `max` ready jobs in strict queue order,
   * then priority desc, then availableAt asc, then insertion order; marks them processing, counts the attempt,
   * records `startedAt`, sets the lease (`now + leaseMs`) and token, and releases `until: 'started'` locks.
   * Atomic as a whole.
   */
  reserve(request: ReserveRequest): Promise<ReserveResult>;

  /**
   * Resolves when work may be ready in `queues` (a push, a release, a retry) or after about `timeoutMs`, or
   * when `signal` aborts. Never rejects because of the signal. No busy polling.
   */
  waitForWork(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void>;

  /**
   * `waitForWork` on `request.queues`, then `reserve(request)` the moment it returns (woken or timed out), in
   * one step of the storage where it can (Redis runs the reserve right behind its blocking pop, saving the
   * round trip between them). The reserve's time is the time it runs: `request.now` plus the time that passed
   * since this call, as the driver measures it (Redis: its server clock corrected to this process's), so
   * start times, lease ends and rate windows are those of the moment the jobs are taken. Core calls it only
   * when its clock is the system clock (a fake clock does not pass with real time).
   *
   * Resolves to the reserve's result, or to null when `signal` aborted first: nothing is then handed to the
   * caller, and a job the storage took for this call anyway goes back to its queue as it was (attempt not
   * counted). Never rejects because of the signal.
   */
  waitAndReserve(
    request: ReserveRequest,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<ReserveResult | null>;

  /** Renews leases to `now + leaseMs`; returns the job ids whose lease was lost (stale token or gone). */
  extendLeases(leases: Lease[], leaseMs: number, now: number): Promise<string[]>;

  /**
   * Settles reserved jobs. Each item is atomic on its own and fenced: a stale token changes nothing and
   * returns `{ ok: false }`. A finishing settle (completed, failed, cancelled) also, in the same step:
   * records the batch outcome and enqueues the callbacks of every threshold it crossed; advances or cancels
   * the chain (enqueuing its `catch` on failure); releases the job's `until: 'completed'` unique lock if the
   * job still owns it. Results are in request order.
   */
  settle(requests: SettleRequest[], now: number): Promise<SettleResult[]>;

  /**
   * `settle(requests, now)`, then `reserve(request)`, in one step of the storage where it can (Redis: one script
   * call when the jobs and the queues share a hash tag), so a worker's next jobs come back with the outcomes it
   * stored. The reserve sees everything the settles did: a chain's next link, a batch callback, a freed slot of a
   * capped queue, a released lock. Either part failing fails the call.
   */
  settleAndReserve(
    requests: SettleRequest[],
    now: number,
    request: ReserveRequest,
  ): Promise<{ settled: SettleResult[]; reserved: ReserveResult }>;

  /**
   * Takes up to `max` processing jobs of `queues` whose lease expired before `now` and gives them a fresh
   * lease (`token`, `now + leaseMs`), which fences out the old holder. Core then settles each one through
   * `settle` as a failed attempt.
   */
  recoverStalled(
    queues: string[],
    now: number,
    leaseMs: number,
    token: string,
    max: number,
  ): Promise<ReservedJob[]>;

  /**
   * Cancels a job. Pending, delayed or retrying: becomes `cancelled` at once with the same follow-ups as a
   * cancelled settle. Processing: sets `cancelRequested` and publishes a `cancel` event. Finished: unchanged.
   * Returns null when the job does not exist.
   */
  cancel(jobId: string, now: number): Promise<CancelResult | null>;

  /** Stores progress for a processing job; fenced by the lease token. Publishes a `progress` event. */
  setProgress(lease: Lease, progress: string, now: number): Promise<boolean>;

  get(jobId: string): Promise<JobRecord | null>;
  /** Newest first (by createdAt, then insertion order). */
  list(filter: ListFilter): Promise<JobRecord[]>;
  /** Counts per state, for one queue or all. */
  counts(queue?: string): Promise<StateCounts>;
  /** Every queue that holds or held a job, sorted. */
  queues(): Promise<string[]>;

  getBatch(batchId: string): Promise<BatchRecord | null>;
  /**
   * Cancels a batch: stores every member not yet started as `cancelled` and counts them; running members
   * finish (their chains stop). Crosses `finally` if that settles the last member. Null if unknown.
   */
  cancelBatch(batchId: string, now: number): Promise<BatchChange | null>;
  /**
   * Adds jobs and chains to an unfinished, uncancelled batch, atomically with its total. Returns null (and
   * stores nothing) when the batch is unknown, finished or cancelled.
   */
  addToBatch(batchId: string, input: Omit<PushInput, 'batch'>, now: number): Promise<PushResult | null>;

  getChain(chainId: string): Promise<ChainRecord | null>;
  /**
   * Adds links to a running chain, after its last link (`append`) or right after the running one
   * (`prepend`). Counts them in the chain's batch. Returns false when the chain is not running.
   */
  extendChain(
    chainId: string,
    links: NewJob[],
    position: 'append' | 'prepend',
    now: number,
  ): Promise<boolean>;

  /** Moves failed jobs back to pending with attempts reset to 0; returns the ids moved. */
  retryFailed(selector: RetryFailedSelector, now: number): Promise<string[]>;
  /** Deletes jobs that are not processing; returns how many were removed. */
  remove(jobIds: string[]): Promise<number>;
  /** Retention: removes finished jobs of one queue and state; returns how many. */
  clean(request: CleanRequest): Promise<number>;

  /** Takes `key` for `owner` if free or expired (`ttlMs` null: no expiry). */
  acquireLock(key: string, owner: string, ttlMs: number | null, now: number): Promise<boolean>;
  /** Releases `key` only if `owner` holds it. */
  releaseLock(key: string, owner: string): Promise<boolean>;
  /** Counts a hit in the fixed window of `windowMs` containing `now`, unless `limit` is reached. */
  hitRateLimit(key: string, limit: number, windowMs: number, now: number): Promise<RateLimitResult>;

  /**
   * Stores a schedule whole (atomic), except that `lastRunAt` never goes back: the stored value is the larger of
   * the stored one and the given one, so a save racing a claim cannot let an occurrence be claimed twice.
   */
  saveSchedule(schedule: ScheduleRecord): Promise<void>;
  listSchedules(): Promise<ScheduleRecord[]>;
  removeSchedule(name: string): Promise<boolean>;
  /**
   * Claims the occurrence `at` of a schedule for one process: true for exactly one caller per (name, at),
   * and only if `at` is later than the last claimed occurrence. Records `lastRunAt = at`, `nextRunAt`.
   */
  claimOccurrence(name: string, at: number, nextRunAt: number | null): Promise<boolean>;

  /**
   * Receives events from every process sharing this storage. `types`, when given, says which event types the
   * listener wants (a worker wants only `cancel`): a driver may then spare itself delivering the others (Redis:
   * one channel per type, subscribed only when wanted), but a listener must still ignore types it did not ask
   * for. Without `types`, every event.
   */
  subscribe(
    listener: (event: DriverEvent) => void,
    types?: ReadonlyArray<DriverEvent['type']>,
  ): Promise<Unsubscribe>;

  /**
   * Applies `patch` to a queue's stored settings (or to `DEFAULT_QUEUE_SETTINGS` when none were stored) in one
   * atomic step, and returns the settings now stored. Two processes patching different fields of one queue at
   * once both keep their change (a pause and a concurrency cap never undo each other). Wakes a worker waiting
   * on the queue, as a resume or a raised limit may let ready jobs go.
   */
  setQueueSettings(queue: string, patch: QueueSettingsPatch): Promise<QueueSettings>;
  /** A queue's settings; `DEFAULT_QUEUE_SETTINGS` when none were stored. */
  getQueueSettings(queue: string): Promise<QueueSettings>;

  /** Upserts a worker's heartbeat record. */
  saveWorker(record: WorkerRecord): Promise<void>;
  /** Removes a worker record (clean shutdown). */
  removeWorker(workerId: string): Promise<void>;
  /** Worker records not expired at `now` (expired ones are dropped). */
  listWorkers(now: number): Promise<WorkerRecord[]>;

  /**
   * Adds each increment's fields into its (queue, minute) bucket. A bucket is kept at least `ttlMs` after its
   * minute and may be dropped after that, so metrics storage stays bounded (the memory driver drops it
   * `ttlMs` after its minute on the driver's time; Redis expires it `ttlMs` after its last write, on its own
   * clock, since core's time may be a test's fake one).
   */
  incrementMetrics(increments: MetricsIncrement[], ttlMs: number): Promise<void>;
  /** Buckets of a queue with `fromMinute <= minute <= toMinute`, oldest first. */
  readMetrics(queue: string, fromMinute: number, toMinute: number): Promise<MetricsBucket[]>;

  /** Releases every connection, timer and handle. Idempotent. */
  close(): Promise<void>;
}
