/**
 * Building blocks shared by the driver conformance suites: records as core would hand them to a driver, and
 * small steps (reserve one job, settle it) that keep each test about the rule it proves.
 *
 * Every id, token and `now` is made here or in the test, never by the driver, exactly as core does it.
 */
import { randomUUID } from 'node:crypto';
import type {
  BatchChange,
  Driver,
  DriverEvent,
  JobErrorRecord,
  JobState,
  NewBatch,
  NewChain,
  NewJob,
  ReservedJob,
  ReserveRequest,
  ReserveResult,
  SettleOutcome,
  SettleResult,
  UniqueSpec,
} from '@conveyor/core/driver';

/** 2026-01-01T00:00:00Z: the fixed "now" every test starts from (a whole minute, so rate windows align). */
export const T0 = 1_767_225_600_000;
export const SECOND = 1_000;
export const MINUTE = 60_000;
export const LEASE_MS = 30_000;
/** How long a test waits for something asynchronous (an event, a wake-up) before calling it missing. */
export const PATIENCE_MS = 2_000;
/** A wait long enough that only a wake-up, never the timeout, can end it within PATIENCE_MS. */
export const LONG_WAIT_MS = 60_000;

/** A fresh lease token (core makes one per reservation). */
export const newToken = (): string => randomUUID();

/** A job as `push` receives it: ready at once on queue `default`, priority normal, three attempts. */
export function newJob(fields: Partial<NewJob> = {}): NewJob {
  return {
    id: randomUUID(),
    name: 'SendEmail',
    queue: 'default',
    payload: '{"to":"a@b.c","subject":"Hi"}',
    options: '{"timeout":10000}',
    priority: 2,
    maxAttempts: 3,
    delayMs: 0,
    unique: null,
    batchId: null,
    ...fields,
  };
}

/** A job holding the uniqueness lock `key`. */
export function uniqueJob(
  key: string,
  until: UniqueSpec['until'],
  ttlMs: number | null = null,
  fields: Partial<NewJob> = {},
): NewJob {
  return newJob({ unique: { key, ttlMs, until }, ...fields });
}

/** A chain of `links`; pass `batchId` to place it (and its links) in a batch. */
export function newChain(links: NewJob[], fields: Partial<Omit<NewChain, 'links'>> = {}): NewChain {
  const batchId = fields.batchId ?? null;
  return {
    id: randomUUID(),
    catch: [],
    options: '{"name":"onboarding"}',
    batchId,
    ...fields,
    links: links.map((link) => ({ ...link, batchId })),
  };
}

/** A batch without callbacks that does not allow failures. */
export function newBatch(fields: Partial<NewBatch> = {}): NewBatch {
  return {
    id: randomUUID(),
    allowFailures: false,
    // biome-ignore lint/suspicious/noThenProperty: `then` is the contract's name for the batch callback.
    then: [],
    catch: [],
    finally: [],
    options: '{"name":"newsletter"}',
    ...fields,
  };
}

/** A batch whose then/catch/finally callbacks wait on queue `callbacks`, out of the members' way. */
export function batchWithCallbacks(fields: Partial<NewBatch> = {}): NewBatch {
  return newBatch({
    // biome-ignore lint/suspicious/noThenProperty: `then` is the contract's name for the batch callback.
    then: [newJob({ name: 'MarkSent', queue: 'callbacks' })],
    catch: [newJob({ name: 'AlertOps', queue: 'callbacks' })],
    finally: [newJob({ name: 'Cleanup', queue: 'callbacks' })],
    ...fields,
  });
}

/** The state of each callback job, in then/catch/finally order (null: never enqueued). */
export function callbackStates(driver: Driver, batch: NewBatch): Promise<Array<JobState | null>> {
  return statesOf(driver, [batch.then[0]!.id, batch.catch[0]!.id, batch.finally[0]!.id]);
}

type Threshold = keyof BatchChange['crossed'];

/** The `crossed` flags of a batch change with exactly `names` set: `crossed('then', 'finally')`, `crossed()`. */
export function crossed(...names: Threshold[]): BatchChange['crossed'] {
  const thresholds: Threshold[] = ['then', 'catch', 'finally'];
  return Object.fromEntries(thresholds.map((name) => [name, names.includes(name)])) as BatchChange['crossed'];
}

/** `count` member jobs of `batchId`. */
export function members(batchId: string, count: number, fields: Partial<NewJob> = {}): NewJob[] {
  return Array.from({ length: count }, () => newJob({ batchId, ...fields }));
}

export function jobError(attempt: number, at: number, message = 'boom'): JobErrorRecord {
  return { name: 'Error', message, stack: `Error: ${message}\n    at handle (job.ts:1:1)`, attempt, at };
}

export const completed = (result: string | null = null): SettleOutcome => ({ type: 'completed', result });
export const retryAt = (availableAt: number, error: JobErrorRecord): SettleOutcome => ({
  type: 'retry',
  availableAt,
  error,
});
export const failedWith = (error: JobErrorRecord): SettleOutcome => ({ type: 'failed', error });
export const releasedUntil = (availableAt: number): SettleOutcome => ({ type: 'released', availableAt });
export const cancelled = (): SettleOutcome => ({ type: 'cancelled' });

export interface ReserveOptions {
  queues?: string[];
  max?: number;
  leaseMs?: number;
  workerId?: string;
  token?: string;
}

/** A reserve request with sensible defaults (queue `default`, max 10, a fresh token). */
export function reserveRequest(now: number, options: ReserveOptions = {}): ReserveRequest {
  return {
    queues: options.queues ?? ['default'],
    max: options.max ?? 10,
    leaseMs: options.leaseMs ?? LEASE_MS,
    workerId: options.workerId ?? 'worker-1',
    token: options.token ?? newToken(),
    now,
  };
}

/** One `reserve` call with `reserveRequest`'s defaults. */
export function reserve(driver: Driver, now: number, options: ReserveOptions = {}): Promise<ReserveResult> {
  return driver.reserve(reserveRequest(now, options));
}

/** Reserves the next ready job; fails the test when there is none. */
export async function reserveOne(
  driver: Driver,
  now: number,
  options: Omit<ReserveOptions, 'max'> = {},
): Promise<ReservedJob> {
  const { jobs } = await reserve(driver, now, { ...options, max: 1 });
  const job = jobs[0];
  if (!job) throw new Error(`expected a ready job in ${JSON.stringify(options.queues ?? ['default'])}`);
  return job;
}

/** Ids of every job `reserve` hands out at `now` (up to 1,000). */
export async function reserveIds(
  driver: Driver,
  now: number,
  options: ReserveOptions = {},
): Promise<string[]> {
  const { jobs } = await reserve(driver, now, { max: 1_000, ...options });
  return jobs.map((job) => job.id);
}

/** Settles one reserved job with its own token. */
export async function settle(
  driver: Driver,
  job: { id: string; token: string },
  outcome: SettleOutcome,
  now: number,
): Promise<SettleResult> {
  const [result] = await driver.settle([{ jobId: job.id, token: job.token, outcome }], now);
  if (!result) throw new Error('settle returned no result');
  return result;
}

/** Reserves the next job of `queue` and settles it with `outcome`, as a worker running it would. */
export async function runNext(
  driver: Driver,
  now: number,
  outcome: SettleOutcome | ((job: ReservedJob) => SettleOutcome) = completed(),
  queue = 'default',
): Promise<{ job: ReservedJob; result: SettleResult }> {
  const job = await reserveOne(driver, now, { queues: [queue] });
  const result = await settle(driver, job, typeof outcome === 'function' ? outcome(job) : outcome, now);
  return { job, result };
}

/** Reserves the next job of `queue` and fails it finally. */
export function failNext(driver: Driver, now: number, queue = 'default') {
  return runNext(driver, now, (job) => failedWith(jobError(job.attempts, now)), queue);
}

/** The batch part of a successful settle or cancel; fails the test when there is none. */
export function batchOf(result: SettleResult | { batch: BatchChange | null } | null): BatchChange {
  if (!result || ('ok' in result && !result.ok)) throw new Error('expected a successful settle');
  if (!('batch' in result) || !result.batch) throw new Error('expected a batch change');
  return result.batch;
}

export async function stateOf(driver: Driver, jobId: string): Promise<JobState | null> {
  return (await driver.get(jobId))?.state ?? null;
}

export async function statesOf(driver: Driver, jobIds: string[]): Promise<Array<JobState | null>> {
  return Promise.all(jobIds.map((id) => stateOf(driver, id)));
}

/** Races `promise` against a timer: `'resolved'` if it settles first, else `'timeout'`. */
export async function within(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise.then(() => 'resolved' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface EventLog {
  events: DriverEvent[];
  /** The first event (already seen or still to come) that matches; rejects after `PATIENCE_MS`. */
  waitFor(match: (event: DriverEvent) => boolean): Promise<DriverEvent>;
  unsubscribe(): Promise<void>;
}

/** Subscribes to `driver` and records every event it delivers. */
export async function recordEvents(driver: Driver): Promise<EventLog> {
  const events: DriverEvent[] = [];
  const waiters = new Set<{
    match: (event: DriverEvent) => boolean;
    resolve: (event: DriverEvent) => void;
  }>();
  const unsubscribe = await driver.subscribe((event) => {
    events.push(event);
    for (const waiter of waiters) {
      if (waiter.match(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  return {
    events,
    unsubscribe,
    waitFor(match) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (event: DriverEvent) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching event within ${PATIENCE_MS} ms; saw ${JSON.stringify(events)}`));
        }, PATIENCE_MS);
        waiters.add(waiter);
      });
    },
  };
}
