import type { ScheduleRecord } from '@conveyor/core/driver';
import type { DriverContext } from './context.js';

/** Schedules: one hash per schedule plus a set of names; claiming an occurrence is a script. */
export async function saveSchedule(ctx: DriverContext, schedule: ScheduleRecord): Promise<void> {
  await ctx.scripts.run(ctx.redis, {
    name: 'save-schedule',
    keys: [ctx.keys.schedule(schedule.name), ctx.keys.schedules],
    args: [
      schedule.name,
      schedule.definition,
      schedule.paused ? '1' : '0',
      schedule.nextRunAt ?? '',
      schedule.lastRunAt ?? '',
    ],
  });
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
