import { validateBackoff } from './backoff.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import { type Backoff, type Job, type JobClass, PRIORITIES, type Priority } from './job.js';
import {
  type Middleware,
  type MiddlewareSpec,
  toSpecs,
  validateClassMiddleware,
} from './middleware/middleware.js';
import type { UniqueSetting } from './unique.js';

/** Options a dispatch can set; each overrides the instance property, which overrides the class static. */
export interface DispatchOptions {
  queue?: string;
  delay?: Duration | Date;
  maxAttempts?: number;
  backoff?: Backoff;
  priority?: Priority;
  timeout?: Duration;
  retryUntil?: Date;
  meta?: Record<string, unknown>;
  /** The builder's uniqueness lock (`.unique()`), over the class's `static unique`. */
  unique?: UniqueSetting;
  /** Built-in middleware given to `.through()`, stored with the job; they run inside the class's. */
  through?: readonly Middleware[];
}

/** Core's part of a stored job (the `options` string of a record), encoded with superjson. */
export interface StoredJobOptions {
  timeout?: number;
  /** Absent when the class's static backoff function applies. */
  backoff?: Exclude<Backoff, Function>;
  retryUntil?: number;
  meta?: Record<string, unknown>;
  /**
   * Set on a callback job (batch `then`/`catch`/`finally`, chain `catch`): the batch or chain it answers for.
   * A callback is not a member of its batch (its `batchId` is null, so it is not counted); the worker reads
   * this to give it `ctx.batch` / `ctx.chain`.
   */
  callbackFor?: CallbackTarget;
  /** Middleware given to `.through()` at dispatch, in stored form (rebuilt by name on the worker). */
  middleware?: MiddlewareSpec[];
}

/** What a callback job was enqueued for. */
export type CallbackTarget =
  | { batchId: string; on: 'then' | 'catch' | 'finally' }
  | { chainId: string; on: 'catch' };

/** The resolved options of one dispatch. */
export interface ResolvedJobOptions {
  queue: string;
  delayMs: number;
  maxAttempts: number;
  priority: number;
  stored: StoredJobOptions;
}

export const DEFAULT_QUEUE = 'default';

export function validateQueueName(queue: unknown): string {
  if (typeof queue !== 'string' || queue.length === 0 || /[{}\s]/.test(queue)) {
    throw new ConfigurationError(
      `Invalid queue name ${quote(queue)}: use a non-empty string without spaces or braces, like 'emails'.`,
    );
  }
  return queue;
}

export function validateMaxAttempts(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`Invalid maxAttempts ${quote(value)}: use a whole number >= 1.`);
  }
  return value;
}

export function priorityLevel(value: unknown): number {
  if (typeof value === 'string' && value in PRIORITIES) return PRIORITIES[value as keyof typeof PRIORITIES];
  if (value === 1 || value === 2 || value === 3 || value === 4) return value;
  throw new ConfigurationError(
    `Unknown priority ${quote(value)}: use 'low', 'normal', 'high', 'critical' (or 1..4).`,
  );
}

/** Delay in ms from a duration or a Date, relative to `now`. */
export function delayMs(value: Duration | Date, now: number): number {
  if (value instanceof Date) {
    const at = value.getTime();
    if (Number.isNaN(at)) throw new ConfigurationError(`Invalid delay ${quote(value)}: the Date is invalid.`);
    return Math.max(0, at - now);
  }
  return toMs(value, 'delay');
}

/**
 * True when the job sets no option on its instance (nor `retryUntil()`): its resolved options then depend only
 * on its class and the builder's options.
 */
export function usesClassOptions(job: Job): boolean {
  return (
    job.queue === undefined &&
    job.maxAttempts === undefined &&
    job.backoff === undefined &&
    job.timeout === undefined &&
    job.priority === undefined &&
    job.retryUntil === undefined
  );
}

/** Resolves builder > instance property > class static > defaults, validating each value. */
export function resolveJobOptions(job: Job, builder: DispatchOptions, now: number): ResolvedJobOptions {
  const cls = job.constructor as JobClass;
  const pick = <K extends keyof DispatchOptions & keyof Job>(key: K) =>
    builder[key] !== undefined
      ? builder[key]
      : job[key] !== undefined
        ? job[key]
        : cls[key as keyof JobClass];

  const backoff = pick('backoff') as Backoff | undefined;
  if (backoff !== undefined) validateBackoff(backoff);
  if (typeof builder.backoff === 'function' || typeof job.backoff === 'function') {
    throw new ConfigurationError(
      'A backoff function cannot travel with a dispatched job: declare it on the class as `static backoff = (attempt, error) => ms`.',
    );
  }
  const timeout = pick('timeout') as Duration | undefined;
  const retryUntil = builder.retryUntil ?? job.retryUntil?.();
  if (retryUntil !== undefined && (!(retryUntil instanceof Date) || Number.isNaN(retryUntil.getTime()))) {
    throw new ConfigurationError(`Invalid retryUntil ${quote(retryUntil)}: use a valid Date.`);
  }
  const stored: StoredJobOptions = {};
  if (timeout !== undefined) stored.timeout = toMs(timeout, 'timeout');
  if (backoff !== undefined && typeof backoff !== 'function') stored.backoff = backoff;
  if (retryUntil) stored.retryUntil = retryUntil.getTime();
  if (builder.meta !== undefined) {
    if (builder.meta === null || typeof builder.meta !== 'object' || Array.isArray(builder.meta)) {
      throw new ConfigurationError(`Invalid meta ${quote(builder.meta)}: use a plain object.`);
    }
    stored.meta = builder.meta;
  }
  if (cls.middleware !== undefined) validateClassMiddleware(cls.middleware, cls.name);
  if (builder.through !== undefined) {
    const specs = toSpecs(builder.through, job);
    if (specs.length > 0) stored.middleware = specs;
  }
  return {
    queue: validateQueueName(pick('queue') ?? DEFAULT_QUEUE),
    delayMs: builder.delay === undefined ? 0 : delayMs(builder.delay, now),
    maxAttempts: validateMaxAttempts(pick('maxAttempts') ?? 1),
    priority: priorityLevel(pick('priority') ?? 'normal'),
    stored,
  };
}
