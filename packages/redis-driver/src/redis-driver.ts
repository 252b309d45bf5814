import type {
  BatchChange,
  BatchRecord,
  CancelResult,
  ChainRecord,
  CleanRequest,
  Driver,
  DriverEvent,
  JobRecord,
  JobState,
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
import type { Redis, RedisOptions } from 'ioredis';
import { jobJson, parseBatchView, parseReserved } from './codec.js';
import { type Connections, closeConnection, openConnections } from './connections.js';
import { byQueue, type DriverContext } from './context.js';
import { closedError, toDriverError } from './errors.js';
import { JobLocator } from './job-locator.js';
import { type HashTagMode, Keys } from './keys.js';
import { PushBatcher } from './push-batcher.js';
import { parsePushReply, pushCall } from './push-call.js';
import * as admin from './queue-admin.js';
import * as reads from './reads.js';
import { parseReserveReply } from './reserve-reply.js';
import * as schedules from './schedules.js';
import { type ScriptCall, Scripts } from './scripts.js';
import { ServerClock } from './server-clock.js';
import { settleCall } from './settle-call.js';
import { Subscriber } from './subscriber.js';
import { type Behind, WorkWaiter } from './work-waiter.js';

export interface RedisDriverOptions {
  /** Where Redis is. Default: `process.env.REDIS_URL`, else `redis://127.0.0.1:6379`. Ignored with `connection`. */
  url?: string;
  /**
   * A connection you own: the driver runs its commands on it, duplicates it for blocking waits and events,
   * and never closes it (it closes only the duplicates). Default: the driver opens its own from `url`.
   */
  connection?: Redis;
  /** ioredis options for the connection the driver opens, over `DEFAULT_REDIS_OPTIONS`. Default: none. */
  redisOptions?: RedisOptions;
  /** First part of every key and of the events channel. Default: `conveyor`. */
  prefix?: string;
  /**
   * Hash-tag grouping of keys (see docs/redis-keys.md). `queue`: every key of a queue shares `{queue}`;
   * `prefix`: every key shares `{prefix}`, so every script is single-slot on Redis Cluster. Default: `queue`.
   */
  hashTag?: HashTagMode;
  /**
   * How long a finished batch or chain stays readable (`getBatch`, `getChain`) before Redis expires its keys.
   * Jobs have their own retention (`clean`). Default: 7 days.
   */
  groupRetentionMs?: number;
}

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1_000;

/**
 * The most jobs of one push whose ids the job locator remembers. Remembering costs about a microsecond per id
 * plus garbage-collector work (a 10,000-job batch spent 13-25 ms of its ~170 ms on it), and a bulk push's ids
 * are rarely looked up one by one by the process that pushed them; such a lookup costs one round trip.
 */
const REMEMBERED_PUSH = 1_000;

/** The settles of one queue: the script call's items, and where each request came in the caller's list. */
interface SettleGroup {
  items: Parameters<typeof settleCall>[1];
  positions: number[];
}

/** Redis storage for Conveyor: one Lua script per transition, many jobs per round trip. */
export class RedisDriver implements Driver {
  readonly name = 'redis';
  readonly keys: Keys;
  readonly #connections: Connections;
  readonly #ctx: DriverContext;
  readonly #waiter: WorkWaiter;
  readonly #serverClock: ServerClock;
  readonly #subscriber: Subscriber;
  readonly #pushes = new PushBatcher(async (input, now) => {
    try {
      return (await this.#push(input, now, null, true)) ?? { jobs: [], chains: [] };
    } catch (error) {
      throw toDriverError(error, 'push', this.#connections.target);
    }
  });
  #closing: Promise<void> | undefined;
  /** The last reserve's queues and keys (see #reserveKeys). */
  #lastReserve: { queues: string[]; keys: string[] } | undefined;

  constructor(options: RedisDriverOptions = {}) {
    this.keys = new Keys(options.prefix ?? 'conveyor', options.hashTag ?? 'queue');
    this.#connections = openConnections(options);
    const scripts = new Scripts(this.keys, options.groupRetentionMs ?? SEVEN_DAYS_MS);
    this.#ctx = {
      redis: this.#connections.main,
      keys: this.keys,
      scripts,
      locator: new JobLocator(this.keys),
    };
    this.#serverClock = new ServerClock(this.#connections.main);
    this.#waiter = new WorkWaiter(
      () => this.#connections.duplicate(),
      (marker) => void this.redis.lpush(marker, '1').catch(() => {}),
      (reply) => this.#handBack(reply as ReserveResult),
    );
    this.#subscriber = new Subscriber(
      () => this.#connections.duplicate(),
      (type) => this.keys.eventChannel(type),
    );
  }

  /** The connection commands run on (the caller's when one was given). */
  get redis(): Redis {
    return this.#connections.main;
  }

  push(input: PushInput, now: number): Promise<PushResult> {
    // the hot path of every dispatch: the batcher's promise as is (its calls map their errors as #guard does)
    const batch = input.batch;
    if (!batch) {
      if (this.#closing) return Promise.reject(closedError('push'));
      return this.#pushes.push(input, now);
    }
    return this.#guard('push', async () => {
      const result = await this.#push(input, now, { mode: 'create', record: batch });
      return result ?? { jobs: [], chains: [] };
    });
  }

  async addToBatch(
    batchId: string,
    input: Omit<PushInput, 'batch'>,
    now: number,
  ): Promise<PushResult | null> {
    return this.#guard('addToBatch', () => this.#push(input, now, { mode: 'add', id: batchId }));
  }

  async #push(
    input: Omit<PushInput, 'batch'>,
    now: number,
    batch: Parameters<typeof pushCall>[3],
    writeNow = false,
  ): Promise<PushResult | null> {
    const reply = await this.#ctx.scripts.run(this.redis, pushCall(this.keys, input, now, batch), writeNow);
    const result = parsePushReply(reply, input);
    if (result) {
      const locator = this.#ctx.locator;
      const jobs = input.jobs ?? [];
      // A bulk push is not remembered (see REMEMBERED_PUSH): a later lookup of one of its ids costs a round trip.
      if (jobs.length <= REMEMBERED_PUSH) {
        for (let i = 0; i < jobs.length; i++) {
          if (result.jobs[i]?.outcome === 'added') locator.remember(jobs[i]!.id, jobs[i]!.queue);
        }
      }
      for (const [i, chain] of (input.chains ?? []).entries()) {
        const first = chain.links[0];
        if (first && result.chains[i]?.outcome === 'added') locator.remember(first.id, first.queue);
      }
    }
    return result;
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    // the hot path of every worker: #guard's checks and error mapping, without its extra closure and frame
    if (this.#closing) throw closedError('reserve');
    if (request.queues.length === 0) return { jobs: [], nextAvailableAt: null };
    try {
      const call = this.#reserveCall(request, request.now);
      const reply = (await this.#ctx.scripts.run(this.redis, call, this.#aloneInTick())) as unknown[];
      return this.#reservedResult(reply, request);
    } catch (error) {
      throw toDriverError(error, 'reserve', this.#connections.target);
    }
  }

  /** A reserve script's reply as a result; its jobs are remembered (their settles need no lookup). */
  #reservedResult(reply: unknown[], request: ReserveRequest): ReserveResult {
    const result = parseReserveReply(reply, request);
    const locator = this.#ctx.locator;
    for (const job of result.jobs) locator.remember(job.id, job.queue);
    return result;
  }

  /** The reserve script's call; `now` is a time, or 'now~correction' (see reserve.lua). */
  #reserveCall(request: ReserveRequest, now: number | string): ScriptCall {
    return {
      name: 'reserve',
      keys: this.#reserveKeys(request.queues),
      args: [
        now,
        Math.max(0, request.max),
        request.leaseMs,
        request.workerId,
        request.token,
        ...request.queues,
      ],
    };
  }

  /** The keys of a reserve on `queues`, built once for the queues a worker asks for every time. */
  #reserveKeys(queues: readonly string[]): string[] {
    const last = this.#lastReserve;
    if (last && last.queues.length === queues.length && last.queues.every((q, i) => q === queues[i])) {
      return last.keys;
    }
    const keys: string[] = [];
    for (const q of queues) {
      keys.push(
        this.keys.queue(q, 'ready'),
        this.keys.queue(q, 'delayed'),
        this.keys.queue(q, 'retrying'),
        this.keys.queue(q, 'active'),
        this.keys.queue(q, 'settings'),
      );
    }
    this.#lastReserve = { queues: [...queues], keys };
    return keys;
  }

  waitForWork(queues: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.#closing) return Promise.resolve();
    // without a command behind the pop, a wait resolves undefined
    return this.#waiter.wait(this.#markers(queues), timeoutMs, signal) as Promise<void>;
  }

  /**
   * The reserve goes to the blocking connection right behind the pop, so Redis runs it the moment the pop
   * returns. Its time is the server's clock at that moment, corrected to the caller's (`ServerClock`). A wait
   * that shares a pop another wait carries a command behind is woken plainly, and reserves as `reserve` does.
   */
  async waitAndReserve(
    request: ReserveRequest,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<ReserveResult | null> {
    if (this.#closing) throw closedError('waitAndReserve');
    const began = performance.now();
    let behind: Behind | undefined;
    if (request.queues.length > 0) {
      const correction = await this.#guard('waitAndReserve', () => this.#serverClock.correction(request.now));
      const call = this.#reserveCall(request, `${request.now}~${correction}`);
      behind = async (connection) =>
        this.#reservedResult((await this.#ctx.scripts.run(connection, call, true)) as unknown[], request);
    }
    const result = (await this.#waiter.wait(this.#markers(request.queues), timeoutMs, signal, behind)) as
      | ReserveResult
      | undefined;
    if (signal.aborted) {
      if (result) this.#handBack(result);
      return null;
    }
    return result ?? this.reserve({ ...request, now: request.now + Math.round(performance.now() - began) });
  }

  /** Jobs a reserve behind a pop took for a wait that had left: back to their queue, attempt not counted. */
  #handBack(result: ReserveResult): void {
    if (result.jobs.length === 0) return;
    const at = result.jobs[0]!.startedAt ?? 0;
    const requests = result.jobs.map((job) => ({
      jobId: job.id,
      token: job.token,
      outcome: { type: 'released' as const, availableAt: at },
      queue: job.queue,
    }));
    this.settle(requests, at).catch(() => {
      // closing, or Redis gone: the leases expire and stalled recovery takes the jobs back
    });
  }

  #markers(queues: string[]): string[] {
    return queues.map((q) => this.keys.queue(q, 'marker'));
  }

  async extendLeases(leases: Lease[], leaseMs: number, now: number): Promise<string[]> {
    return this.#guard('extendLeases', async () => {
      if (leases.length === 0) return [];
      const located = await this.#ctx.locator.locate(
        this.redis,
        leases.map((l) => l.jobId),
      );
      const lost = leases.filter((l) => !located.has(l.jobId)).map((l) => l.jobId);
      const tokens = new Map(leases.map((l) => [l.jobId, l.token]));
      const calls: ScriptCall[] = [];
      for (const [queue, ids] of byQueue(
        leases.map((l) => l.jobId),
        located,
      )) {
        const args: Array<string | number> = [queue, now + leaseMs];
        for (const id of ids) args.push(id, tokens.get(id)!);
        calls.push({ name: 'extend-leases', keys: [this.keys.queue(queue, 'active')], args });
      }
      for (const { error, value } of await this.#ctx.scripts.runMany(this.redis, calls)) {
        if (error) throw error;
        lost.push(...(value as string[]));
      }
      return lost;
    });
  }

  async settle(requests: SettleRequest[], now: number): Promise<SettleResult[]> {
    return this.#guard('settle', async () => {
      if (requests.length === 0) return [];
      const groups = this.#settleGroups(requests, await this.#locateSettled(requests));
      return this.#settled(groups, requests.length, await this.#runSettles(groups, now));
    });
  }

  /**
   * One script call (settle-reserve.lua) when the jobs settled and the queues reserved share one hash tag (one
   * queue, or `hashTag: 'prefix'`); otherwise the settle calls and then the reserve, written together in that
   * order.
   */
  async settleAndReserve(
    requests: SettleRequest[],
    now: number,
    request: ReserveRequest,
  ): Promise<{ settled: SettleResult[]; reserved: ReserveResult }> {
    if (this.#closing) throw closedError('settleAndReserve');
    try {
      const groups = this.#settleGroups(requests, await this.#locateSettled(requests));
      const [group, more] = groups.keys();
      const oneSlot =
        group !== undefined &&
        more === undefined &&
        request.queues.length > 0 &&
        (this.keys.mode === 'prefix' || request.queues.every((q) => q === group));
      if (!oneSlot) {
        // the settle calls are issued first, in this tick, so the reserve goes behind them in the same write
        const settling = this.#runSettles(groups, now);
        const [replies, reserved] = await Promise.all([settling, this.reserve(request)]);
        return { settled: this.#settled(groups, requests.length, replies), reserved };
      }
      const settle = settleCall(group, groups.get(group)!.items, now);
      const reserve = this.#reserveCall(request, request.now);
      const reply = (await this.#ctx.scripts.run(
        this.redis,
        {
          name: 'settle-reserve',
          keys: [...settle.keys, ...reserve.keys],
          args: [settle.keys.length, settle.args.length, ...settle.args, ...reserve.args],
        },
        this.#aloneInTick(),
      )) as [unknown, unknown[]];
      const settled = this.#settled(groups, requests.length, [{ error: null, value: reply[0] }]);
      return { settled, reserved: this.#reservedResult(reply[1], request) };
    } catch (error) {
      throw toDriverError(error, 'settleAndReserve', this.#connections.target);
    }
  }

  /**
   * The queue of each job settled: the one a request names (a worker's always do), else the job locator's (a
   * worker's own jobs are remembered: no round trip).
   */
  async #locateSettled(requests: SettleRequest[]): Promise<Map<string, string>> {
    const located = new Map<string, string>();
    let unnamed: string[] | undefined;
    for (const { jobId, queue } of requests) {
      if (queue !== undefined) located.set(jobId, queue);
      else (unnamed ??= []).push(jobId);
    }
    if (unnamed === undefined) return located;
    for (const [id, queue] of await this.#ctx.locator.locate(this.redis, unnamed)) located.set(id, queue);
    return located;
  }

  /** Settles grouped by queue (one script call per queue, many items each); unknown jobs are left out. */
  #settleGroups(requests: SettleRequest[], located: Map<string, string>): Map<string, SettleGroup> {
    const groups = new Map<string, SettleGroup>();
    requests.forEach((request, i) => {
      const queue = located.get(request.jobId);
      if (queue === undefined) return;
      let group = groups.get(queue);
      if (!group) groups.set(queue, (group = { items: [], positions: [] }));
      group.items.push({ jobKey: this.keys.job(queue, request.jobId), request });
      group.positions.push(i);
    });
    return groups;
  }

  /** Runs the settle calls of `groups` (calls for several queues share one pipeline). */
  #runSettles(
    groups: Map<string, SettleGroup>,
    now: number,
  ): Promise<Array<{ error: Error | null; value: unknown }>> {
    if (groups.size === 0) return Promise.resolve([]);
    return this.#ctx.scripts.runMany(
      this.redis,
      [...groups].map(([queue, group]) => settleCall(queue, group.items, now)),
    );
  }

  /** The settle scripts' replies as one result per request, in request order (unknown jobs: not ok). */
  #settled(
    groups: Map<string, SettleGroup>,
    count: number,
    replies: Array<{ error: Error | null; value: unknown }>,
  ): SettleResult[] {
    const results: SettleResult[] = Array.from({ length: count }, () => ({ ok: false }));
    [...groups.values()].forEach((group, g) => {
      const { error, value } = replies[g]!;
      if (error) throw error;
      (value as Array<[number, JobState?, unknown?]>).forEach((reply, j) => {
        if (reply[0] === 1) {
          results[group.positions[j]!] = { ok: true, state: reply[1]!, batch: parseBatchView(reply[2]) };
        }
      });
    });
    return results;
  }

  async recoverStalled(
    queues: string[],
    now: number,
    leaseMs: number,
    token: string,
    max: number,
  ): Promise<ReservedJob[]> {
    return this.#guard('recoverStalled', async () => {
      if (queues.length === 0 || max <= 0) return [];
      const reply = (await this.#run({
        name: 'recover-stalled',
        keys: queues.map((q) => this.keys.queue(q, 'active')),
        args: [now, leaseMs, token, max, ...queues],
      })) as unknown[];
      return this.#reserved(reply);
    });
  }

  async cancel(jobId: string, now: number): Promise<CancelResult | null> {
    return this.#guard('cancel', async () => {
      const queue = (await this.#ctx.locator.locate(this.redis, [jobId])).get(jobId);
      if (queue === undefined) return null;
      const [state, view] = (await this.#run({
        name: 'cancel',
        keys: [this.keys.job(queue, jobId)],
        args: [jobId, now, queue],
      })) as [JobState | null, unknown];
      if (!state) return null;
      return { state, batch: parseBatchView(view) };
    });
  }

  async setProgress(lease: Lease, progress: string, _now: number): Promise<boolean> {
    return this.#guard('setProgress', async () => {
      const queue = (await this.#ctx.locator.locate(this.redis, [lease.jobId])).get(lease.jobId);
      if (queue === undefined) return false;
      const stored = await this.#run({
        name: 'set-progress',
        keys: [this.keys.job(queue, lease.jobId)],
        args: [lease.jobId, lease.token, progress, queue],
      });
      return stored === 1;
    });
  }

  get(jobId: string): Promise<JobRecord | null> {
    return this.#guard('get', () => reads.getJob(this.#ctx, jobId));
  }

  list(filter: ListFilter): Promise<JobRecord[]> {
    return this.#guard('list', () => reads.listJobs(this.#ctx, filter));
  }

  counts(queue?: string): Promise<StateCounts> {
    return this.#guard('counts', () => reads.countJobs(this.#ctx, queue));
  }

  queues(): Promise<string[]> {
    return this.#guard('queues', () => reads.queues(this.#ctx));
  }

  getBatch(batchId: string): Promise<BatchRecord | null> {
    return this.#guard('getBatch', () => reads.getBatch(this.#ctx, batchId));
  }

  async cancelBatch(batchId: string, now: number): Promise<BatchChange | null> {
    return this.#guard('cancelBatch', async () =>
      parseBatchView(
        await this.#run({ name: 'cancel-batch', keys: [this.keys.batch(batchId)], args: [batchId, now] }),
      ),
    );
  }

  getChain(chainId: string): Promise<ChainRecord | null> {
    return this.#guard('getChain', () => reads.getChain(this.#ctx, chainId));
  }

  async extendChain(
    chainId: string,
    links: NewJob[],
    position: 'append' | 'prepend',
    _now: number,
  ): Promise<boolean> {
    return this.#guard('extendChain', async () => {
      if (links.length === 0) return (await reads.getChain(this.#ctx, chainId))?.state === 'running';
      const added = await this.#run({
        name: 'extend-chain',
        keys: [this.keys.chain(chainId), this.keys.chainLinks(chainId)],
        args: [position, ...links.map(jobJson)],
      });
      return added === 1;
    });
  }

  async retryFailed(selector: RetryFailedSelector, now: number): Promise<string[]> {
    return this.#guard('retryFailed', async () => {
      const moved: string[] = [];
      if (selector.ids) {
        const located = await this.#ctx.locator.locate(this.redis, selector.ids);
        const calls: ScriptCall[] = [];
        for (const [queue, ids] of byQueue(selector.ids, located)) {
          calls.push({
            name: 'retry-failed',
            keys: [this.keys.queue(queue, 'failed')],
            args: [queue, now, 'ids', ...ids],
          });
        }
        for (const { error, value } of await this.#ctx.scripts.runMany(this.redis, calls)) {
          if (error) throw error;
          moved.push(...(value as [number, ...string[]]).slice(1).map(String));
        }
        return moved;
      }
      const targets = selector.queue !== undefined ? [selector.queue] : await reads.queues(this.#ctx);
      const BATCH = 1_000;
      for (const queue of targets) {
        for (;;) {
          const [scanned, ...ids] = (await this.#run({
            name: 'retry-failed',
            keys: [this.keys.queue(queue, 'failed')],
            args: [queue, now, 'all', BATCH],
          })) as [number, ...string[]];
          moved.push(...ids.map(String));
          if (scanned < BATCH) break;
        }
      }
      return moved;
    });
  }

  async remove(jobIds: string[]): Promise<number> {
    return this.#guard('remove', async () => {
      const located = await this.#ctx.locator.locate(this.redis, jobIds);
      const calls: ScriptCall[] = [...byQueue(jobIds, located)].map(([queue, ids]) => ({
        name: 'remove',
        keys: [this.keys.queue(queue, 'jobs')],
        args: [queue, ...ids],
      }));
      let removed = 0;
      for (const { error, value } of await this.#ctx.scripts.runMany(this.redis, calls)) {
        if (error) throw error;
        removed += Number(value);
      }
      return removed;
    });
  }

  async clean(request: CleanRequest): Promise<number> {
    return this.#guard('clean', async () => {
      const removed = await this.#run({
        name: 'clean',
        keys: [this.keys.queue(request.queue, request.state), this.keys.queue(request.queue, 'jobs')],
        args: [request.queue, request.finishedBefore, Math.max(0, request.keep), Math.max(0, request.limit)],
      });
      return Number(removed);
    });
  }

  async acquireLock(key: string, owner: string, ttlMs: number | null, now: number): Promise<boolean> {
    return this.#guard('acquireLock', async () => {
      const taken = await this.#run({
        name: 'acquire-lock',
        keys: [this.keys.lock(key)],
        args: [owner, ttlMs ?? '', now],
      });
      return taken === 1;
    });
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    return this.#guard('releaseLock', async () => {
      const released = await this.#run({ name: 'release-lock', keys: [this.keys.lock(key)], args: [owner] });
      return released === 1;
    });
  }

  async hitRateLimit(key: string, limit: number, windowMs: number, now: number): Promise<RateLimitResult> {
    return this.#guard('hitRateLimit', async () => {
      const window = Math.floor(now / windowMs);
      const [allowed, count] = (await this.#run({
        name: 'hit-rate-limit',
        keys: [this.keys.rate(key, window)],
        args: [limit, windowMs],
      })) as [number, number];
      return allowed === 1
        ? { allowed: true, count, retryAt: null }
        : { allowed: false, count, retryAt: (window + 1) * windowMs };
    });
  }

  saveSchedule(schedule: ScheduleRecord): Promise<void> {
    return this.#guard('saveSchedule', () => schedules.saveSchedule(this.#ctx, schedule));
  }

  listSchedules(): Promise<ScheduleRecord[]> {
    return this.#guard('listSchedules', () => schedules.listSchedules(this.#ctx));
  }

  removeSchedule(name: string): Promise<boolean> {
    return this.#guard('removeSchedule', () => schedules.removeSchedule(this.#ctx, name));
  }

  claimOccurrence(name: string, at: number, nextRunAt: number | null): Promise<boolean> {
    return this.#guard('claimOccurrence', () => schedules.claimOccurrence(this.#ctx, name, at, nextRunAt));
  }

  subscribe(
    listener: (event: DriverEvent) => void,
    types?: ReadonlyArray<DriverEvent['type']>,
  ): Promise<Unsubscribe> {
    return this.#guard('subscribe', () => this.#subscriber.subscribe(listener, types));
  }

  setQueueSettings(queue: string, patch: QueueSettingsPatch): Promise<QueueSettings> {
    return this.#guard('setQueueSettings', () => admin.setQueueSettings(this.#ctx, queue, patch));
  }

  getQueueSettings(queue: string): Promise<QueueSettings> {
    return this.#guard('getQueueSettings', () => admin.getQueueSettings(this.#ctx, queue));
  }

  saveWorker(record: WorkerRecord): Promise<void> {
    return this.#guard('saveWorker', () => admin.saveWorker(this.#ctx, record));
  }

  removeWorker(workerId: string): Promise<void> {
    return this.#guard('removeWorker', () => admin.removeWorker(this.#ctx, workerId));
  }

  listWorkers(now: number): Promise<WorkerRecord[]> {
    return this.#guard('listWorkers', () => admin.listWorkers(this.#ctx, now));
  }

  incrementMetrics(increments: MetricsIncrement[], ttlMs: number): Promise<void> {
    return this.#guard('incrementMetrics', () => admin.incrementMetrics(this.#ctx, increments, ttlMs));
  }

  readMetrics(queue: string, fromMinute: number, toMinute: number): Promise<MetricsBucket[]> {
    return this.#guard('readMetrics', () => admin.readMetrics(this.#ctx, queue, fromMinute, toMinute));
  }

  /**
   * Deletes every key of this driver's prefix (SCAN + UNLINK). For tests and teardown: it removes all jobs,
   * batches, chains, locks and schedules stored under the prefix. Returns how many keys were deleted.
   */
  async purge(): Promise<number> {
    return this.#guard('purge', async () => {
      let cursor = '0';
      let deleted = 0;
      do {
        const [next, found] = await this.redis.scan(cursor, 'MATCH', this.keys.pattern, 'COUNT', 1_000);
        cursor = next;
        if (found.length > 0) deleted += await this.redis.unlink(...found);
      } while (cursor !== '0');
      return deleted;
    });
  }

  /** Releases every connection the driver opened (never a caller's), resolves pending waits. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#waiter.close();
      await this.#subscriber.close();
      if (this.#connections.owned) await closeConnection(this.#connections.main);
    })();
    return this.#closing;
  }

  #reserved(flats: unknown[]): ReservedJob[] {
    return flats.map((flat) => {
      const job = parseReserved(flat);
      this.#ctx.locator.remember(job.id, job.queue);
      return job;
    });
  }

  /**
   * Whether a worker's call (`reserve`, `settleAndReserve`) would be alone in this tick's auto-pipeline: then it is
   * written at once, since the auto-pipeline writes at the end of the tick, one event-loop turn later, and there is
   * nothing to share that write with. With calls waiting (settles), it goes with them, in one write.
   */
  #aloneInTick(): boolean {
    return this.redis.autoPipelineQueueSize === 0;
  }

  #run(call: ScriptCall): Promise<unknown> {
    return this.#ctx.scripts.run(this.redis, call);
  }

  async #guard<T>(operation: string, body: () => Promise<T>): Promise<T> {
    if (this.#closing) throw closedError(operation);
    try {
      return await body();
    } catch (error) {
      throw toDriverError(error, operation, this.#connections.target);
    }
  }
}
