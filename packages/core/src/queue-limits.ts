import type { Driver, QueueSettings, QueueSettingsPatch } from './driver.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import { validateQueueName } from './job-options.js';
import { optionObject, wholeNumber } from './option-object.js';

/** Limits of one queue shared by every worker (`Queue.limit()`), like BullMQ's global limits. */
export interface QueueLimitOptions {
  /**
   * Jobs of the queue that may start per window of `per`, across all workers (fixed windows:
   * `floor(now / per)`). `null` removes the rate limit. Given together with `per`.
   */
  limit?: number | null;
  /** The rate limit's window: ms or `'1s'`, `'1m'`, `'1h'`... */
  per?: Duration;
  /** Jobs of the queue processing at once, across all workers. `null` removes the cap. */
  concurrency?: number | null;
}

const USAGE = "{ limit: 100, per: '1m', concurrency: 5 }";

/**
 * Turns `Queue.limit()` options into a patch of the stored settings, validated before anything is read or
 * written: a bad value is a `ConfigurationError` quoting it. Options left out keep their stored value.
 */
export function limitChange(options: unknown): QueueSettingsPatch {
  if (options === undefined) throw new ConfigurationError(`Queue.limit() needs its limits: pass ${USAGE}.`);
  const given = optionObject<QueueLimitOptions>(
    options,
    ['limit', 'per', 'concurrency'],
    'queue limits',
    USAGE,
  );
  let rateLimit: QueueSettings['rateLimit'] | undefined;
  if (given.limit === null) {
    if (given.per !== undefined) {
      throw new ConfigurationError(
        `Invalid queue limits ${quote(options)}: per needs a limit (or drop both).`,
      );
    }
    rateLimit = null;
  } else if (given.limit !== undefined || given.per !== undefined) {
    if (given.limit === undefined || given.per === undefined) {
      throw new ConfigurationError(
        `Invalid queue limits ${quote(options)}: give limit and per together, like { limit: 100, per: '1m' }.`,
      );
    }
    const windowMs = toMs(given.per, 'queue limit per');
    if (windowMs <= 0)
      throw new ConfigurationError(`Invalid queue limit per ${quote(given.per)}: use a window above 0.`);
    rateLimit = { limit: wholeNumber(given.limit, 'queue limit'), windowMs };
  }
  const concurrency =
    given.concurrency === undefined || given.concurrency === null
      ? given.concurrency
      : wholeNumber(given.concurrency, 'queue concurrency');
  const patch: QueueSettingsPatch = {};
  if (concurrency !== undefined) patch.concurrency = concurrency;
  if (rateLimit !== undefined) patch.rateLimit = rateLimit;
  return patch;
}

/**
 * Applies `patch` to a queue's settings in one atomic driver call and returns the settings now stored. A bad
 * queue name throws at once (before any storage call). Two processes changing different fields of one queue
 * at the same moment both keep their change: the driver patches the stored fields, it does not write back a
 * copy read earlier.
 */
export function changeQueueSettings(
  driver: Driver,
  queue: string,
  patch: QueueSettingsPatch,
): Promise<QueueSettings> {
  validateQueueName(queue);
  return driver.setQueueSettings(queue, patch);
}

export function pausedChange(paused: boolean): QueueSettingsPatch {
  return { paused };
}
