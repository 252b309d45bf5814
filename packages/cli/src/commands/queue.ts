import type { Conveyor } from '@conveyor/core';
import type { CliContext } from '../context.js';
import { json } from '../format.js';
import type { Io } from '../io.js';

/** `conveyor queue pause|resume <name>`: for every worker sharing the storage; running jobs finish. */
export async function pauseQueue(
  ctx: CliContext,
  queue: string,
  paused: boolean,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  await setPaused(ctx.conveyor, queue, paused);
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

/** Through `conveyor.pause/resume` (shared queue settings), or the driver's settings where core has none. */
async function setPaused(conveyor: Conveyor, queue: string, paused: boolean): Promise<void> {
  const api = conveyor as unknown as Record<
    'pause' | 'resume',
    ((queue: string) => Promise<unknown>) | undefined
  >;
  const method = api[paused ? 'pause' : 'resume'];
  if (typeof method === 'function') {
    await method.call(conveyor, queue);
    return;
  }
  const settings = await conveyor.driver.getQueueSettings(queue);
  await conveyor.driver.setQueueSettings(queue, { ...settings, paused });
}
