import { type Duration, toMs } from '../duration.js';
import { ConfigurationError, quote } from '../errors.js';
import type { Job } from '../job.js';
import { optionObject } from '../option-object.js';
import {
  type KeyPart,
  type Middleware,
  resolveKeyPart,
  runtimeOf,
  travels,
  validateKeyPart,
} from './middleware.js';

export interface OverlapOptions {
  /**
   * How long a job that finds the lock held waits before it tries again: it is released (back on its queue,
   * its attempt not counted). Default `'1s'`.
   */
  releaseAfter?: Duration;
  /**
   * How long the lock outlives a holder that never released it (its worker crashed mid-job), after which
   * another job may take it. Set it above your longest run: a run longer than this may overlap the next.
   * Default `'1h'`.
   */
  expireAfter?: Duration;
  /** Share the key across job classes. Default false: the key is scoped to the job's name. */
  shared?: boolean;
}

const USAGE = "{ releaseAfter?: '5s', expireAfter?: '10m', shared?: false }";
const DEFAULT_RELEASE_AFTER = '1s';
const DEFAULT_EXPIRE_AFTER = '1h';

/**
 * Never runs two jobs with the same key at once, across every worker process: a job takes a lock in the driver
 * (owned by its attempt: job id + lease token) before it runs and gives it back when its attempt ends (success,
 * failure, timeout or shutdown). A job that finds the lock held is released for `releaseAfter`.
 *
 * ```ts
 * class SyncAccount extends Job {
 *   constructor(public accountId: string) { super(); }
 *   static middleware = [withoutOverlapping((job: SyncAccount) => job.accountId, { expireAfter: '10m' })];
 * }
 * ```
 */
export function withoutOverlapping<J extends Job = Job>(
  key?: KeyPart<J>,
  options?: OverlapOptions,
): Middleware<J> {
  if (key !== undefined) validateKeyPart(key, 'withoutOverlapping key');
  const given = optionObject<OverlapOptions>(
    options,
    ['releaseAfter', 'expireAfter', 'shared'],
    'withoutOverlapping options',
    USAGE,
  );
  const releaseMs = toMs(given.releaseAfter ?? DEFAULT_RELEASE_AFTER, 'withoutOverlapping releaseAfter');
  const expireMs = toMs(given.expireAfter ?? DEFAULT_EXPIRE_AFTER, 'withoutOverlapping expireAfter');
  if (expireMs <= 0) {
    throw new ConfigurationError(
      `Invalid withoutOverlapping expireAfter ${quote(given.expireAfter)}: use a duration above 0, like '10m'.`,
    );
  }
  if (given.shared !== undefined && typeof given.shared !== 'boolean') {
    throw new ConfigurationError(
      `Invalid withoutOverlapping shared ${quote(given.shared)}: use true or false.`,
    );
  }
  const shared = given.shared === true;

  const middleware: Middleware<J> = async (job, ctx, next) => {
    const runtime = runtimeOf(ctx, 'withoutOverlapping');
    const part = key === undefined ? '' : resolveKeyPart(key, job, 'withoutOverlapping key');
    const lock = shared ? `withoutOverlapping:${part}` : `withoutOverlapping:${runtime.jobName}:${part}`;
    const { driver, owner } = runtime;
    if (!(await driver.acquireLock(lock, owner, expireMs, runtime.now()))) return ctx.release(releaseMs);
    try {
      return await next();
    } finally {
      // Owner-checked: an attempt whose lock expired and was taken by another never frees the new holder's.
      // A storage fault here leaves the lock to expire after `expireAfter`.
      await driver.releaseLock(lock, owner).catch(() => false);
    }
  };
  return travels(middleware, (job) => ({
    name: 'withoutOverlapping',
    args: [
      key === undefined ? null : resolveKeyPart(key, job, 'withoutOverlapping key'),
      { releaseAfter: releaseMs, expireAfter: expireMs, shared },
    ],
  }));
}
