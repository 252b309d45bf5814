import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Conveyor } from './conveyor.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import type { JobClass } from './job.js';
import { DEFAULT_QUEUE, validateQueueName } from './job-options.js';

export interface WorkerOptions {
  /** The Conveyor whose driver, clock, registered jobs and retention the worker uses. Default: `Queue`. */
  conveyor?: Conveyor;
  /**
   * The job classes this worker may run (its allowlist), in addition to those registered on the conveyor
   * (`conveyor.register(...)` or `new Conveyor({ jobs })`). A worker with neither knows no jobs: every job it
   * takes goes to `failed` with an error that says to register the class.
   */
  jobs?: JobClass[];
  /** Queues in strict order: every ready job of the first goes before any of the next. Default `['default']`. */
  queues?: string[];
  /** Attempts run at the same time. Default 1. */
  concurrency?: number;
  /** How long a taken job stays owned without a heartbeat. Default `'30s'`. */
  lease?: Duration;
  /** How often one timer renews every active lease. Default a third of `lease`. */
  heartbeat?: Duration;
  /** The longest one wait for new work blocks before the worker looks again. Default `'5s'`. */
  idleWait?: Duration;
  /** How often jobs whose lease expired are recovered (also once at start). Default `'5s'`. */
  stalledInterval?: Duration;
  /** How often finished jobs beyond the conveyor's retention are removed (also once at start). Default `'1m'`. */
  sweepInterval?: Duration;
  /** This worker's id in leases and the worker registry. Default `host:pid:random`. */
  id?: string;
  /**
   * Runs the conveyor's schedules inside this worker (each occurrence is still dispatched once across every
   * process). Started only when schedules are defined in code or stored at start. Default true.
   */
  scheduler?: boolean;
  /**
   * When a finished job's slot takes the next job. `'stored'` (default): once the job's outcome is stored, so a
   * crash leaves at most `concurrency` jobs to run again (running, or with their outcome on its way).
   * `'pipelined'`: as soon as the handler ends, while the outcome is stored in the background; the worker also
   * holds `prefetch` jobs reserved ahead (default: the concurrency), so it holds up to `concurrency + prefetch`
   * jobs (running, reserved ahead, or with their outcome on its way) and a crash may leave that many to run
   * again. Faster for short jobs at low concurrency: one round trip per job is no longer the floor. Leases,
   * fencing, atomic follow-ups and the at-most-`concurrency` running handlers are the same in both modes. See
   * docs/decisions.md.
   */
  settles?: 'stored' | 'pipelined';
  /**
   * With `settles: 'pipelined'` only: how many jobs the worker holds reserved ahead of its running ones (leased
   * and renewed by the heartbeat, not started; handed back on close), so the next ones are at hand while the
   * last outcomes are stored. A whole number >= 0; 0 reserves only for free slots. Default: the concurrency.
   * More ahead means fewer round trips per job for short jobs, and more jobs to run again after a crash (up to
   * `concurrency + prefetch`) and held from other workers meanwhile. With `'stored'` settles it is an error: a
   * held job could only start once the previous outcome is stored, so holding more would gain nothing.
   */
  prefetch?: number;
}

export interface ResolvedWorkerOptions {
  id: string;
  queues: string[];
  concurrency: number;
  leaseMs: number;
  heartbeatMs: number;
  idleWaitMs: number;
  stalledIntervalMs: number;
  sweepIntervalMs: number;
  scheduler: boolean;
  /** `settles: 'pipelined'`. */
  pipelined: boolean;
  /** Jobs held reserved ahead of the running ones, beyond one per slot: 0 with stored settles. */
  prefetch: number;
}

function positiveMs(value: Duration, what: string): number {
  const ms = toMs(value, what);
  if (ms <= 0) {
    throw new ConfigurationError(`Invalid ${what} ${quote(value)}: use a duration above zero, like '5s'.`);
  }
  return ms;
}

/** Checks and fills in a worker's options; every bad value is a `ConfigurationError` quoting it. */
export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError(
      `Invalid worker options ${quote(options)}: pass an object like { queues: ['default'] }.`,
    );
  }
  const queues = options.queues ?? [DEFAULT_QUEUE];
  if (!Array.isArray(queues) || queues.length === 0) {
    throw new ConfigurationError(
      `Invalid worker queues ${quote(queues)}: list at least one queue, like ['default'].`,
    );
  }
  for (const queue of queues) validateQueueName(queue);
  if (new Set(queues).size !== queues.length) {
    throw new ConfigurationError(`Invalid worker queues ${quote(queues)}: a queue is listed twice.`);
  }
  const concurrency = options.concurrency ?? 1;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigurationError(`Invalid concurrency ${quote(concurrency)}: use a whole number >= 1.`);
  }
  const leaseMs = positiveMs(options.lease ?? '30s', 'lease');
  const heartbeatMs = positiveMs(options.heartbeat ?? Math.max(1, Math.floor(leaseMs / 3)), 'heartbeat');
  if (heartbeatMs >= leaseMs) {
    throw new ConfigurationError(
      `Invalid heartbeat ${quote(options.heartbeat)}: it must be shorter than the lease (${leaseMs} ms), or leases expire between beats.`,
    );
  }
  const id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  if (typeof id !== 'string' || id.length === 0) {
    throw new ConfigurationError(`Invalid worker id ${quote(id)}: use a non-empty string.`);
  }
  if (options.jobs !== undefined && !Array.isArray(options.jobs)) {
    throw new ConfigurationError(`Invalid worker jobs ${quote(options.jobs)}: pass an array of job classes.`);
  }
  if (options.scheduler !== undefined && typeof options.scheduler !== 'boolean') {
    throw new ConfigurationError(`Invalid worker scheduler ${quote(options.scheduler)}: use true or false.`);
  }
  const settles = options.settles ?? 'stored';
  if (settles !== 'stored' && settles !== 'pipelined') {
    throw new ConfigurationError(`Invalid worker settles ${quote(settles)}: use 'stored' or 'pipelined'.`);
  }
  const prefetch = options.prefetch ?? (settles === 'pipelined' ? concurrency : 0);
  if (typeof prefetch !== 'number' || !Number.isInteger(prefetch) || prefetch < 0) {
    throw new ConfigurationError(
      `Invalid worker prefetch ${quote(prefetch)}: use a whole number >= 0, like 8.`,
    );
  }
  if (options.prefetch !== undefined && settles !== 'pipelined') {
    throw new ConfigurationError(
      `Invalid worker prefetch ${quote(prefetch)}: it applies to settles: 'pipelined' only (with stored settles ` +
        "a held job could only start once the previous outcome is stored); add settles: 'pipelined' or leave prefetch out.",
    );
  }
  return {
    id,
    queues: [...queues],
    concurrency,
    leaseMs,
    heartbeatMs,
    idleWaitMs: positiveMs(options.idleWait ?? '5s', 'idleWait'),
    stalledIntervalMs: positiveMs(options.stalledInterval ?? '5s', 'stalledInterval'),
    sweepIntervalMs: positiveMs(options.sweepInterval ?? '1m', 'sweepInterval'),
    scheduler: options.scheduler !== false,
    pipelined: settles === 'pipelined',
    prefetch,
  };
}
