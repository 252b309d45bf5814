/** Faults of the Redis driver, each with a stable `code`. Expected outcomes are results, never these. */
export type RedisDriverErrorCode = 'REDIS_UNAVAILABLE' | 'REDIS_SCRIPT_ERROR' | 'REDIS_CLOSED';

export class RedisDriverError extends Error {
  readonly code: RedisDriverErrorCode;
  override readonly cause: unknown;

  constructor(code: RedisDriverErrorCode, message: string, cause?: unknown) {
    super(message);
    this.name = 'RedisDriverError';
    this.code = code;
    this.cause = cause;
  }
}

/** A call that got no answer in time: it may or may not have run on the server. */
const TIMED_OUT = /Command timed out/i;

const UNREACHABLE =
  /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EPIPE|Connection is closed|max retries per request|Stream isn't writeable|connect ETIMEDOUT/i;

/** Maps whatever ioredis or a script threw into a `RedisDriverError` naming the operation (one place). */
export function toDriverError(error: unknown, operation: string, target: string): RedisDriverError {
  if (error instanceof RedisDriverError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  if (TIMED_OUT.test(message)) {
    return new RedisDriverError(
      'REDIS_UNAVAILABLE',
      `redis driver: ${operation} failed: Redis at ${target} did not answer in time (${message}). ` +
        'Check that Redis is healthy; the call may or may not have been applied.',
      error,
    );
  }
  if (name === 'MaxRetriesPerRequestError' || UNREACHABLE.test(message)) {
    return new RedisDriverError(
      'REDIS_UNAVAILABLE',
      `redis driver: ${operation} failed: Redis at ${target} is unreachable (${message}). ` +
        'Check that Redis is running and the url is right; nothing was written.',
      error,
    );
  }
  return new RedisDriverError('REDIS_SCRIPT_ERROR', `redis driver: ${operation} failed: ${message}`, error);
}

export function closedError(operation: string): RedisDriverError {
  return new RedisDriverError('REDIS_CLOSED', `redis driver: ${operation} called after close().`);
}
