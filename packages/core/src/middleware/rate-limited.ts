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

export interface RateLimitOptions<J extends Job = Job> {
  /** Jobs that may start per window. */
  limit: number;
  /** The window: ms or `'1s'`, `'1m'`, `'1h'`... Windows are fixed (`floor(now / per)`), as in the driver. */
  per: Duration;
  /**
   * Splits the limit by a value: one limit per tenant, per user... A string, a number, or a function of the
   * job (`job => job.tenantId`). Default: one limit for every job using this name.
   */
  by?: KeyPart<J>;
}

const USAGE = "{ limit: 100, per: '1m', by?: job => job.tenantId }";

/**
 * Lets at most `limit` jobs start per window of `per` under the limiter `name`, counted in the driver, so the
 * limit holds across every worker process. A job over the limit is released until the window ends: back on
 * its queue, its attempt not counted. Jobs of any class that name the same limiter share it.
 *
 * ```ts
 * class SendEmail extends Job { static middleware = [rateLimited('mail', { limit: 100, per: '1m' })]; }
 * ```
 */
export function rateLimited<J extends Job = Job>(name: string, options: RateLimitOptions<J>): Middleware<J> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ConfigurationError(
      `Invalid rateLimited name ${quote(name)}: use a non-empty string like 'mail'.`,
    );
  }
  if (options === undefined) {
    throw new ConfigurationError(`rateLimited(${quote(name)}) needs its limit: pass ${USAGE}.`);
  }
  const given = optionObject<RateLimitOptions<J>>(
    options,
    ['limit', 'per', 'by'],
    'rateLimited options',
    USAGE,
  );
  const limit = wholeNumber(given.limit, 'rateLimited limit');
  if (given.per === undefined) {
    throw new ConfigurationError(
      `Invalid rateLimited options ${quote(options)}: say the window, like per: '1m'.`,
    );
  }
  const perMs = toMs(given.per, 'rateLimited per');
  if (perMs <= 0)
    throw new ConfigurationError(`Invalid rateLimited per ${quote(given.per)}: use a window above 0.`);
  const by = given.by;
  if (by !== undefined) validateKeyPart(by, 'rateLimited by');

  const middleware: Middleware<J> = async (job, ctx, next) => {
    const runtime = runtimeOf(ctx, 'rateLimited');
    const key = by === undefined ? name : `${name}:${resolveKeyPart(by, job, 'rateLimited by')}`;
    const now = runtime.now();
    const hit = await runtime.driver.hitRateLimit(`rateLimited:${key}`, limit, perMs, now);
    if (!hit.allowed) return ctx.release(Math.max(0, (hit.retryAt ?? now + perMs) - now));
    return next();
  };
  return travels(middleware, (job) => {
    const stored: RateLimitOptions = { limit, per: perMs };
    if (by !== undefined) stored.by = resolveKeyPart(by, job, 'rateLimited by');
    return { name: 'rateLimited', args: [name, stored] };
  });
}
