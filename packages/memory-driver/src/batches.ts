import type { BatchRecord, NewBatch, NewJob } from '@conveyor/core/driver';
import type { Context } from './context.js';
import { cloneSpec } from './stored-job.js';

export type Outcome = 'completed' | 'failed' | 'cancelled';

export interface Crossed {
  then: boolean;
  catch: boolean;
  finally: boolean;
}

/**
 * A batch as the driver keeps it. Counts are derived from `outcomes` (job id to its last final outcome), so
 * a job counts once however often it is settled, and a failed job that later completes moves from `failed`
 * to `processed`.
 */
export interface StoredBatch {
  id: string;
  options: string;
  allowFailures: boolean;
  total: number;
  processed: number;
  failed: number;
  cancelled: number;
  cancelledAt: number | null;
  createdAt: number;
  finishedAt: number | null;
  thenFired: boolean;
  catchFired: boolean;
  finallyFired: boolean;
  failedIds: Set<string>;
  outcomes: Map<string, Outcome>;
  /** Ids of every stored member (jobs, and chain links once stored). */
  members: Set<string>;
  /** Callback jobs of each threshold. */
  onThen: NewJob[];
  onCatch: NewJob[];
  onFinally: NewJob[];
}

export function createBatch(spec: NewBatch, now: number): StoredBatch {
  return {
    id: spec.id,
    options: spec.options,
    allowFailures: spec.allowFailures,
    total: 0,
    processed: 0,
    failed: 0,
    cancelled: 0,
    cancelledAt: null,
    createdAt: now,
    finishedAt: null,
    thenFired: false,
    catchFired: false,
    finallyFired: false,
    failedIds: new Set(),
    outcomes: new Map(),
    members: new Set(),
    onThen: spec.then.map(cloneSpec),
    onCatch: spec.catch.map(cloneSpec),
    onFinally: spec.finally.map(cloneSpec),
  };
}

export function batchRecord(batch: StoredBatch): BatchRecord {
  return {
    id: batch.id,
    options: batch.options,
    allowFailures: batch.allowFailures,
    total: batch.total,
    processed: batch.processed,
    failed: batch.failed,
    cancelled: batch.cancelled,
    cancelledAt: batch.cancelledAt,
    createdAt: batch.createdAt,
    finishedAt: batch.finishedAt,
    thenFired: batch.thenFired,
    catchFired: batch.catchFired,
    finallyFired: batch.finallyFired,
    failedJobIds: [...batch.failedIds],
  };
}

/** Counts a stored member into the batch's total (`links` > 1 for a whole chain whose first link is `jobId`). */
export function addMember(ctx: Context, batch: StoredBatch, jobId: string, links = 1): void {
  batch.total += links;
  batch.members.add(jobId);
  ctx.touched.add(batch);
}

function adjust(batch: StoredBatch, outcome: Outcome, delta: 1 | -1): void {
  if (outcome === 'completed') batch.processed += delta;
  else if (outcome === 'failed') batch.failed += delta;
  else batch.cancelled += delta;
}

/**
 * Records a member's final outcome in its batch (a no-op for jobs that are not members, such as callbacks,
 * and for a repeat of the outcome already recorded).
 */
export function countOutcome(ctx: Context, batchId: string, jobId: string, outcome: Outcome): void {
  const batch = ctx.batches.get(batchId);
  if (batch === undefined || !batch.members.has(jobId)) return;
  // Touched even when nothing changes, so the settle still reports the batch it belongs to.
  ctx.touched.add(batch);
  const previous = batch.outcomes.get(jobId);
  if (previous === outcome) return;
  if (previous !== undefined) adjust(batch, previous, -1);
  adjust(batch, outcome, 1);
  batch.outcomes.set(jobId, outcome);
  if (outcome === 'failed') batch.failedIds.add(jobId);
  else batch.failedIds.delete(jobId);
}

/** The `crossed` flags of a `BatchChange`, whose `then` key the driver contract names. */
export function crossedOf(then: boolean, caught: boolean, final: boolean): Crossed {
  return { then, catch: caught, finally: final };
}

/** Crosses every threshold the counts reached that was not crossed before. */
export function crossThresholds(batch: StoredBatch, now: number): Crossed {
  const then = !batch.thenFired && batch.processed === batch.total;
  const caught = !batch.catchFired && batch.failed > 0;
  const final = !batch.finallyFired && batch.processed + batch.failed + batch.cancelled === batch.total;
  if (then) batch.thenFired = true;
  if (caught) batch.catchFired = true;
  if (final) {
    batch.finallyFired = true;
    batch.finishedAt = now;
  }
  return crossedOf(then, caught, final);
}
