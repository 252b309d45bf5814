import {
  type BatchChange,
  type BatchRecord,
  type CancelResult,
  type ChainRecord,
  type CleanRequest,
  DEFAULT_QUEUE_SETTINGS,
  type Driver,
  type DriverEvent,
  type JobRecord,
  type Lease,
  type ListFilter,
  type MetricsBucket,
  type MetricsIncrement,
  type NewChain,
  type NewJob,
  type PushInput,
  type PushResult,
  type QueueSettings,
  type QueueSettingsPatch,
  type RateLimitResult,
  type ReservedJob,
  type ReserveRequest,
  type ReserveResult,
  type RetryFailedSelector,
  type ScheduleRecord,
  type SettleRequest,
  type SettleResult,
  type StateCounts,
  type Unsubscribe,
  type WorkerRecord,
} from '../driver.js';
import { ConfigurationError } from '../errors.js';
import type { Recording } from './recording.js';

export interface FakeDriverOptions {
  /** The driver the conveyor had: un-faked jobs go there, and it answers everything but dispatches. */
  inner: Driver | undefined;
  /** Where faked dispatches go (shared by every connection of one fake). */
  recording: Recording;
  /** Whether jobs of this stored name are faked. */
  fakes: (name: string) => boolean;
  /** The named connection this driver stands in for, or null for the default one. */
  connection: string | null;
}

/**
 * A driver decorator that records dispatches instead of storing them: `Queue.fake()` swaps it in for the
 * conveyor's driver, so every way a job enters (dispatch, chains, batches, `batch.add`, scheduled jobs) is
 * caught at the one place they all meet.
 *
 * A chain or a batch is one unit, as it is one atomic step for a driver: when any job in it is faked (a link,
 * a member, a callback job), all of it is recorded and none of it runs. Everything else (jobs the fake lets
 * through, reads, workers, locks, schedules) goes to the wrapped driver. With no wrapped driver, reads answer
 * from what was recorded, workers find nothing to do, and calls that need storage (locks, rate limits,
 * saving schedules or queue settings) throw a `ConfigurationError` that says so.
 */
export class FakeDriver implements Driver {
  readonly name: string;
  readonly inner: Driver | undefined;
  readonly #recording: Recording;
  readonly #fakes: (name: string) => boolean;
  readonly #connection: string | null;

  constructor(options: FakeDriverOptions) {
    this.inner = options.inner;
    this.name = options.inner ? `fake(${options.inner.name})` : 'fake';
    this.#recording = options.recording;
    this.#fakes = options.fakes;
    this.#connection = options.connection;
  }

  // --- the ways jobs enter --------------------------------------------------------------------------------

  async push(input: PushInput, now: number): Promise<PushResult> {
    if (input.batch) {
      if (!this.inner || this.#fakesAny(input)) return this.#recording.push(input, now, this.#connection);
      return this.inner.push(input, now);
    }
    const jobs = input.jobs ?? [];
    const chains = input.chains ?? [];
    const fakedJob = jobs.map((job) => this.#fakes(job.name));
    const fakedChain = chains.map((chain) => this.#fakesChain(chain));
    const realJobs = jobs.filter((_, i) => !fakedJob[i]);
    const realChains = chains.filter((_, i) => !fakedChain[i]);
    if (realJobs.length === 0 && realChains.length === 0) {
      return this.#recording.push(input, now, this.#connection);
    }
    const real = await this.#require().push(
      { ...(input.jobs ? { jobs: realJobs } : {}), ...(input.chains ? { chains: realChains } : {}) },
      now,
    );
    // Recorded only once the real part is stored, so a failed push leaves nothing half-recorded.
    const faked = this.#recording.push(
      { jobs: jobs.filter((_, i) => fakedJob[i]), chains: chains.filter((_, i) => fakedChain[i]) },
      now,
      this.#connection,
    );
    return {
      jobs: merge(fakedJob, faked.jobs, real.jobs),
      chains: merge(fakedChain, faked.chains, real.chains),
    };
  }

  async addToBatch(
    batchId: string,
    input: Omit<PushInput, 'batch'>,
    now: number,
  ): Promise<PushResult | null> {
    if (this.#recording.hasBatch(batchId)) {
      return this.#recording.addToBatch(batchId, input, now, this.#connection);
    }
    if (!this.inner) return null; // not a recorded batch, and there is no other storage: unknown
    if (this.#fakesAny(input)) return this.#recording.addToBatch(batchId, input, now, this.#connection);
    return this.inner.addToBatch(batchId, input, now);
  }

  async extendChain(
    chainId: string,
    links: NewJob[],
    position: 'append' | 'prepend',
    now: number,
  ): Promise<boolean> {
    const recorded = this.#recording.hasChain(chainId);
    if (recorded || (this.inner && links.some((link) => this.#fakes(link.name)))) {
      this.#recording.extendChain(chainId, links, position, now, this.#connection);
      return true;
    }
    return this.inner ? this.inner.extendChain(chainId, links, position, now) : false;
  }

  // --- workers: the wrapped driver's, or nothing to do ----------------------------------------------------

  reserve(request: ReserveRequest): Promise<ReserveResult> {
    return this.inner ? this.inner.reserve(request) : Promise.resolve({ jobs: [], nextAvailableAt: null });
  }

  waitForWork(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.inner) return this.inner.waitForWork(queues, timeoutMs, signal);
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref?.();
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async waitAndReserve(
    request: ReserveRequest,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<ReserveResult | null> {
    if (this.inner) return this.inner.waitAndReserve(request, timeoutMs, signal);
    await this.waitForWork(request.queues, timeoutMs, signal);
    return signal.aborted ? null : { jobs: [], nextAvailableAt: null };
  }

  extendLeases(leases: Lease[], leaseMs: number, now: number): Promise<string[]> {
    return this.inner
      ? this.inner.extendLeases(leases, leaseMs, now)
      : Promise.resolve(leases.map((l) => l.jobId));
  }

  settle(requests: SettleRequest[], now: number): Promise<SettleResult[]> {
    return this.inner
      ? this.inner.settle(requests, now)
      : Promise.resolve(requests.map((): SettleResult => ({ ok: false })));
  }

  async settleAndReserve(
    requests: SettleRequest[],
    now: number,
    request: ReserveRequest,
  ): Promise<{ settled: SettleResult[]; reserved: ReserveResult }> {
    if (this.inner) return this.inner.settleAndReserve(requests, now, request);
    return { settled: await this.settle(requests, now), reserved: await this.reserve(request) };
  }

  recoverStalled(
    queues: string[],
    now: number,
    leaseMs: number,
    token: string,
    max: number,
  ): Promise<ReservedJob[]> {
    return this.inner ? this.inner.recoverStalled(queues, now, leaseMs, token, max) : Promise.resolve([]);
  }

  setProgress(lease: Lease, progress: string, now: number): Promise<boolean> {
    return this.inner ? this.inner.setProgress(lease, progress, now) : Promise.resolve(false);
  }

  // --- reads: recorded jobs first, then the wrapped driver ------------------------------------------------

  async cancel(jobId: string, now: number): Promise<CancelResult | null> {
    return this.#recording.cancel(jobId, now) ?? (this.inner ? this.inner.cancel(jobId, now) : null);
  }

  async get(jobId: string): Promise<JobRecord | null> {
    return this.#recording.job(jobId) ?? (this.inner ? this.inner.get(jobId) : null);
  }

  async list(filter: ListFilter): Promise<JobRecord[]> {
    const limit = filter.limit ?? 100;
    const offset = filter.offset ?? 0;
    const recorded = this.#recording.list(filter);
    const real = this.inner ? await this.inner.list({ ...filter, offset: 0, limit: offset + limit }) : [];
    return [...recorded, ...real].sort((a, b) => b.createdAt - a.createdAt).slice(offset, offset + limit);
  }

  async counts(queue?: string): Promise<StateCounts> {
    const counts = this.#recording.counts(queue);
    if (this.inner) {
      const real = await this.inner.counts(queue);
      for (const state of Object.keys(counts) as Array<keyof StateCounts>) counts[state] += real[state];
    }
    return counts;
  }

  async queues(): Promise<string[]> {
    const real = this.inner ? await this.inner.queues() : [];
    return [...new Set([...real, ...this.#recording.queues()])].sort();
  }

  async getBatch(batchId: string): Promise<BatchRecord | null> {
    return this.#recording.batch(batchId) ?? (this.inner ? this.inner.getBatch(batchId) : null);
  }

  async cancelBatch(batchId: string, now: number): Promise<BatchChange | null> {
    return (
      this.#recording.cancelBatch(batchId, now) ?? (this.inner ? this.inner.cancelBatch(batchId, now) : null)
    );
  }

  async getChain(chainId: string): Promise<ChainRecord | null> {
    return this.#recording.chain(chainId) ?? (this.inner ? this.inner.getChain(chainId) : null);
  }

  // --- management ------------------------------------------------------------------------------------------

  retryFailed(selector: RetryFailedSelector, now: number): Promise<string[]> {
    return this.inner ? this.inner.retryFailed(selector, now) : Promise.resolve([]);
  }

  async remove(jobIds: string[]): Promise<number> {
    const known = jobIds.filter((id) => this.#recording.job(id) !== null);
    const rest = jobIds.filter((id) => !known.includes(id));
    const removed = this.#recording.remove(known);
    return removed + (this.inner && rest.length > 0 ? await this.inner.remove(rest) : 0);
  }

  clean(request: CleanRequest): Promise<number> {
    return this.inner ? this.inner.clean(request) : Promise.resolve(0);
  }

  // --- locks, limits, schedules, settings: storage the fake does not have ---------------------------------

  async acquireLock(key: string, owner: string, ttlMs: number | null, now: number): Promise<boolean> {
    return this.#require('a lock').acquireLock(key, owner, ttlMs, now);
  }

  releaseLock(key: string, owner: string): Promise<boolean> {
    return this.inner ? this.inner.releaseLock(key, owner) : Promise.resolve(false);
  }

  async hitRateLimit(key: string, limit: number, windowMs: number, now: number): Promise<RateLimitResult> {
    return this.#require('a rate limit').hitRateLimit(key, limit, windowMs, now);
  }

  async saveSchedule(schedule: ScheduleRecord): Promise<void> {
    return this.#require('saving a schedule').saveSchedule(schedule);
  }

  listSchedules(): Promise<ScheduleRecord[]> {
    return this.inner ? this.inner.listSchedules() : Promise.resolve([]);
  }

  removeSchedule(name: string): Promise<boolean> {
    return this.inner ? this.inner.removeSchedule(name) : Promise.resolve(false);
  }

  async claimOccurrence(name: string, at: number, nextRunAt: number | null): Promise<boolean> {
    return this.#require('running a schedule').claimOccurrence(name, at, nextRunAt);
  }

  subscribe(listener: (event: DriverEvent) => void): Promise<Unsubscribe> {
    return this.inner ? this.inner.subscribe(listener) : Promise.resolve(async () => {});
  }

  async setQueueSettings(queue: string, patch: QueueSettingsPatch): Promise<QueueSettings> {
    return this.#require('queue settings').setQueueSettings(queue, patch);
  }

  getQueueSettings(queue: string): Promise<QueueSettings> {
    return this.inner ? this.inner.getQueueSettings(queue) : Promise.resolve({ ...DEFAULT_QUEUE_SETTINGS });
  }

  saveWorker(record: WorkerRecord): Promise<void> {
    return this.inner ? this.inner.saveWorker(record) : Promise.resolve();
  }

  removeWorker(workerId: string): Promise<void> {
    return this.inner ? this.inner.removeWorker(workerId) : Promise.resolve();
  }

  listWorkers(now: number): Promise<WorkerRecord[]> {
    return this.inner ? this.inner.listWorkers(now) : Promise.resolve([]);
  }

  incrementMetrics(increments: MetricsIncrement[], ttlMs: number): Promise<void> {
    return this.inner ? this.inner.incrementMetrics(increments, ttlMs) : Promise.resolve();
  }

  readMetrics(queue: string, fromMinute: number, toMinute: number): Promise<MetricsBucket[]> {
    return this.inner ? this.inner.readMetrics(queue, fromMinute, toMinute) : Promise.resolve([]);
  }

  /** Closes the wrapped driver (the conveyor owns it, fake or not). */
  async close(): Promise<void> {
    await this.inner?.close();
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  #fakesChain(chain: NewChain): boolean {
    return chain.links.some((link) => this.#fakes(link.name)) || chain.catch.some((j) => this.#fakes(j.name));
  }

  /** True when any job of the input (jobs, chain links and catch jobs, batch callbacks) is faked. */
  #fakesAny(input: PushInput): boolean {
    const { batch } = input;
    return (
      (input.jobs ?? []).some((job) => this.#fakes(job.name)) ||
      (input.chains ?? []).some((chain) => this.#fakesChain(chain)) ||
      (batch !== undefined &&
        [...batch.then, ...batch.catch, ...batch.finally].some((job) => this.#fakes(job.name)))
    );
  }

  /** The wrapped driver, or the error a conveyor without a driver gives, saying what needed one. */
  #require(what?: string): Driver {
    if (this.inner) return this.inner;
    throw new ConfigurationError(
      what === undefined
        ? 'No queue driver is configured, and the fake lets this job through (it is not in `only`, or is in ' +
            '`except`): configure a driver before faking (Queue.use(new MemoryDriver())), or fake this job too.'
        : `The fake records dispatches but has no storage for ${what}: configure a driver before faking ` +
            '(Queue.use(new MemoryDriver())) so the fake can pass this call through.',
    );
  }
}

/** Puts faked and real outcomes back in the order of the input (`faked[i]` says which list item i is in). */
function merge<T>(faked: boolean[], fromFake: T[], fromReal: T[]): T[] {
  let f = 0;
  let r = 0;
  return faked.map((isFaked) => (isFaked ? fromFake[f++]! : fromReal[r++]!));
}
