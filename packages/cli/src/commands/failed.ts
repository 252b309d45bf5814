import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { json } from '../format.js';
import type { Io } from '../io.js';
import { jobOrFail, renderJobList } from './jobs.js';

/** `conveyor failed list`: jobs in the dead-letter `failed` state, newest first. */
export async function listFailed(
  ctx: CliContext,
  options: { queue?: string; limit: number; offset: number; json?: boolean },
  io: Io,
): Promise<number> {
  const jobs = await ctx.conveyor.list({
    status: 'failed',
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    limit: options.limit,
    offset: options.offset,
  });
  io.out(options.json ? json(jobs) : jobs.length === 0 ? 'No failed jobs.\n' : renderJobList(jobs));
  return 0;
}

/** `conveyor failed retry <id|all>`: back to pending with a fresh set of attempts. */
export async function retryFailed(
  ctx: CliContext,
  target: string,
  options: { queue?: string; json?: boolean },
  io: Io,
): Promise<number> {
  if (target !== 'all' && options.queue !== undefined) {
    throw new CliError('--queue goes with `failed retry all`, not with a job id.', 2);
  }
  const ids =
    target === 'all'
      ? await ctx.conveyor.retry('all', options.queue === undefined ? {} : { queue: options.queue })
      : await ctx.conveyor.retry(target);
  if (target !== 'all' && ids.length === 0) {
    const job = await ctx.conveyor.getJob(target);
    throw new CliError(
      job
        ? `Job ${target} is ${job.state}, not failed: nothing to retry.`
        : `No job ${JSON.stringify(target)}.`,
    );
  }
  io.out(options.json ? json({ retried: ids }) : `Retried ${ids.length} failed job(s).\n`);
  return 0;
}

/** `conveyor failed forget <id>`: deletes one failed job. */
export async function forgetFailed(
  ctx: CliContext,
  id: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  const job = await jobOrFail(ctx, id);
  if (job.state !== 'failed') throw new CliError(`Job ${id} is ${job.state}, not failed: not deleted.`);
  const removed = await ctx.conveyor.forget(id);
  io.out(
    options.json
      ? json({ forgotten: removed ? [id] : [] })
      : removed
        ? `Deleted failed job ${id}.\n`
        : `Job ${id} was already gone.\n`,
  );
  return 0;
}

/** `conveyor failed flush [--queue]`: deletes every failed job (of one queue). */
export async function flushFailed(
  ctx: CliContext,
  options: { queue?: string; json?: boolean },
  io: Io,
): Promise<number> {
  const count = await ctx.conveyor.flush(options.queue);
  io.out(
    options.json
      ? json({ deleted: count })
      : `Deleted ${count} failed job(s)${options.queue ? ` of queue ${options.queue}` : ''}.\n`,
  );
  return 0;
}
