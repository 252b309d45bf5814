import type { CleanRequest, RetryFailedSelector } from '@conveyor/core/driver';
import type { Context } from './context.js';
import { cancelWaiting, finalizeBatches } from './follow-ups.js';
import { isWaiting } from './job-store.js';
import type { StoredJob } from './stored-job.js';

function failedJobs(ctx: Context, selector: RetryFailedSelector): StoredJob[] {
  if (selector.ids !== undefined) {
    const jobs = new Set<StoredJob>();
    for (const id of selector.ids) {
      const job = ctx.store.get(id);
      if (job !== undefined && job.state === 'failed') jobs.add(job);
    }
    return [...jobs];
  }
  if (selector.queue !== undefined) return [...(ctx.store.queues.get(selector.queue)?.byState.failed ?? [])];
  const jobs: StoredJob[] = [];
  for (const index of ctx.store.queues.values()) jobs.push(...index.byState.failed);
  return jobs;
}

/**
 * `Driver.retryFailed`: failed jobs go back to pending, due now, with attempts reset to 0. Their error history
 * stays. A batch keeps counting such a job as failed until it completes. Its unique lock (released when it
 * failed) is not taken again, and a failed chain stays failed: the job runs alone.
 */
export function retryFailed(ctx: Context, selector: RetryFailedSelector, now: number): string[] {
  const moved: string[] = [];
  for (const job of failedJobs(ctx, selector)) {
    job.attempts = 0;
    job.availableAt = now;
    job.finishedAt = null;
    ctx.store.move(job, 'pending');
    ctx.jobChanged(job);
    ctx.workArrived(job.queue);
    moved.push(job.id);
  }
  return moved;
}

/**
 * `Driver.remove`: deletes jobs that are not processing. A job still waiting to run is first cancelled with
 * every follow-up (lock released, the rest of its chain cancelled, its batch counting it), so that removing
 * it never leaves a chain or a batch waiting forever; subscribers see it become `cancelled`. The call takes
 * no `now`, so those follow-ups use the latest `now` the driver was given.
 */
export function remove(ctx: Context, jobIds: string[]): number {
  let removed = 0;
  for (const id of jobIds) {
    const job = ctx.store.get(id);
    if (job === undefined || job.state === 'processing') continue;
    if (isWaiting(job.state)) cancelWaiting(ctx, job, ctx.lastNow);
    ctx.store.delete(job);
    removed += 1;
  }
  finalizeBatches(ctx, ctx.lastNow);
  return removed;
}

/**
 * `Driver.clean`: removes finished jobs of one queue and state that finished before `finishedBefore` or are
 * beyond the newest `keep`, oldest first, at most `limit`.
 */
export function clean(ctx: Context, request: CleanRequest): number {
  const set = ctx.store.queues.get(request.queue)?.byState[request.state];
  if (set === undefined || set.size === 0 || request.limit <= 0) return 0;
  // Oldest first: finishedAt asc, then insertion order.
  const jobs = [...set].sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0) || a.seq - b.seq);
  const beyondKeep = jobs.length - Math.max(0, request.keep);
  let removed = 0;
  for (let i = 0; i < jobs.length && removed < request.limit; i += 1) {
    const job = jobs[i]!;
    // Sorted oldest first: once a job is neither old enough nor beyond `keep`, no later one is.
    if (i >= beyondKeep && (job.finishedAt ?? 0) >= request.finishedBefore) break;
    ctx.store.delete(job);
    removed += 1;
  }
  return removed;
}
