import type { Driver } from '../driver.js';
import { ConfigurationError, quote } from '../errors.js';
import type { Job, JobContext } from '../job.js';

/** Runs the rest of the pipeline (the next middleware, or the handler) and resolves with the job's result. */
export type Next = () => Promise<unknown>;

/**
 * Job middleware: a plain async function around the handler. It may run the job (`return next()`), release it
 * for later without counting the attempt (`ctx.release(delay)`), fail it (`ctx.fail(reason)`), or return
 * without calling `next()` (the job completes with that value as its result, and its handler never runs).
 *
 * ```ts
 * const logged: Middleware = async (job, ctx, next) => {
 *   const started = Date.now();
 *   try { return await next(); } finally { console.log(ctx.name, Date.now() - started, 'ms'); }
 * };
 * class SendEmail extends Job { static middleware = [logged, rateLimited('mail', { limit: 100, per: '1m' })]; }
 * ```
 */
export type Middleware<J extends Job = Job> = {
  // A method signature, so a `Middleware<SendEmail>` fits where a `Middleware<Job>` is expected (as in a
  // `static middleware` list): the worker only ever passes a job of the declaring class.
  bivarianceHack(job: J, ctx: JobContext, next: Next): unknown;
}['bivarianceHack'];

/** The stored form of a built-in middleware given to `.through()`: its name and its resolved arguments. */
export interface MiddlewareSpec {
  name: string;
  args: unknown[];
}

/** How a built-in middleware turns into its stored form for one job (resolving keys that depend on the job). */
type SpecMaker = (job: Job) => MiddlewareSpec;

const specMakers = new WeakMap<Function, SpecMaker>();

/** @internal Marks a built-in middleware as able to travel with a dispatched job (`.through()`). */
export function travels<M extends Function>(middleware: M, toSpec: SpecMaker): M {
  specMakers.set(middleware, toSpec);
  return middleware;
}

/**
 * The stored form of `.through([...])` for `job`. Only built-ins whose arguments are data can travel; a custom
 * function (or `skipIf`) is a `ConfigurationError` that says to declare it on the class.
 */
export function toSpecs(list: unknown, job: Job): MiddlewareSpec[] {
  if (!Array.isArray(list)) {
    throw new ConfigurationError(
      `Invalid .through() argument ${quote(list)}: pass an array of middleware, like [rateLimited('mail', { limit: 100, per: '1m' })].`,
    );
  }
  return list.map((middleware) => {
    const toSpec = typeof middleware === 'function' ? specMakers.get(middleware) : undefined;
    if (!toSpec) {
      throw new ConfigurationError(
        `${quote(middleware)} cannot travel with a dispatched job: .through() takes the built-ins rateLimited, ` +
          'withoutOverlapping and throttlesExceptions. Declare custom middleware (and skipIf) on the class: ' +
          '`static middleware = [...]`.',
      );
    }
    return toSpec(job);
  });
}

/** Checks a class's `static middleware`: an array of functions. */
export function validateClassMiddleware(value: unknown, jobName: string): readonly Middleware[] {
  if (!Array.isArray(value) || !value.every((m) => typeof m === 'function')) {
    throw new ConfigurationError(
      `Invalid static middleware of ${jobName}: ${quote(value)}; use an array of middleware functions, like ` +
        "[rateLimited('mail', { limit: 100, per: '1m' }), withoutOverlapping()].",
    );
  }
  return value as Middleware[];
}

/** What the built-in middleware need from the worker running the attempt. */
export interface MiddlewareRuntime {
  readonly driver: Driver;
  now(): number;
  /** The job's registry name. */
  readonly jobName: string;
  /** This attempt's identity (job id + lease token): the owner of the locks it takes. */
  readonly owner: string;
}

const runtimes = new WeakMap<JobContext, MiddlewareRuntime>();

/** @internal Set by the pipeline for the context of an attempt it runs. */
export function bindRuntime(ctx: JobContext, runtime: MiddlewareRuntime): void {
  runtimes.set(ctx, runtime);
}

/** @internal The runtime of a context the pipeline runs; built-ins work only inside a worker. */
export function runtimeOf(ctx: JobContext, middleware: string): MiddlewareRuntime {
  const runtime = runtimes.get(ctx);
  if (!runtime) {
    throw new ConfigurationError(
      `${middleware}() runs inside a worker only: list it in \`static middleware\` or .through(), not call it yourself.`,
    );
  }
  return runtime;
}

/** A key part given as a value or as a function of the job: resolved to a non-empty string. */
export type KeyPart<J extends Job = Job> = string | number | ((job: J) => string | number);

export function validateKeyPart(value: unknown, what: string): void {
  if (typeof value === 'function') return;
  if (
    (typeof value === 'string' && value.length > 0) ||
    (typeof value === 'number' && Number.isFinite(value))
  )
    return;
  throw new ConfigurationError(
    `Invalid ${what} ${quote(value)}: use a non-empty string, a number, or a function of the job returning one.`,
  );
}

export function resolveKeyPart(value: KeyPart<never> | KeyPart, job: Job, what: string): string {
  const resolved: unknown = typeof value === 'function' ? (value as (job: Job) => unknown)(job) : value;
  if (
    (typeof resolved === 'string' && resolved.length > 0) ||
    (typeof resolved === 'number' && Number.isFinite(resolved))
  ) {
    return String(resolved);
  }
  throw new ConfigurationError(
    `Invalid ${what}: the function returned ${quote(resolved)}; return a non-empty string or a number.`,
  );
}
