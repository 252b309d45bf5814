import { hostname } from 'node:os';
import { type JobEventInfo, Worker, type WorkerOptions } from '@conveyor/core';
import type { CliContext } from '../context.js';
import { CliError, EXIT, oneLine } from '../errors.js';
import type { Io } from '../io.js';
import { type LogFormat, Logger } from '../log.js';

export interface WorkOptions {
  queue?: string[];
  concurrency?: number;
  maxJobs?: number;
  /** ms */
  maxTime?: number;
  stopWhenEmpty?: boolean;
  scheduler: boolean;
  /** Grace period of a graceful stop, ms. */
  timeout: number;
  /** ms */
  lease?: number;
  log: LogFormat;
}

/** How the process is told to stop, and how it is made to stop at once (replaced in tests). */
export interface ProcessControl {
  onSignal(signal: NodeJS.Signals, listener: () => void): () => void;
  /** Ends the process now (a second signal during a graceful stop). */
  exit(code: number): never;
}

export const processControl: ProcessControl = {
  onSignal(signal, listener) {
    process.on(signal, listener);
    return () => void process.off(signal, listener);
  },
  exit: (code) => process.exit(code),
};

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
/** How often `--stop-when-empty` looks at the queues. */
const EMPTY_CHECK_MS = 500;

/**
 * `conveyor work`: runs a worker until a signal, `--max-jobs`, `--max-time` or `--stop-when-empty` stops it.
 * Stopping takes no new job, waits up to `--timeout` for running jobs, hands back those still running (their
 * attempt not counted) and resolves with exit code 0. A second signal while stopping exits at once.
 */
export async function work(
  ctx: CliContext,
  options: WorkOptions,
  io: Io,
  control: ProcessControl,
): Promise<number> {
  const { conveyor, config } = ctx;
  const jobs = config.jobs ?? [];
  if (jobs.length === 0) {
    throw new CliError(
      `No jobs to run: list the job classes in ${ctx.configPath ?? 'a conveyor.config.ts'} (jobs: [SendEmail, ...]).`,
      EXIT.usage,
    );
  }
  const log = new Logger(io, options.log);
  const workerOptions: WorkerOptions = {
    ...config.worker,
    conveyor,
    jobs,
    queues: options.queue ?? config.queues ?? ['default'],
    concurrency: options.concurrency ?? config.concurrency ?? 1,
    scheduler: options.scheduler && config.worker?.scheduler !== false,
  };
  if (options.lease !== undefined) workerOptions.lease = options.lease;
  let worker: Worker;
  try {
    worker = new Worker(workerOptions);
  } catch (error) {
    throw new CliError(`Invalid worker options: ${oneLine(error)}`, EXIT.usage);
  }

  // --- logs -----------------------------------------------------------------------------------------------
  const started = new Map<string, number>();
  let running = 0;
  let finished = 0;
  const fields = (job: JobEventInfo) => ({
    id: job.id,
    name: job.name,
    queue: job.queue,
    attempt: job.attempt,
  });
  const end = (job: JobEventInfo): number | undefined => {
    const at = started.get(job.id);
    if (at === undefined) return undefined;
    started.delete(job.id);
    running--;
    return Date.now() - at;
  };
  let stop: (reason: string) => void = () => {};
  const attemptOver = () => {
    finished++;
    if (options.maxJobs !== undefined && finished >= options.maxJobs) stop('max-jobs');
  };
  worker.on('processing', (job) => {
    started.set(job.id, Date.now());
    running++;
  });
  worker.on('completed', (job) => {
    log.info('job.completed', { ...fields(job), ms: end(job) });
    attemptOver();
  });
  worker.on('retrying', (job, error, availableAt) => {
    log.warn('job.retried', {
      ...fields(job),
      ms: end(job),
      error: oneLine(error),
      retryAt: new Date(availableAt).toISOString(),
    });
    attemptOver();
  });
  worker.on('failed', (job, error) => {
    log.error('job.failed', { ...fields(job), ms: end(job), error: `${error.name}: ${oneLine(error)}` });
    attemptOver();
  });
  worker.on('released', (job, availableAt) => {
    end(job);
    log.info('job.released', { ...fields(job), availableAt: new Date(availableAt).toISOString() });
  });
  worker.on('cancelled', (job) => {
    end(job);
    log.info('job.cancelled', fields(job));
  });
  worker.on('stalled', (job) => log.warn('job.stalled', { ...fields(job), recovered: true }));
  worker.on('error', (error) => log.error('worker.error', { error: `${error.name}: ${oneLine(error)}` }));

  // --- stopping -------------------------------------------------------------------------------------------
  let stopping = false;
  let stopReason = '';
  const stopped = new Promise<void>((resolve) => {
    stop = (reason) => {
      if (stopping) return;
      stopping = true;
      stopReason = reason;
      resolve();
    };
  });
  const onSignal = (signal: NodeJS.Signals) => () => {
    if (!stopping) {
      stop(signal);
      return;
    }
    log.warn('worker.forced', { signal, running });
    control.exit(SIGNAL_EXIT[signal] ?? EXIT.failure);
  };
  const offSignals = [
    control.onSignal('SIGTERM', onSignal('SIGTERM')),
    control.onSignal('SIGINT', onSignal('SIGINT')),
  ];
  const timers: Array<ReturnType<typeof setTimeout>> = [];

  try {
    try {
      await worker.start();
    } catch (error) {
      throw new CliError(`The worker could not start: ${oneLine(error)}`);
    }
    const startedAt = Date.now();
    log.info('worker.started', {
      worker: worker.id,
      host: hostname(),
      pid: process.pid,
      queues: worker.queues,
      concurrency: worker.concurrency,
      scheduler: workerOptions.scheduler,
      graceMs: options.timeout,
    });
    if (options.maxTime !== undefined) timers.push(setTimeout(() => stop('max-time'), options.maxTime));
    if (options.stopWhenEmpty) {
      const check = async () => {
        if (stopping) return;
        try {
          if (running === 0 && (await queuesEmpty(ctx, worker.queues)) && running === 0) stop('empty');
        } catch (error) {
          log.error('worker.error', { error: oneLine(error) });
        }
        if (!stopping) timers.push(setTimeout(() => void check(), EMPTY_CHECK_MS));
      };
      void check();
    }

    await stopped;
    for (const timer of timers) clearTimeout(timer);
    log.info('worker.stopping', { reason: stopReason, running, graceMs: options.timeout });
    await worker.close({ timeout: options.timeout });
    log.info('worker.stopped', {
      reason: stopReason,
      attempts: finished,
      uptimeMs: Date.now() - startedAt,
    });
    return EXIT.ok;
  } finally {
    for (const timer of timers) clearTimeout(timer);
    if (!stopping) await worker.close({ timeout: 0 }).catch(() => {});
    for (const off of offSignals) off();
  }
}

/** No ready job in any of `queues` (delayed and retrying jobs are not waited for, as in Laravel). */
async function queuesEmpty(ctx: CliContext, queues: readonly string[]): Promise<boolean> {
  for (const queue of queues) {
    const counts = await ctx.conveyor.counts(queue);
    if (counts.pending > 0) return false;
  }
  return true;
}
