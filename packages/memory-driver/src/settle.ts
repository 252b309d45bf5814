import type { JobState, SettleRequest, SettleResult } from '@conveyor/core/driver';
import type { Context } from './context.js';
import { finalizeBatches, finishJob } from './follow-ups.js';
import { copyError, type StoredJob } from './stored-job.js';

/** Back to the queue: pending when due, else `waitingState` (retrying or delayed) until `availableAt`. */
function requeue(
  ctx: Context,
  job: StoredJob,
  availableAt: number,
  waitingState: JobState,
  now: number,
): SettleResult {
  job.availableAt = availableAt;
  ctx.store.move(job, availableAt <= now ? 'pending' : waitingState);
  ctx.jobChanged(job);
  ctx.workArrived(job.queue);
  return { ok: true, state: job.state, batch: null };
}

function finish(ctx: Context, job: StoredJob, state: JobState, now: number): SettleResult {
  job.finishedAt = now;
  ctx.store.move(job, state);
  ctx.jobChanged(job);
  finishJob(ctx, job, now);
  if (ctx.touched.size === 0) return { ok: true, state, batch: null }; // no batch counts changed
  const changes = finalizeBatches(ctx, now);
  const batch = job.batchId === null ? undefined : changes.get(job.batchId);
  return { ok: true, state, batch: batch ?? null };
}

/**
 * Settles one reserved job (`job`: the one stored under `request.jobId`, already looked up; undefined when there
 * is none), fenced by its lease token: a job that is gone, not processing, holds another token, or is not of the
 * queue the request names is left alone (`ok: false`). Every settle clears the lease. `cancelRequested` is kept
 * as a record of the request (a job released while a cancel was pending carries it into its next reservation).
 */
export function settleJob(
  ctx: Context,
  job: StoredJob | undefined,
  request: SettleRequest,
  now: number,
): SettleResult {
  if (job === undefined || job.state !== 'processing' || job.token !== request.token) return { ok: false };
  if (request.queue !== undefined && request.queue !== job.queue) return { ok: false };
  job.token = null;
  job.workerId = null;
  job.leaseExpiresAt = null;
  const outcome = request.outcome;
  switch (outcome.type) {
    case 'completed':
      job.result = outcome.result;
      return finish(ctx, job, 'completed', now);
    case 'failed':
      job.errors.push(copyError(outcome.error));
      return finish(ctx, job, 'failed', now);
    case 'cancelled':
      return finish(ctx, job, 'cancelled', now);
    case 'retry':
      job.errors.push(copyError(outcome.error));
      return requeue(ctx, job, outcome.availableAt, 'retrying', now);
    case 'released':
      job.attempts = Math.max(0, job.attempts - 1);
      return requeue(ctx, job, outcome.availableAt, 'delayed', now);
    default:
      throw new TypeError(`MemoryDriver: unknown settle outcome ${JSON.stringify(outcome)}`);
  }
}
