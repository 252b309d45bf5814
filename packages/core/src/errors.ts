/**
 * Every error Conveyor throws or records. Each has a stable `code`; messages quote the bad value and say
 * what to do about it.
 */
export class ConveyorError extends Error {
  readonly code: string = 'CONVEYOR_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad option, duration, cron expression, priority or missing driver: thrown at the call that got it. */
export class ConfigurationError extends ConveyorError {
  override readonly code = 'CONFIGURATION_ERROR';
}

/** A payload that cannot be stored (functions, symbols, foreign class instances, too large). */
export class SerializationError extends ConveyorError {
  override readonly code = 'SERIALIZATION_ERROR';
}

/** A stored record that does not parse; the job goes to `failed` with it. */
export class ParseError extends ConveyorError {
  override readonly code = 'PARSE_ERROR';
}

/** A job whose name no class in the worker's `jobs` list answers to. */
export class UnknownJobError extends ConveyorError {
  override readonly code = 'UNKNOWN_JOB';
}

/** Thrown by a handler to fail the job at once, with no retry. */
export class UnrecoverableError extends ConveyorError {
  override readonly code = 'UNRECOVERABLE';
}

/** An attempt that ran past its timeout. */
export class TimeoutError extends ConveyorError {
  override readonly code = 'TIMEOUT';
}

/** An attempt whose lease expired (its worker crashed or its event loop was blocked). */
export class StalledError extends ConveyorError {
  override readonly code = 'STALLED';
}

/** `job.wait()` or `job.result()` on a job that failed or was cancelled. */
export class JobFailedError extends ConveyorError {
  override readonly code = 'JOB_FAILED';
}

/** `wait({ timeout })` that ran out before the job finished. */
export class WaitTimeoutError extends ConveyorError {
  override readonly code = 'WAIT_TIMEOUT';
}

/** A storage fault: connection lost, retries exhausted. Wraps the driver's error as `cause`. */
export class DriverError extends ConveyorError {
  override readonly code = 'DRIVER_ERROR';
}

/** Quotes a value for an error message: strings in quotes, everything else as JSON-ish text. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  if (value instanceof Date)
    return `Date(${Number.isNaN(value.getTime()) ? 'Invalid' : value.toISOString()})`;
  const ctor = (value as object).constructor?.name;
  try {
    const json = JSON.stringify(value);
    return ctor && ctor !== 'Object' && ctor !== 'Array' ? `${ctor} ${json}` : json;
  } catch {
    return ctor ? `[${ctor}]` : '[object]';
  }
}
