import { createHash } from 'node:crypto';
import type { UniqueSpec } from './driver.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import type { Job, JobClass } from './job.js';
import { optionObject } from './option-object.js';
import { encodePayload, jobNameOf } from './serializer.js';

/**
 * A job's uniqueness lock: while a job holds its key, dispatching another job with the same key stores nothing
 * and returns a handle to the holder (`duplicate: true`).
 */
export interface UniqueOptions {
  /**
   * The lock key, used exactly as given (so two job classes naming one key exclude each other). Default: the
   * job's `uniqueId()` prefixed with its job name (`SendEmail:42`), else the job name and a stable hash of its
   * payload (`SendEmail:<sha1>`), so two dispatches of equal payloads share a lock.
   */
  key?: string;
  /**
   * Lock TTL (ms or `'30s'`, `'1h'`...): bounds a lock whose job vanished, and lets a new job in once it passed
   * even if the holder has not finished. Default: none (the lock lives until its job releases it).
   */
  for?: Duration;
  /**
   * When the lock is released: `'completed'` (default) when the job finally completes, fails or is cancelled;
   * `'started'` as soon as a worker starts it (a new one may then be queued while it runs).
   */
  until?: 'started' | 'completed';
}

/** `true` (defaults), options, or `false` (on the builder: not unique, whatever the class says). */
export type UniqueSetting = boolean | UniqueOptions;

const KEYS = ['key', 'for', 'until'] as const;
const USAGE = "{ key?: 'email:a@b.c', for?: '1h', until?: 'started' | 'completed' }";

/** Checks a `unique` setting (builder argument or `static unique`) at the call that got it. */
export function validateUnique(value: unknown, what = 'unique options'): UniqueSetting {
  if (typeof value === 'boolean') return value;
  const options = optionObject<UniqueOptions>(value, KEYS, what, USAGE);
  if (options.key !== undefined && (typeof options.key !== 'string' || options.key.length === 0)) {
    throw new ConfigurationError(`Invalid unique key ${quote(options.key)}: use a non-empty string.`);
  }
  if (options.until !== undefined && options.until !== 'started' && options.until !== 'completed') {
    throw new ConfigurationError(
      `Invalid unique until ${quote(options.until)}: use 'started' or 'completed'.`,
    );
  }
  if (options.for !== undefined && toMs(options.for, 'unique for') <= 0) {
    throw new ConfigurationError(
      `Invalid unique for ${quote(options.for)}: use a duration above 0 (like '1h'), or leave it out for no expiry.`,
    );
  }
  return options;
}

/**
 * The lock a dispatch takes, or null. The builder's `.unique()` wins over `static unique` field by field
 * (`.unique(false)` turns it off); `uniqueId()` on the instance supplies the key when no `key` was given.
 */
export function resolveUnique(job: Job, builder: UniqueSetting | undefined): UniqueSpec | null {
  if (builder === false) return null;
  const declared = (job.constructor as JobClass).unique;
  if (builder === undefined && declared === undefined) return null; // the common case: not unique
  const name = jobNameOf(job.constructor);
  const fromClass = declared === undefined ? false : validateUnique(declared, `static unique of ${name}`);
  if (builder === undefined && fromClass === false) return null;
  const options: UniqueOptions = {
    ...(typeof fromClass === 'object' ? fromClass : {}),
    ...(typeof builder === 'object' ? (validateUnique(builder) as UniqueOptions) : {}),
  };
  return {
    key: options.key ?? defaultKey(job, name),
    ttlMs: options.for === undefined ? null : toMs(options.for, 'unique for'),
    until: options.until ?? 'completed',
  };
}

function defaultKey(job: Job, name: string): string {
  if (typeof job.uniqueId === 'function') {
    const id: unknown = job.uniqueId();
    if ((typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id))) {
      return `${name}:${id}`;
    }
    throw new ConfigurationError(
      `Invalid uniqueId() of ${name}: it returned ${quote(id)}; return a non-empty string or a number.`,
    );
  }
  return `${name}:${payloadHash(encodePayload(job, Number.POSITIVE_INFINITY))}`;
}

/**
 * A stable hash of an encoded payload: the JSON re-written with every object's keys sorted, so two payloads
 * holding the same values hash the same whatever order their properties were assigned in.
 */
export function payloadHash(payload: string): string {
  let canonical: string;
  try {
    canonical = JSON.stringify(sortKeys(JSON.parse(payload)));
  } catch {
    canonical = payload;
  }
  return createHash('sha1').update(canonical).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(sorted, key, {
      value: sortKeys((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return sorted;
}
