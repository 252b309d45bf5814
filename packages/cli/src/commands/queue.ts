import type { CliContext } from '../context.js';
import { json } from '../format.js';
import type { Io } from '../io.js';

/**
 * `conveyor queue pause|resume <name>`: through the shared queue settings (`conveyor.pause/resume`), for every
 * worker sharing the storage; running jobs finish.
 */
export async function pauseQueue(
  ctx: CliContext,
  queue: string,
  paused: boolean,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  if (paused) await ctx.conveyor.pause(queue);
  else await ctx.conveyor.resume(queue);
  io.out(options.json ? json({ queue, paused }) : `${paused ? 'Paused' : 'Resumed'} queue ${queue}.\n`);
  return 0;
}

/** `conveyor queue clear <name>`: deletes the queue's waiting jobs (pending, delayed, retrying). */
export async function clearQueue(
  ctx: CliContext,
  queue: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  const removed = await ctx.conveyor.clear(queue);
  io.out(
    options.json ? json({ queue, removed }) : `Removed ${removed} waiting job(s) from queue ${queue}.\n`,
  );
  return 0;
}
