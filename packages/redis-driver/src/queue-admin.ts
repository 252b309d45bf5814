import {
  DEFAULT_QUEUE_SETTINGS,
  type MetricsBucket,
  type MetricsIncrement,
  type QueueSettings,
  type WorkerRecord,
} from '@conveyor/core/driver';
import type { DriverContext } from './context.js';

/** Queue settings (read by reserve.lua), the worker registry and per-minute metrics buckets. */

export async function setQueueSettings(
  ctx: DriverContext,
  queue: string,
  settings: QueueSettings,
): Promise<void> {
  await ctx.scripts.run(ctx.redis, {
    name: 'set-queue-settings',
    keys: [ctx.keys.queue(queue, 'settings')],
    args: [
      queue,
      settings.paused ? '1' : '0',
      settings.concurrency ?? '',
      settings.rateLimit?.limit ?? '',
      settings.rateLimit?.windowMs ?? '',
    ],
  });
}

export async function getQueueSettings(ctx: DriverContext, queue: string): Promise<QueueSettings> {
  const [paused, concurrency, limit, windowMs] = await ctx.redis.hmget(
    ctx.keys.queue(queue, 'settings'),
    'paused',
    'concurrency',
    'rateLimit',
    'rateWindow',
  );
  if (paused === null) return { ...DEFAULT_QUEUE_SETTINGS };
  return {
    paused: paused === '1',
    concurrency: concurrency === null ? null : Number(concurrency),
    rateLimit: limit === null ? null : { limit: Number(limit), windowMs: Number(windowMs) },
  };
}

export async function saveWorker(ctx: DriverContext, record: WorkerRecord): Promise<void> {
  const key = ctx.keys.worker(record.id);
  // the Redis TTL only collects records nobody lists any more; expiry itself follows `now` in listWorkers
  const gcMs = Math.max(60_000, 2 * (record.expiresAt - record.heartbeatAt) + 60_000);
  await ctx.redis
    .multi()
    .hset(
      key,
      'id',
      record.id,
      'info',
      record.info,
      'heartbeatAt',
      record.heartbeatAt,
      'expiresAt',
      record.expiresAt,
    )
    .pexpire(key, gcMs)
    .zadd(ctx.keys.workers, record.expiresAt, record.id)
    .exec();
}

export async function removeWorker(ctx: DriverContext, workerId: string): Promise<void> {
  await ctx.redis.multi().del(ctx.keys.worker(workerId)).zrem(ctx.keys.workers, workerId).exec();
}

export async function listWorkers(ctx: DriverContext, now: number): Promise<WorkerRecord[]> {
  const rows = (await ctx.scripts.run(ctx.redis, {
    name: 'list-workers',
    keys: [ctx.keys.workers],
    args: [now],
  })) as Array<[string, string | null, string | null, string | null]>;
  return rows.map(([id, info, heartbeatAt, expiresAt]) => ({
    id,
    info: info ?? '',
    heartbeatAt: Number(heartbeatAt ?? 0),
    expiresAt: Number(expiresAt ?? 0),
  }));
}

const MINUTE_MS = 60_000;

export async function incrementMetrics(
  ctx: DriverContext,
  increments: MetricsIncrement[],
  ttlMs: number,
): Promise<void> {
  if (increments.length === 0) return;
  const pipeline = ctx.redis.pipeline();
  for (const { queue, minute, fields } of increments) {
    const key = ctx.keys.metrics(queue, minute);
    for (const [field, value] of Object.entries(fields)) {
      if (Number.isInteger(value)) pipeline.hincrby(key, field, value);
      else pipeline.hincrbyfloat(key, field, value);
    }
    // bounds storage; a bucket lives about ttlMs after its minute
    pipeline.pexpire(key, Math.max(1, Math.floor(ttlMs)));
  }
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

export async function readMetrics(
  ctx: DriverContext,
  queue: string,
  fromMinute: number,
  toMinute: number,
): Promise<MetricsBucket[]> {
  const minutes: number[] = [];
  for (let m = Math.ceil(fromMinute / MINUTE_MS) * MINUTE_MS; m <= toMinute; m += MINUTE_MS) minutes.push(m);
  if (minutes.length === 0) return [];
  const pipeline = ctx.redis.pipeline();
  for (const minute of minutes) pipeline.hgetall(ctx.keys.metrics(queue, minute));
  const replies = (await pipeline.exec()) ?? [];
  const buckets: MetricsBucket[] = [];
  replies.forEach(([error, hash], i) => {
    if (error) throw error;
    const entries = Object.entries(hash as Record<string, string>);
    if (entries.length === 0) return;
    buckets.push({
      minute: minutes[i]!,
      fields: Object.fromEntries(entries.map(([k, v]) => [k, Number(v)])),
    });
  });
  return buckets;
}
