import type { BatchChange, CancelResult } from '@conveyor/core/driver';
import type { Context } from './context.js';
import { cancelMembers, cancelWaiting, finalizeBatches } from './follow-ups.js';
import { isWaiting } from './job-store.js';

/**
 * `Driver.cancel`: a waiting job is cancelled at once with a cancelled settle's follow-ups (lock, chain,
 * batch); a processing one gets `cancelRequested` and a `cancel` event for its worker; a finished one is left
 * as it is. Null for an unknown job.
 */
export function cancel(ctx: Context, jobId: string, now: number): CancelResult | null {
  const job = ctx.store.get(jobId);
  if (job === undefined) return null;
  if (isWaiting(job.state)) {
    cancelWaiting(ctx, job, now);
    const changes = finalizeBatches(ctx, now);
    return {
      state: 'cancelled',
      batch: (job.batchId === null ? undefined : changes.get(job.batchId)) ?? null,
    };
  }
  if (job.state === 'processing') {
    job.cancelRequested = true;
    ctx.events.publish({ type: 'cancel', jobId: job.id, queue: job.queue });
  }
  return { state: job.state, batch: null };
}

/**
 * `Driver.cancelBatch`: cancels every member not yet started (and so the rest of their chains), crossing
 * `finally` when that settles the last member. Running members finish; their chains stop after them.
 */
export function cancelBatch(ctx: Context, batchId: string, now: number): BatchChange | null {
  const batch = ctx.batches.get(batchId);
  if (batch === undefined) return null;
  cancelMembers(ctx, batch, now);
  return finalizeBatches(ctx, now).get(batchId) ?? null;
}
