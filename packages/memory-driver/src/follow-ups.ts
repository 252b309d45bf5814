import type { BatchChange, NewJob } from '@conveyor/core/driver';
import {
  batchRecord,
  countOutcome,
  crossedOf,
  crossThresholds,
  type Outcome,
  type StoredBatch,
} from './batches.js';
import { advanceChain } from './chains.js';
import type { Context } from './context.js';
import { enqueue } from './enqueue.js';
import { isWaiting } from './job-store.js';
import { placementOf, type StoredJob } from './stored-job.js';

/**
 * Everything that follows a job reaching a finished state (it is already `completed`, `failed` or
 * `cancelled`): its unique lock is released if it still owns it, its chain advances or stops, and its batch
 * records the outcome. Batch thresholds are settled afterwards, once per transition, by `finalizeBatches`.
 */
export function finishJob(ctx: Context, job: StoredJob, now: number): void {
  if (job.uniqueKey !== null) ctx.uniqueLocks.release(job.uniqueKey, job.id);
  if (job.chainId !== null) advanceChain(ctx, job, now);
  if (job.batchId !== null) countOutcome(ctx, job.batchId, job.id, job.state as Outcome);
}

/** Cancels a job that is pending, delayed or retrying, with the follow-ups of a cancelled settle. */
export function cancelWaiting(ctx: Context, job: StoredJob, now: number): void {
  job.finishedAt = now;
  ctx.store.move(job, 'cancelled');
  ctx.jobChanged(job);
  finishJob(ctx, job, now);
}

/**
 * Cancels a batch: marks it cancelled and cancels every member not yet started. Members already running
 * finish; their chains stop when they would have enqueued the next link.
 */
export function cancelMembers(ctx: Context, batch: StoredBatch, now: number): void {
  if (batch.cancelledAt === null) batch.cancelledAt = now;
  ctx.touched.add(batch);
  // Cancelling a chain link adds the chain's later links to `members` while we iterate: a Set visits them
  // too, and they are already cancelled, so they are skipped.
  for (const id of batch.members) {
    const job = ctx.store.get(id);
    if (job !== undefined && isWaiting(job.state)) cancelWaiting(ctx, job, now);
  }
}

function enqueueAll(ctx: Context, callbacks: NewJob[], now: number): void {
  for (const callback of callbacks) enqueue(ctx, callback, placementOf(callback), now);
}

/**
 * Settles the thresholds of every batch whose counts changed in this transition. Without `allowFailures`, a
 * failure first cancels the batch. Each threshold crossed enqueues its callbacks (then, catch, finally, in
 * that order) in this same step. Returns the change of each batch, by id.
 */
export function finalizeBatches(ctx: Context, now: number): Map<string, BatchChange> {
  const changes = new Map<string, BatchChange>();
  for (const batch of ctx.touched) {
    if (!batch.allowFailures && batch.failed > 0 && batch.cancelledAt === null)
      cancelMembers(ctx, batch, now);
    ctx.touched.delete(batch);
    let crossed = crossThresholds(batch, now);
    if (crossed.then) enqueueAll(ctx, batch.onThen, now);
    if (crossed.catch) enqueueAll(ctx, batch.onCatch, now);
    if (crossed.finally) enqueueAll(ctx, batch.onFinally, now);
    const previous = changes.get(batch.id)?.crossed;
    if (previous !== undefined) {
      crossed = crossedOf(
        crossed.then || previous.then,
        crossed.catch || previous.catch,
        crossed.finally || previous.finally,
      );
    }
    changes.set(batch.id, { batch: batchRecord(batch), crossed });
    ctx.events.publish({ type: 'batch', batchId: batch.id, finished: batch.finishedAt !== null });
  }
  return changes;
}
