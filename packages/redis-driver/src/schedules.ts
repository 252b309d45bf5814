import type { ScheduleRecord } from '@conveyor/core/driver';
import type { DriverContext } from './context.js';

/** Schedules: one hash per schedule plus a set of names; claiming an occurrence is a script. */
export async function saveSchedule(ctx: DriverContext, schedule: ScheduleRecord): Promise<void> {
  const key = ctx.keys.schedule(schedule.name);
  const fields: string[] = [
    'name',
    schedule.name,
    'definition',
    schedule.definition,
    'paused',
    schedule.paused ? '1' : '0',
  ];
  if (schedule.nextRunAt !== null) fields.push('nextRunAt', String(schedule.nextRunAt));
  if (schedule.lastRunAt !== null) fields.push('lastRunAt', String(schedule.lastRunAt));
  await ctx.redis
    .multi()
    .del(key)
    .hset(key, ...fields)
    .sadd(ctx.keys.schedules, schedule.name)
    .exec();
}

export async function listSchedules(ctx: DriverContext): Promise<ScheduleRecord[]> {
  const names = await ctx.redis.smembers(ctx.keys.schedules);
  if (names.length === 0) return [];
  const pipeline = ctx.redis.pipeline();
  for (const name of names.sort()) pipeline.hgetall(ctx.keys.schedule(name));
  const replies = (await pipeline.exec()) ?? [];
  const records: ScheduleRecord[] = [];
  for (const [error, value] of replies) {
    if (error) throw error;
    const h = value as Record<string, string>;
    if (h.name === undefined) continue;
    records.push({
      name: h.name,
      definition: h.definition ?? '',
      paused: h.paused === '1',
      nextRunAt: h.nextRunAt ? Number(h.nextRunAt) : null,
      lastRunAt: h.lastRunAt ? Number(h.lastRunAt) : null,
    });
  }
  return records;
}

export async function removeSchedule(ctx: DriverContext, name: string): Promise<boolean> {
  const replies = await ctx.redis.multi().del(ctx.keys.schedule(name)).srem(ctx.keys.schedules, name).exec();
  return Number(replies?.[0]?.[1] ?? 0) > 0;
}

export async function claimOccurrence(
  ctx: DriverContext,
  name: string,
  at: number,
  nextRunAt: number | null,
): Promise<boolean> {
  const claimed = await ctx.scripts.run(ctx.redis, {
    name: 'claim-occurrence',
    keys: [ctx.keys.schedule(name)],
    args: [at, nextRunAt ?? ''],
  });
  return claimed === 1;
}
