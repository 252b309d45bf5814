import {
  DEFAULT_QUEUE_SETTINGS,
  type MetricsBucket,
  type MetricsIncrement,
  type QueueSettings,
  type QueueSettingsPatch,
  type WorkerRecord,
} from '@conveyor/core/driver';
import type { DriverContext } from './context.js';
import type { ScriptArg } from './scripts.js';

/** Queue settings (read by reserve.lua), the worker registry and per-minute metrics buckets. */

/** Applies a patch to a queue's settings in one script (see set-queue-settings.lua) and returns what is stored. */
export async function setQueueSettings(
  ctx: DriverContext,
  queue: string,
  patch: QueueSettingsPatch,
): Promise<QueueSettings> {
  const cleared = (value: number | null | undefined): ScriptArg =>
    value === undefined ? '' : value === null ? 'null' : value;
  const rate = patch.rateLimit;
  const stored = (await ctx.scripts.run(ctx.redis, {
    name: 'set-queue-settings',
    keys: [ctx.keys.queue(queue, 'settings')],
    args: [
      queue,
      patch.paused === undefined ? '' : patch.paused ? '1' : '0',
      cleared(patch.concurrency),
      cleared(rate === undefined || rate === null ? rate : rate.limit),
      rate ? rate.windowMs : '',
    ],
  })) as StoredSettings;
  return parseSettings(stored);
}

export async function getQueueSettings(ctx: DriverContext, queue: string): Promise<QueueSettings> {
  return parseSettings(
    await ctx.redis.hmget(
      ctx.keys.queue(queue, 'settings'),
      'paused',
      'concurrency',
      'rateLimit',
      'rateWindow',
    ),
  );
}

/** The settings hash's paused, concurrency, rateLimit and rateWindow fields (null, or false from Lua, when missing). */
type StoredSettings = Array<string | null | false>;

function parseSettings([paused, concurrency, limit, windowMs]: StoredSettings): QueueSettings {
  if (typeof paused !== 'string') return { ...DEFAULT_QUEUE_SETTINGS };
  return {
    paused: paused === '1',
    concurrency: typeof concurrency === 'string' ? Number(concurrency) : null,
    rateLimit: typeof limit === 'string' ? { limit: Number(limit), windowMs: Number(windowMs) } : null,
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
    // bounds storage: relative to the last write (Redis's clock), so never before ttlMs after its minute
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
