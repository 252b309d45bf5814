import type { Driver, QueueSettings } from './driver.js';
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
 * Turns `Queue.limit()` options into a change of the stored settings, validated before anything is read or
 * written: a bad value is a `ConfigurationError` quoting it. Options left out keep their stored value.
 */
export function limitChange(options: unknown): (current: QueueSettings) => QueueSettings {
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
  return (current) => ({
    paused: current.paused,
    concurrency: concurrency === undefined ? current.concurrency : concurrency,
    rateLimit: rateLimit === undefined ? current.rateLimit : rateLimit,
  });
}

/**
 * Reads a queue's settings, changes them and stores them whole. A bad queue name throws at once (before any
 * storage call). The read and the write are two driver calls: two processes changing one queue's settings at
 * the same moment may lose one change (settings are an operator's tool, not a hot path).
 */
export function changeQueueSettings(
  driver: Driver,
  queue: string,
  change: (current: QueueSettings) => QueueSettings,
): Promise<QueueSettings> {
  validateQueueName(queue);
  return (async () => {
    const next = change(await driver.getQueueSettings(queue));
    await driver.setQueueSettings(queue, next);
    return next;
  })();
}

export function pausedChange(paused: boolean): (current: QueueSettings) => QueueSettings {
  return (current) => ({ ...current, paused });
}
