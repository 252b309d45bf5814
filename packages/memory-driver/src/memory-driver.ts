import type {
  BatchChange,
  BatchRecord,
  CancelResult,
  ChainRecord,
  CleanRequest,
  Driver,
  DriverEvent,
  JobRecord,
  Lease,
  ListFilter,
  MetricsBucket,
  MetricsIncrement,
  NewJob,
  PushInput,
  PushResult,
  QueueSettings,
  QueueSettingsPatch,
  RateLimitResult,
  ReservedJob,
  ReserveRequest,
  ReserveResult,
  RetryFailedSelector,
  ScheduleRecord,
  SettleRequest,
  SettleResult,
  StateCounts,
  Unsubscribe,
  WorkerRecord,
} from '@conveyor/core/driver';
import { batchRecord } from './batches.js';
import { cancel, cancelBatch } from './cancel.js';
import { chainRecord, extendChain } from './chains.js';
import { Context } from './context.js';
import { extendLeases, recoverStalled, reserve } from './leases.js';
import { LockTable } from './lock-table.js';
import { clean, remove, retryFailed } from './maintenance.js';
import { MetricsStore } from './metrics-store.js';
import { addToBatch, assertNewIds, push } from './push.js';
import { counts, list, queueNames } from './queries.js';
import { RateLimiter } from './rate-limiter.js';
import { ScheduleStore } from './schedules.js';
import { settleJob } from './settle.js';
import { toRecord } from './stored-job.js';
import { WorkerTable } from './worker-table.js';

/**
 * The in-memory driver: plain maps and heaps in this process. Each method does all of its reads and writes
 * synchronously, with no `await` in between, so it is atomic on the event loop just as a Lua script is on
 * Redis; methods are async only to return promises. It never reads a clock (every time is a `now` argument)
 * and makes no random values, so a fake clock drives it exactly.
 */
export class MemoryDriver implements Driver {
  readonly name = 'memory';
  private readonly ctx = new Context();
  private readonly locks = new LockTable();
  private readonly limits = new RateLimiter();
  private readonly schedules = new ScheduleStore();
  private readonly workers = new WorkerTable();
  private readonly metrics = new MetricsStore();
  private closed = false;

  /**
   * Runs one transition: refuses after `close`, records `now`, and afterwards hands the events it buffered
   * to subscribers (in a microtask, never inside the transition). A fault rejects the returned promise.
   */
  private step<T>(now: number | null, transition: (ctx: Context) => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('MemoryDriver: the driver is closed'));
    const ctx = this.ctx;
    if (now !== null) ctx.lastNow = now;
    try {
      return Promise.resolve(transition(ctx));
    } catch (error) {
      return Promise.reject(error);
    } finally {
      ctx.touched.clear();
      ctx.events.flush();
    }
  }

  push(input: PushInput, now: number): Promise<PushResult> {
    return this.step(now, (ctx) => push(ctx, input, now));
  }

  reserve(request: ReserveRequest): Promise<ReserveResult> {
    return this.step(request.now, (ctx) => reserve(ctx, request));
  }

  waitForWork(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new Error('MemoryDriver: the driver is closed'));
    const { store, queueSettings, lastNow } = this.ctx;
    // Ready jobs that the queue's settings hold back (paused, concurrency full, rate window spent) are not work:
    // a settle freeing a slot, a settings change, or the window's end (reported by reserve) wakes the worker.
    const ready = queues.some((queue) => {
      const index = store.queues.get(queue);
      return index !== undefined && index.ready.size > 0 && !queueSettings.heldBack(queue, index, lastNow);
    });
    if (ready || signal.aborted || !(timeoutMs > 0)) return Promise.resolve();
    return this.ctx.waiters.wait([...new Set(queues)], timeoutMs, signal);
  }

  /**
   * `waitForWork`, then `reserve` at `request.now` plus the real time the wait took (whole ms). Resolves null,
   * having taken nothing, when `signal` aborted first. Refuses after `close`, as `waitForWork` does.
   */
  async waitAndReserve(
    request: ReserveRequest,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<ReserveResult | null> {
    const start = performance.now();
    await this.waitForWork(request.queues, timeoutMs, signal);
    if (signal.aborted) return null;
    const elapsed = Math.max(0, Math.round(performance.now() - start));
    return this.reserve({ ...request, now: request.now + elapsed });
  }

  extendLeases(leases: Lease[], leaseMs: number, now: number): Promise<string[]> {
    return this.step(now, (ctx) => extendLeases(ctx, leases, leaseMs, now));
  }

  settle(requests: SettleRequest[], now: number): Promise<SettleResult[]> {
    return this.step(now, (ctx) => settleAll(ctx, requests, now));
  }

  /** Both in one transition: the reserve sees everything the settles did. */
  settleAndReserve(
    requests: SettleRequest[],
    now: number,
    request: ReserveRequest,
  ): Promise<{ settled: SettleResult[]; reserved: ReserveResult }> {
    return this.step(now, (ctx) => {
      const settled = settleAll(ctx, requests, now);
      ctx.lastNow = request.now;
      return { settled, reserved: reserve(ctx, request) };
    });
  }

  recoverStalled(
    queues: string[],
    now: number,
    leaseMs: number,
    token: string,
    max: number,
  ): Promise<ReservedJob[]> {
    return this.step(now, (ctx) => recoverStalled(ctx, queues, now, leaseMs, token, max));
  }

  cancel(jobId: string, now: number): Promise<CancelResult | null> {
    return this.step(now, (ctx) => cancel(ctx, jobId, now));
  }

  setProgress(lease: Lease, progress: string, now: number): Promise<boolean> {
    return this.step(now, (ctx) => {
      const job = ctx.store.get(lease.jobId);
      if (job === undefined || job.state !== 'processing' || job.token !== lease.token) return false;
      job.progress = progress;
      ctx.events.publish({ type: 'progress', jobId: job.id, queue: job.queue, progress });
      return true;
    });
  }

  get(jobId: string): Promise<JobRecord | null> {
    return this.step(null, (ctx) => {
      const job = ctx.store.get(jobId);
      return job === undefined ? null : toRecord(job);
    });
  }

  list(filter: ListFilter): Promise<JobRecord[]> {
    return this.step(null, (ctx) => list(ctx, filter));
  }

  counts(queue?: string): Promise<StateCounts> {
    return this.step(null, (ctx) => counts(ctx, queue));
  }

  queues(): Promise<string[]> {
    return this.step(null, (ctx) => queueNames(ctx));
  }

  getBatch(batchId: string): Promise<BatchRecord | null> {
    return this.step(null, (ctx) => {
      const batch = ctx.batches.get(batchId);
      return batch === undefined ? null : batchRecord(batch);
    });
  }

  cancelBatch(batchId: string, now: number): Promise<BatchChange | null> {
    return this.step(now, (ctx) => cancelBatch(ctx, batchId, now));
  }

  addToBatch(batchId: string, input: Omit<PushInput, 'batch'>, now: number): Promise<PushResult | null> {
    return this.step(now, (ctx) => addToBatch(ctx, batchId, input, now));
  }

  getChain(chainId: string): Promise<ChainRecord | null> {
    return this.step(null, (ctx) => {
      const chain = ctx.chains.get(chainId);
      return chain === undefined ? null : chainRecord(chain);
    });
  }

  extendChain(
    chainId: string,
    links: NewJob[],
    position: 'append' | 'prepend',
    now: number,
  ): Promise<boolean> {
    return this.step(now, (ctx) => {
      const chain = ctx.chains.get(chainId);
      if (chain === undefined || chain.state !== 'running') return false;
      assertNewIds(ctx, links, new Set(chain.jobIds));
      return extendChain(ctx, chainId, links, position);
    });
  }

  retryFailed(selector: RetryFailedSelector, now: number): Promise<string[]> {
    return this.step(now, (ctx) => retryFailed(ctx, selector, now));
  }

  remove(jobIds: string[]): Promise<number> {
    return this.step(null, (ctx) => remove(ctx, jobIds));
  }

  clean(request: CleanRequest): Promise<number> {
    return this.step(null, (ctx) => clean(ctx, request));
  }

  acquireLock(key: string, owner: string, ttlMs: number | null, now: number): Promise<boolean> {
    return this.step(now, () => this.locks.acquire(key, owner, ttlMs, now));
  }

  releaseLock(key: string, owner: string): Promise<boolean> {
    return this.step(null, () => this.locks.release(key, owner));
  }

  hitRateLimit(key: string, limit: number, windowMs: number, now: number): Promise<RateLimitResult> {
    return this.step(now, () => this.limits.hit(key, limit, windowMs, now));
  }

  saveSchedule(schedule: ScheduleRecord): Promise<void> {
    return this.step(null, () => this.schedules.save(schedule));
  }

  listSchedules(): Promise<ScheduleRecord[]> {
    return this.step(null, () => this.schedules.list());
  }

  removeSchedule(name: string): Promise<boolean> {
    return this.step(null, () => this.schedules.remove(name));
  }

  claimOccurrence(name: string, at: number, nextRunAt: number | null): Promise<boolean> {
    return this.step(null, () => this.schedules.claim(name, at, nextRunAt));
  }

  setQueueSettings(queue: string, patch: QueueSettingsPatch): Promise<QueueSettings> {
    return this.step(null, (ctx) => {
      const settings = ctx.queueSettings.update(queue, patch);
      ctx.workArrived(queue); // a resume or a raised limit may let ready jobs go
      return settings;
    });
  }

  getQueueSettings(queue: string): Promise<QueueSettings> {
    return this.step(null, (ctx) => ctx.queueSettings.get(queue));
  }

  saveWorker(record: WorkerRecord): Promise<void> {
    return this.step(null, () => this.workers.save(record));
  }

  removeWorker(workerId: string): Promise<void> {
    return this.step(null, () => this.workers.remove(workerId));
  }

  listWorkers(now: number): Promise<WorkerRecord[]> {
    return this.step(now, () => this.workers.list(now));
  }

  incrementMetrics(increments: MetricsIncrement[], ttlMs: number): Promise<void> {
    return this.step(null, (ctx) => this.metrics.increment(increments, ttlMs, ctx.lastNow));
  }

  readMetrics(queue: string, fromMinute: number, toMinute: number): Promise<MetricsBucket[]> {
    return this.step(null, (ctx) => this.metrics.read(queue, fromMinute, toMinute, ctx.lastNow));
  }

  subscribe(
    listener: (event: DriverEvent) => void,
    types?: ReadonlyArray<DriverEvent['type']>,
  ): Promise<Unsubscribe> {
    return this.step(null, (ctx) => {
      const unsubscribe = ctx.events.subscribe(listener, types);
      return async () => unsubscribe();
    });
  }

  /** Ends every pending `waitForWork` (clearing its timer) and drops subscribers. Idempotent. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.ctx.waiters.wakeAll();
      this.ctx.events.clear();
    }
    return Promise.resolve();
  }
}

function settleAll(ctx: Context, requests: SettleRequest[], now: number): SettleResult[] {
  return requests.map((request) => {
    // only a processing job can settle; the others (or none) get `ok: false`
    const job = ctx.store.getProcessing(request.jobId);
    const queue = job?.queue;
    const result = settleJob(ctx, job, request, now);
    // a queue with a shared concurrency cap just freed a slot: wake a worker waiting for it
    if (result.ok && queue !== undefined && ctx.queueSettings.capped(queue)) ctx.workArrived(queue);
    return result;
  });
}
