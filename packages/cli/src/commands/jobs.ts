import type { JobState, JobView } from '@conveyor/core';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { clip, duration, json, table, time } from '../format.js';
import type { Io } from '../io.js';

export interface ListOptions {
  status?: JobState;
  queue?: string;
  name?: string;
  limit: number;
  offset: number;
  json?: boolean;
}

/** `conveyor jobs list`: newest first. */
export async function listJobs(ctx: CliContext, options: ListOptions, io: Io): Promise<number> {
  const jobs = await ctx.conveyor.list({
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.name === undefined ? {} : { name: options.name }),
    limit: options.limit,
    offset: options.offset,
  });
  io.out(options.json ? json(jobs) : renderJobList(jobs));
  return 0;
}

export function renderJobList(jobs: JobView[]): string {
  if (jobs.length === 0) return 'No jobs.\n';
  return table(
    ['ID', 'NAME', 'QUEUE', 'STATE', 'ATTEMPTS', 'CREATED', 'FINISHED', 'LAST ERROR'],
    jobs.map((job) => [
      job.id,
      job.name,
      job.queue,
      job.state,
      `${job.attempts}/${job.maxAttempts}`,
      time(job.createdAt),
      time(job.finishedAt),
      job.errors.length > 0 ? clip(lastError(job)) : null,
    ]),
  );
}

function lastError(job: JobView): string {
  const error = job.errors[job.errors.length - 1]!;
  return `${error.name}: ${error.message}`;
}

/** The stored job, or a `CliError` that names the id. */
export async function jobOrFail(ctx: CliContext, id: string): Promise<JobView> {
  const job = await ctx.conveyor.getJob(id);
  if (!job) throw new CliError(`No job ${JSON.stringify(id)}.`);
  return job;
}

/** `conveyor job <id>`: state, attempts, progress, times and the whole error history. */
export async function showJob(
  ctx: CliContext,
  id: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  const job = await jobOrFail(ctx, id);
  io.out(options.json ? json(job) : renderJob(job));
  return 0;
}

export function renderJob(job: JobView): string {
  const ran = job.startedAt !== null && job.finishedAt !== null ? job.finishedAt - job.startedAt : null;
  const lines: Array<[string, string]> = [
    ['id', job.id],
    ['name', job.name],
    ['queue', job.queue],
    ['state', job.state],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['priority', String(job.priority)],
    ['progress', job.progress === null ? '-' : JSON.stringify(job.progress)],
    ['created', time(job.createdAt)],
    ['available', time(job.availableAt)],
    ['started', time(job.startedAt)],
    ['finished', time(job.finishedAt)],
    ['ran', duration(ran)],
    ['batch', job.batchId ?? '-'],
    ['chain', job.chainId ?? '-'],
  ];
  if (Object.keys(job.meta).length > 0) lines.push(['meta', JSON.stringify(job.meta)]);
  if (job.result !== null && job.result !== undefined)
    lines.push(['result', clip(JSON.stringify(job.result), 200)]);
  lines.push(['data', clip(JSON.stringify(job.data) ?? 'undefined', 200)]);
  const width = Math.max(...lines.map(([key]) => key.length));
  let text = lines.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n') + '\n';
  text += `\nErrors (${job.errors.length}):\n`;
  for (const error of job.errors) {
    text += `  attempt ${error.attempt} at ${time(error.at)}: ${error.name}: ${error.message}\n`;
    if (error.stack) {
      const frames = error.stack
        .split('\n')
        .filter((line) => /^\s+at /.test(line))
        .slice(0, 3);
      for (const frame of frames) text += `      ${frame.trim()}\n`;
    }
  }
  return text;
}
