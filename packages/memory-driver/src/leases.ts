import type { Lease, ReservedJob, ReserveRequest, ReserveResult } from '@conveyor/core/driver';
import type { Context } from './context.js';
import { type StoredJob, toReserved } from './stored-job.js';

/**
 * `Driver.reserve`: promotes due delayed/retrying jobs of every requested queue, then takes up to `max`
 * pending jobs in strict queue order (heap order within a queue). O(log n) per job taken.
 */
export function reserve(ctx: Context, request: ReserveRequest): ReserveResult {
  const { now, max } = request;
  const jobs: ReservedJob[] = [];
  let nextAvailableAt: number | null = null;
  for (const queue of request.queues) {
    const index = ctx.store.queues.get(queue);
    if (index === undefined) continue;
    index.promoteDue(now);
    // Queue settings (pause, shared concurrency, rate limit) may let this call take fewer than `max`.
    const limits = ctx.queueSettings.room(queue, index, now);
    if (limits.paused) continue; // a paused queue hands out nothing and reports no due time
    const until = Math.min(max, jobs.length + limits.room);
    const before = jobs.length;
    while (jobs.length < until) {
      const job = ctx.store.take(index);
      if (job === undefined) break;
      job.attempts += 1;
      job.startedAt = now;
      job.workerId = request.workerId;
      job.leaseExpiresAt = now + request.leaseMs;
      job.token = request.token;
      if (job.uniqueUntil === 'started' && job.uniqueKey !== null)
        ctx.uniqueLocks.release(job.uniqueKey, job.id);
      ctx.jobChanged(job);
      jobs.push(toReserved(job));
    }
    ctx.queueSettings.started(queue, jobs.length - before, now);
    if (limits.rateHeld && index.ready.size > 0 && limits.windowEnd !== null) {
      if (nextAvailableAt === null || limits.windowEnd < nextAvailableAt) nextAvailableAt = limits.windowEnd;
    }
    const due = index.waiting.peek();
    if (due !== undefined && (nextAvailableAt === null || due.availableAt < nextAvailableAt)) {
      nextAvailableAt = due.availableAt;
    }
  }
  return { jobs, nextAvailableAt };
}

/** `Driver.extendLeases`: renews each lease whose token still holds; returns the ids of the others. */
export function extendLeases(ctx: Context, leases: Lease[], leaseMs: number, now: number): string[] {
  const lost: string[] = [];
  for (const lease of leases) {
    const job = ctx.store.get(lease.jobId);
    if (job === undefined || job.state !== 'processing' || job.token !== lease.token) lost.push(lease.jobId);
    else job.leaseExpiresAt = now + leaseMs;
  }
  return lost;
}

/**
 * `Driver.recoverStalled`: hands over up to `max` processing jobs whose lease expired before `now`, queue by
 * queue in the order given, the longest-expired first, under the new token. Scans only processing jobs, which
 * worker concurrency bounds.
 */
export function recoverStalled(
  ctx: Context,
  queues: string[],
  now: number,
  leaseMs: number,
  token: string,
  max: number,
): ReservedJob[] {
  const taken: ReservedJob[] = [];
  for (const queue of queues) {
    if (taken.length >= max) break;
    const index = ctx.store.queues.get(queue);
    if (index === undefined) continue;
    const expired: StoredJob[] = [];
    for (const job of index.processing) {
      if (job.leaseExpiresAt !== null && job.leaseExpiresAt < now) expired.push(job);
    }
    expired.sort((a, b) => a.leaseExpiresAt! - b.leaseExpiresAt! || a.seq - b.seq);
    for (const job of expired) {
      if (taken.length >= max) break;
      job.token = token;
      job.leaseExpiresAt = now + leaseMs;
      taken.push(toReserved(job));
    }
  }
  return taken;
}
