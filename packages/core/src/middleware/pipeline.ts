import type { Attempt } from '../attempt.js';
import type { Conveyor } from '../conveyor.js';
import { ConfigurationError, ConveyorError, quote } from '../errors.js';
import type { Job, JobContext } from '../job.js';
import {
  bindRuntime,
  type Middleware,
  type MiddlewareSpec,
  type Next,
  validateClassMiddleware,
} from './middleware.js';
import { rateLimited } from './rate-limited.js';
import { throttlesExceptions } from './throttles-exceptions.js';
import { withoutOverlapping } from './without-overlapping.js';

/** The built-ins `.through()` may store, rebuilt by name on the worker. */
const BUILT_INS: Record<string, (...args: never[]) => Middleware> = {
  rateLimited: rateLimited as (...args: never[]) => Middleware,
  withoutOverlapping: withoutOverlapping as (...args: never[]) => Middleware,
  throttlesExceptions: throttlesExceptions as (...args: never[]) => Middleware,
};

/** Rebuilds a stored middleware; an unknown name (stored by a newer version) fails the attempt. */
export function fromSpec(spec: MiddlewareSpec): Middleware {
  const make = spec !== null && typeof spec === 'object' ? BUILT_INS[spec.name] : undefined;
  if (!make || !Array.isArray(spec.args)) {
    throw new ConfigurationError(
      `Unknown stored middleware ${quote(spec)}: this worker knows ${Object.keys(BUILT_INS).join(', ')}.`,
    );
  }
  return (make as (...args: unknown[]) => Middleware)(...spec.args);
}

/**
 * Runs a job's handler through its middleware: the class's `static middleware` first (outermost), then those
 * given to `.through()` at dispatch, then the handler. With no middleware it calls the handler directly (no
 * promise, no allocation). Once the attempt's signal aborts (timeout, cancel, shutdown, lost lease) `next()`
 * rejects with its reason, so middleware that wait on it (a lock's `finally`) end with the attempt even when
 * the handler never returns.
 */
export function handleThrough(job: Job, ctx: JobContext, attempt: Attempt, conveyor: Conveyor): unknown {
  const declared = attempt.cls?.middleware;
  const stored = attempt.options.middleware;
  if (declared === undefined && stored === undefined) return job.handle(ctx);
  const { id, name, token } = attempt.record;
  const list = [
    ...(declared === undefined ? [] : validateClassMiddleware(declared, name)),
    ...(stored ?? []).map(fromSpec),
  ];
  if (list.length === 0) return job.handle(ctx);
  bindRuntime(ctx, {
    driver: conveyor.driver,
    now: () => conveyor.clock.now(),
    jobName: name,
    owner: `${id}:${token}`,
  });
  return step(list, 0, job, ctx);
}

function step(list: readonly Middleware[], index: number, job: Job, ctx: JobContext): Promise<unknown> {
  if (index === list.length) return handle(job, ctx);
  const middleware = list[index]!;
  let called = false;
  const next: Next = () => {
    if (called) {
      return Promise.reject(
        new ConveyorError(`Middleware ${quote(middleware)} of job ${ctx.name} called next() twice.`),
      );
    }
    called = true;
    return step(list, index + 1, job, ctx);
  };
  try {
    return Promise.resolve(middleware(job, ctx, next));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The handler, raced against the attempt's signal. */
function handle(job: Job, ctx: JobContext): Promise<unknown> {
  const signal = ctx.signal;
  if (signal.aborted) return Promise.reject(signal.reason);
  let ran: Promise<unknown>;
  try {
    ran = Promise.resolve(job.handle(ctx));
  } catch (error) {
    ran = Promise.reject(error);
  }
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([ran, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
