import type { NewJob, PushOutcome } from '@conveyor/core/driver';
import type { Context } from './context.js';
import { createJob, type Placement } from './stored-job.js';

/**
 * Stores a new job as `delayed` (delayMs > 0, due at now + delayMs) or `pending` (due now), after applying its
 * uniqueness lock: a key held by a live owner turns the job away as a duplicate of the holder and stores
 * nothing; otherwise the job takes the lock (owner = job id, expiry = now + ttlMs).
 */
export function enqueue(ctx: Context, spec: NewJob, place: Placement, now: number): PushOutcome {
  // Push validates ids up front; this guards the later enqueues (chain links, callbacks) against an id
  // that is already stored, which would otherwise corrupt the indexes.
  if (ctx.store.jobs.has(spec.id)) return { outcome: 'duplicate', id: spec.id };
  const unique = spec.unique;
  if (unique) {
    const holder = ctx.uniqueLocks.holder(unique.key, now);
    if (holder !== null) return { outcome: 'duplicate', id: holder };
    ctx.uniqueLocks.acquire(unique.key, spec.id, unique.ttlMs, now);
  }
  const delayed = spec.delayMs > 0;
  const job = createJob(
    spec,
    place,
    delayed ? 'delayed' : 'pending',
    delayed ? now + spec.delayMs : now,
    now,
    ctx.store.nextSeq(),
  );
  ctx.store.insert(job);
  ctx.jobChanged(job);
  ctx.workArrived(job.queue);
  return { outcome: 'added', id: spec.id };
}

/** Stores a job that will never run (a chain link cut off by a failure or a cancel) as `cancelled`. */
export function storeCancelled(ctx: Context, spec: NewJob, place: Placement, now: number): void {
  if (ctx.store.jobs.has(spec.id)) return;
  const job = createJob(spec, place, 'cancelled', now, now, ctx.store.nextSeq());
  job.finishedAt = now;
  ctx.store.insert(job);
  ctx.jobChanged(job);
}
