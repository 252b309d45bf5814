import type { BatchItem } from './batch-items.js';
import type { BatchProgress, BatchState } from './batch-state.js';
import type { ChainInfo } from './chain-handle.js';
import type { Duration } from './duration.js';
import type { Middleware } from './middleware/middleware.js';
import type { UniqueSetting } from './unique.js';

/** Named priorities and their numeric levels (higher runs first). */
export const PRIORITIES = { low: 1, normal: 2, high: 3, critical: 4 } as const;
export type PriorityName = keyof typeof PRIORITIES;
export type Priority = PriorityName | 1 | 2 | 3 | 4;

/** `delay * factor^(attempt-1)`, capped at `max`, with optional full jitter. */
export interface ExponentialBackoff {
  type: 'exponential';
  delay: number;
  /** Default 2. */
  factor?: number;
  /** Upper bound in ms. Default none. */
  max?: number;
  /** Picks a random delay in [delay/2, delay] to spread retries. Default false. */
  jitter?: boolean;
}

/** `(attempt, error) => ms`: only as a class static (a function cannot travel with a dispatched job). */
export type BackoffFunction = (attempt: number, error: Error) => number;

/** Fixed ms; an array (attempt n waits `arr[n-1]`, the last repeating); exponential; or a function. */
export type Backoff = number | readonly number[] | ExponentialBackoff | BackoffFunction;

/**
 * What `ctx.batch` gives a job that belongs to a batch, or that runs as one of its `then`/`catch`/`finally`
 * callbacks (a callback is not a member: it is not counted).
 */
export interface BatchContext {
  readonly id: string;
  /** Which callback this job runs as; null for a member. */
  readonly callback: 'then' | 'catch' | 'finally' | null;
  /** The batch's counts now: `{ total, pending, processed, failed, cancelled, percentage, finished }`. */
  progress(): Promise<BatchProgress>;
  /** The counts plus name, cancel and finish times and the failed member ids. */
  state(): Promise<BatchState>;
  /** True once the batch was cancelled: a long member can stop early (running members are not interrupted). */
  cancelled(): Promise<boolean>;
  /** Cancels the batch (see `BatchHandle.cancel`). */
  cancel(): Promise<BatchProgress>;
  /** Adds jobs (arrays of jobs: chains) to the batch, as Laravel's `$this->batch()->add()`. */
  add(items: readonly BatchItem[]): Promise<void>;
}

/** What `ctx.chain` gives a job that runs inside a chain, or as the chain's `catch` callback. */
export interface ChainContext {
  readonly id: string;
  /** `'catch'` when this job runs as the chain's catch callback (not a link); null for a link. */
  readonly callback: 'catch' | null;
  /** Adds jobs after the chain's last link. Rejects once the chain is over. */
  append(...jobs: Job[]): Promise<void>;
  /** Adds jobs to run right after this one. Rejects once the chain is over. */
  prepend(...jobs: Job[]): Promise<void>;
  /** The chain as stored now (state, name, link ids, position), or null if unknown. */
  info(): Promise<ChainInfo | null>;
}

/** What a running job is given. */
export interface JobContext {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  /** This attempt, 1-based. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborts on timeout, on `job.cancel()`, and at the end of a graceful shutdown's grace period. */
  readonly signal: AbortSignal;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly batch: BatchContext | null;
  readonly chain: ChainContext | null;
  /** Stores progress (a number, typically 0..100, or a JSON object); visible through `job.progress()`. */
  progress(value: number | Record<string, unknown>): Promise<void>;
  /** Fails the job now, with no retry. Throws; `return ctx.fail(...)` reads well. */
  fail(reason?: string | Error): never;
  /** Puts the job back on its queue after `delay` without counting the attempt. Throws to stop the handler. */
  release(delay?: Duration): never;
}

/** The class-level defaults a job class may declare (all optional). */
export interface JobClassOptions {
  /** The registry name. Defaults to the class name; set it, since bundlers rename classes. */
  jobName?: string;
  queue?: string;
  /** Default 1 (one attempt, no retry: Laravel's default). */
  maxAttempts?: number;
  backoff?: Backoff;
  timeout?: Duration;
  priority?: Priority;
  /** A uniqueness lock for every dispatch of the class: `true` or `{ key?, for?, until? }`. */
  unique?: UniqueSetting;
  /** Middleware around the handler, outermost first. */
  middleware?: readonly Middleware[];
}

/** A job class: something with a no-argument-needed prototype and the optional statics above. */
export type JobClass<T extends Job = Job> = (abstract new (...args: never[]) => T) & JobClassOptions;

/**
 * The base class of every job. The job's payload is its own enumerable properties; a worker rebuilds the
 * instance from its class without calling the constructor.
 *
 * Instance-level options: assign `queue`, `maxAttempts`, `backoff`, `timeout`, `priority` on the instance
 * (for example in the constructor) to override the class's statics. These names are reserved: they are
 * stored as the job's options, not in its payload. `retryUntil()` may return a Date that bounds retries.
 */
export abstract class Job<TResult = unknown> {
  /** The registry name. Defaults to the class name; set it, since bundlers rename classes. */
  static jobName?: string;
  /** Default queue. Default `'default'`. */
  static queue?: string;
  /** Attempts before the job fails for good. Default 1 (no retry, as in Laravel). */
  static maxAttempts?: number;
  /** Delay between attempts: ms, ms[], exponential, or `(attempt, error) => ms`. Default none. */
  static backoff?: Backoff;
  /** Time limit per attempt. Default none. */
  static timeout?: Duration;
  /** Default `'normal'`. */
  static priority?: Priority;
  /**
   * Dispatch only when no job with the same key is waiting or running: `true`, or
   * `{ key?, for?, until? }` (see `UniqueOptions`). A duplicate dispatch stores nothing and returns a handle to
   * the holder with `duplicate: true`. The builder's `.unique()` overrides it field by field. Default: none.
   */
  static unique?: UniqueSetting;
  /**
   * Middleware around `handle()`, outermost first: `rateLimited`, `withoutOverlapping`, `throttlesExceptions`,
   * `skipIf`, or your own `(job, ctx, next) => result`. Those given to `.through()` at dispatch run inside
   * these. Default: none.
   */
  static middleware?: readonly Middleware[];

  declare queue?: string;
  declare maxAttempts?: number;
  declare backoff?: Exclude<Backoff, BackoffFunction>;
  declare timeout?: Duration;
  declare priority?: Priority;
  /** Phantom field carrying the result type; never set. */
  declare readonly __result?: TResult;

  /** Runs the job. What it returns is stored as the job's result. */
  abstract handle(ctx: JobContext): TResult | Promise<TResult>;

  /** Called once, after the final failed attempt (not between retries). */
  failed?(error: Error, ctx: JobContext): void | Promise<void>;

  /** A time after which the job is not retried again. */
  retryUntil?(): Date;

  /**
   * The uniqueness key of this job, when the class or the dispatch is unique and gives no `key`: the lock is
   * `<job name>:<uniqueId>` (Laravel's `uniqueId()`). Defining it does not make the job unique by itself.
   */
  uniqueId?(): string | number;
}

/** The result type of a job instance. */
export type ResultOf<J> = J extends Job<infer R> ? Awaited<R> : unknown;

/** Instance properties that are options, not payload. */
export const RESERVED_JOB_KEYS: ReadonlySet<string> = new Set([
  'queue',
  'maxAttempts',
  'backoff',
  'timeout',
  'priority',
]);
