import { JOB_STATES, type JobRecord, type ListFilter, type StateCounts } from '@conveyor/core/driver';
import type { Context } from './context.js';
import type { QueueIndex } from './job-store.js';
import { newestFirst, type StoredJob, toRecord } from './stored-job.js';

const DEFAULT_LIMIT = 100;

/** The jobs a filter's queue and state select, read from the state indexes rather than every job. */
function candidates(ctx: Context, filter: ListFilter): Iterable<StoredJob>[] {
  let indexes: Iterable<QueueIndex>;
  if (filter.queue !== undefined) {
    const index = ctx.store.queues.get(filter.queue);
    if (index === undefined) return [];
    indexes = [index];
  } else if (filter.state === undefined) {
    return [ctx.store.jobs.values()];
  } else {
    indexes = ctx.store.queues.values();
  }
  const sources: Iterable<StoredJob>[] = [];
  for (const index of indexes) {
    if (filter.state !== undefined) sources.push(index.byState[filter.state]);
    else for (const state of JOB_STATES) sources.push(index.byState[state]);
  }
  return sources;
}

/** `Driver.list`: newest first (createdAt desc, then insertion order desc), then offset and limit. */
export function list(ctx: Context, filter: ListFilter): JobRecord[] {
  const matches: StoredJob[] = [];
  for (const source of candidates(ctx, filter)) {
    for (const job of source) if (filter.name === undefined || job.name === filter.name) matches.push(job);
  }
  matches.sort(newestFirst);
  const offset = Math.max(0, filter.offset ?? 0);
  const limit = Math.max(0, filter.limit ?? DEFAULT_LIMIT);
  return matches.slice(offset, offset + limit).map(toRecord);
}

function zeroCounts(): StateCounts {
  return { pending: 0, delayed: 0, processing: 0, retrying: 0, completed: 0, failed: 0, cancelled: 0 };
}

/** `Driver.counts`: every state present, from index sizes: O(queues). */
export function counts(ctx: Context, queue?: string): StateCounts {
  const result = zeroCounts();
  const indexes = queue === undefined ? ctx.store.queues.values() : [ctx.store.queues.get(queue)];
  for (const index of indexes) {
    if (index === undefined) continue;
    for (const state of JOB_STATES) result[state] += index.byState[state].size;
  }
  return result;
}

/** `Driver.queues`: every queue that ever held a job, sorted. */
export function queueNames(ctx: Context): string[] {
  return [...ctx.store.queues.keys()].sort();
}
