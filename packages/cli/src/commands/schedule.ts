import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { json, table, time } from '../format.js';
import type { Io } from '../io.js';

/** `conveyor schedule list`. */
export async function listSchedules(ctx: CliContext, options: { json?: boolean }, io: Io): Promise<number> {
  const schedules = await ctx.conveyor.schedules.list();
  if (options.json) {
    io.out(json(schedules));
    return 0;
  }
  if (schedules.length === 0) {
    io.out('No schedules.\n');
    return 0;
  }
  io.out(
    table(
      ['NAME', 'CRON', 'TIMEZONE', 'JOB', 'QUEUE', 'STATE', 'NEXT RUN', 'LAST RUN'],
      schedules.map((s) =>
        'error' in s
          ? [s.name, '-', '-', '-', '-', `unreadable: ${s.error}`, time(s.nextRunAt), time(s.lastRunAt)]
          : [
              s.name,
              s.cron,
              s.timezone,
              s.job,
              s.queue,
              s.paused ? 'paused' : 'active',
              time(s.nextRunAt),
              time(s.lastRunAt),
            ],
      ),
    ),
  );
  return 0;
}

/** `conveyor schedule pause|resume|delete <name>`. */
export async function changeSchedule(
  ctx: CliContext,
  action: 'pause' | 'resume' | 'delete',
  name: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  const schedules = ctx.conveyor.schedules;
  const done =
    action === 'pause'
      ? await schedules.pause(name)
      : action === 'resume'
        ? await schedules.resume(name)
        : await schedules.delete(name);
  if (!done) throw new CliError(`No schedule named ${JSON.stringify(name)} (see conveyor schedule list).`);
  const past = { pause: 'Paused', resume: 'Resumed', delete: 'Deleted' }[action];
  io.out(options.json ? json({ schedule: name, action }) : `${past} schedule ${name}.\n`);
  return 0;
}
