import {
  type BatchRecord,
  type ChainRecord,
  type ChainState,
  JOB_STATES,
  type JobRecord,
  type JobState,
  type ListFilter,
  type StateCounts,
} from '@conveyor/core/driver';
import { BATCH_FIELDS, parseBatch, parseJob, publicJob, type StoredJob, toHash } from './codec.js';
import type { DriverContext } from './context.js';
import type { QueueKeyKind } from './keys.js';

/** The index (sorted set) holding each state. */
const STATE_INDEX: Record<JobState, QueueKeyKind> = {
  pending: 'ready',
  delayed: 'delayed',
  processing: 'active',
  retrying: 'retrying',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

export async function queues(ctx: DriverContext): Promise<string[]> {
  return (await ctx.redis.smembers(ctx.keys.queues)).sort();
}

export async function getJob(ctx: DriverContext, id: string): Promise<JobRecord | null> {
  const cached = ctx.locator.cached(id);
  if (cached !== undefined) {
    const hash = await ctx.redis.hgetall(ctx.keys.job(cached, id));
    if (hash.state !== undefined) return publicJob(parseJob(located(hash, id, cached)));
  }
  const all = await queues(ctx);
  if (all.length === 0) return null;
  const pipeline = ctx.redis.pipeline();
  for (const queue of all) pipeline.hgetall(ctx.keys.job(queue, id));
  const replies = (await pipeline.exec()) ?? [];
  for (const [i, [error, hash]] of replies.entries()) {
    if (error) throw error;
    const found = hash as Record<string, string>;
    if (found.state !== undefined) {
      ctx.locator.remember(id, all[i]!);
      return publicJob(parseJob(located(found, id, all[i]!)));
    }
  }
  return null;
}

/** A job hash with the id and queue its key holds (see `recordOf` in codec.ts). */
function located(hash: Record<string, string>, id: string, queue: string): Record<string, string> {
  hash.id = id;
  hash.queue = queue;
  return hash;
}

export async function listJobs(ctx: DriverContext, filter: ListFilter): Promise<JobRecord[]> {
  const limit = filter.limit ?? 100;
  const offset = filter.offset ?? 0;
  if (limit <= 0) return [];
  const targets = filter.queue !== undefined ? [filter.queue] : await queues(ctx);
  const single = targets.length === 1;
  const calls = targets.map((queue) => ({
    name: 'list' as const,
    keys: [ctx.keys.queue(queue, 'jobs')],
    args: [
      queue,
      filter.state ?? '',
      filter.name ?? '',
      single ? offset : 0,
      single ? limit : offset + limit,
    ],
  }));
  const results = await ctx.scripts.runMany(ctx.redis, calls);
  const jobs: StoredJob[] = [];
  for (const { error, value } of results) {
    if (error) throw error;
    for (const flat of value as unknown[]) jobs.push(parseJob(toHash(flat)));
  }
  if (single) return jobs.map(publicJob);
  // across queues: newest first by createdAt, then by each queue's insertion order
  jobs.sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
  return jobs.slice(offset, offset + limit).map(publicJob);
}

export async function countJobs(ctx: DriverContext, queue?: string): Promise<StateCounts> {
  const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as StateCounts;
  const targets = queue !== undefined ? [queue] : await queues(ctx);
  if (targets.length === 0) return counts;
  const pipeline = ctx.redis.pipeline();
  for (const q of targets)
    for (const state of JOB_STATES) pipeline.zcard(ctx.keys.queue(q, STATE_INDEX[state]));
  const replies = (await pipeline.exec()) ?? [];
  let i = 0;
  for (let t = 0; t < targets.length; t++) {
    for (const state of JOB_STATES) {
      const [error, n] = replies[i++] ?? [null, 0];
      if (error) throw error;
      counts[state] += Number(n);
    }
  }
  return counts;
}

export async function getBatch(ctx: DriverContext, batchId: string): Promise<BatchRecord | null> {
  const [fields, failed] = await Promise.all([
    ctx.redis.hmget(ctx.keys.batch(batchId), ...BATCH_FIELDS),
    ctx.redis.smembers(ctx.keys.batchFailed(batchId)),
  ]);
  if (fields[0] === null) return null;
  return parseBatch(fields, failed);
}

const CHAIN_FIELDS = ['id', 'state', 'position', 'batchId', 'options', 'createdAt', 'finishedAt'] as const;

export async function getChain(ctx: DriverContext, chainId: string): Promise<ChainRecord | null> {
  const [fields, links] = await Promise.all([
    ctx.redis.hmget(ctx.keys.chain(chainId), ...CHAIN_FIELDS),
    ctx.redis.lrange(ctx.keys.chainLinks(chainId), 0, -1),
  ]);
  const [id, state, position, batchId, options, createdAt, finishedAt] = fields;
  if (!id) return null;
  return {
    id,
    state: (state ?? 'running') as ChainState,
    jobIds: links.map(linkId),
    position: Number(position ?? 0),
    batchId: batchId ?? null,
    options: options ?? '',
    createdAt: Number(createdAt ?? 0),
    finishedAt: finishedAt ? Number(finishedAt) : null,
  };
}

function linkId(json: string): string {
  try {
    return String((JSON.parse(json) as { id?: unknown }).id ?? '');
  } catch {
    return '';
  }
}
