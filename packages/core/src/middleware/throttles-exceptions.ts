import { AttemptAbortedError, ReleaseSignal } from '../attempt.js';
import { type Duration, toMs } from '../duration.js';
import { ConfigurationError, quote } from '../errors.js';
import type { Job } from '../job.js';
import { optionObject, wholeNumber } from '../option-object.js';
import {
  type KeyPart,
  type Middleware,
  resolveKeyPart,
  runtimeOf,
  travels,
  validateKeyPart,
} from './middleware.js';

export interface ThrottleOptions<J extends Job = Job> {
  /** The window in which `maxErrors` failures open the throttle (fixed windows, as `rateLimited`). Default `'10m'`. */
  per?: Duration;
  /** How long a job is released for while the throttle is open. Default: until the window ends. */
  backoff?: Duration;
  /** Jobs that share this key share the count. Default: the job's name (every job of the class). */
  by?: KeyPart<J>;
}

const USAGE = "{ per?: '10m', backoff?: '1m', by?: job => job.provider }";
const DEFAULT_PER = '10m';
/** The count of failures is never refused: a limit no window reaches. */
const NO_LIMIT = 2_147_483_647;

/**
 * A circuit breaker for jobs that call a flaky service (Laravel's `ThrottlesExceptions`): once `maxErrors`
 * attempts failed within a window of `per`, the jobs sharing the key are not run but released for `backoff`
 * (their attempts not counted) until the window ends. The failing attempts themselves go the ordinary way
 * (retry with backoff, or `failed` when out of attempts). The count lives in the driver, shared by every
 * worker process. Releases (`ctx.release`) and aborts by cancel or shutdown are not counted as errors.
 *
 * ```ts
 * class CallCrm extends Job { static maxAttempts = 10;
 *   static middleware = [throttlesExceptions(5, { per: '5m', backoff: '1m' })]; }
 * ```
 */
export function throttlesExceptions<J extends Job = Job>(
  maxErrors: number,
  options?: ThrottleOptions<J>,
): Middleware<J> {
  wholeNumber(maxErrors, 'throttlesExceptions maxErrors');
  const given = optionObject<ThrottleOptions<J>>(
    options,
    ['per', 'backoff', 'by'],
    'throttlesExceptions options',
    USAGE,
  );
  const perMs = toMs(given.per ?? DEFAULT_PER, 'throttlesExceptions per');
  if (perMs <= 0) {
    throw new ConfigurationError(
      `Invalid throttlesExceptions per ${quote(given.per)}: use a window above 0.`,
    );
  }
  const backoffMs = given.backoff === undefined ? null : toMs(given.backoff, 'throttlesExceptions backoff');
  const by = given.by;
  if (by !== undefined) validateKeyPart(by, 'throttlesExceptions by');

  const middleware: Middleware<J> = async (job, ctx, next) => {
    const runtime = runtimeOf(ctx, 'throttlesExceptions');
    const key = `throttlesExceptions:${by === undefined ? runtime.jobName : resolveKeyPart(by, job, 'throttlesExceptions by')}`;
    const { driver } = runtime;
    const now = runtime.now();
    // A limit of 0 is always reached: the call reads the window's count and adds nothing.
    const seen = await driver.hitRateLimit(key, 0, perMs, now);
    if (seen.count >= maxErrors)
      return ctx.release(backoffMs ?? Math.max(0, (seen.retryAt ?? now + perMs) - now));
    try {
      return await next();
    } catch (error) {
      if (countsAsError(error))
        await driver.hitRateLimit(key, NO_LIMIT, perMs, runtime.now()).catch(() => null);
      throw error;
    }
  };
  return travels(middleware, (job) => {
    const stored: ThrottleOptions = { per: perMs };
    if (backoffMs !== null) stored.backoff = backoffMs;
    if (by !== undefined) stored.by = resolveKeyPart(by, job, 'throttlesExceptions by');
    return { name: 'throttlesExceptions', args: [maxErrors, stored] };
  });
}

function countsAsError(error: unknown): boolean {
  if (error instanceof ReleaseSignal) return false;
  return !(error instanceof AttemptAbortedError);
}
