import { backoffDelay } from './backoff.js';
import type { JobErrorRecord, JobRecord, SettleOutcome } from './driver.js';
import { quote, UnrecoverableError } from './errors.js';
import type { Backoff, JobClass } from './job.js';
import type { StoredJobOptions } from './job-options.js';

/** Turns anything a handler threw into an Error; a non-Error value is wrapped with the value in the message. */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(`The job threw a non-Error value: ${quote(thrown)}`, { cause: thrown });
}

/** The stored form of an error of attempt `attempt`. */
export function errorRecord(error: Error, attempt: number, at: number): JobErrorRecord {
  const record: JobErrorRecord = {
    name: typeof error.name === 'string' && error.name ? error.name : 'Error',
    message: String(error.message),
    attempt,
    at,
  };
  if (typeof error.stack === 'string') record.stack = error.stack;
  return record;
}

/** What a failed attempt leads to. */
export interface FailureInput {
  record: JobRecord;
  error: Error;
  options: StoredJobOptions;
  /** The job's class when known (its static backoff may be a function). */
  cls: JobClass | undefined;
  /** Fail with no retry whatever the attempts left (ctx.fail, unknown class, unparsable record). */
  final: boolean;
  now: number;
  random?: () => number;
}

/**
 * The ordinary failure path, shared by every failed attempt (a throw, a timeout, a stalled lease):
 * - an `UnrecoverableError`, or `final`, fails the job at once;
 * - so does the last attempt (`attempts >= maxAttempts`);
 * - so does `retryUntil` once it has passed, or when the next attempt would start after it;
 * - otherwise the job is retried at `now + backoff(attempt, error)`, where the backoff is the stored one, or the
 *   class's static (which may be a function `(attempt, error) => ms`).
 */
export function failureOutcome(input: FailureInput): SettleOutcome {
  const { record, error, options, now } = input;
  const stored = errorRecord(error, record.attempts, now);
  if (input.final || error instanceof UnrecoverableError || record.attempts >= record.maxAttempts) {
    return { type: 'failed', error: stored };
  }
  const retryUntil = options.retryUntil;
  if (retryUntil !== undefined && now >= retryUntil) return { type: 'failed', error: stored };
  const backoff = (options.backoff ?? input.cls?.backoff) as Backoff | undefined;
  let delay: number;
  try {
    delay = backoffDelay(backoff, record.attempts, error, input.random);
  } catch {
    // A static backoff function that throws: retry at once rather than lose the job.
    delay = 0;
  }
  const availableAt = now + Math.max(0, Number.isFinite(delay) ? delay : 0);
  if (retryUntil !== undefined && availableAt > retryUntil) return { type: 'failed', error: stored };
  return { type: 'retry', availableAt, error: stored };
}
