import type { BatchState } from '@conveyor/core';
import { SingleBar } from 'cli-progress';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { json, time } from '../format.js';
import type { Io } from '../io.js';
import { untilStopped, type Watch } from '../watch.js';

export interface BatchOptions {
  json?: boolean;
  watch?: boolean;
  /** ms between reads with --watch */
  interval: number;
}

/**
 * `conveyor batch <id> [--watch]`. With `--watch`, a live progress bar (on stderr) until every member settled,
 * then the final state. Exit 0 when the batch is finished with every member completed (or not watched), 1 when
 * it finished with failed or cancelled members.
 */
export async function showBatch(
  ctx: CliContext,
  id: string,
  options: BatchOptions,
  io: Io,
  watch: Watch,
): Promise<number> {
  const handle = await ctx.conveyor.findBatch(id);
  if (!handle) throw new CliError(`No batch ${JSON.stringify(id)}.`);
  let state = await handle.state();
  if (!options.watch || (state.finished && !options.json)) {
    io.out(options.json ? json(state) : renderBatch(state));
    return options.watch ? exitFor(state) : 0;
  }
  if (options.json) {
    io.out(json(state, true));
    if (!state.finished) {
      await untilStopped(watch, options.interval, async () => {
        state = await handle.state();
        io.out(json(state, true));
        return state.finished;
      });
    }
  } else {
    const bar = new SingleBar({
      stream: io.progressStream,
      format: ` {bar} {percentage}% | {settled}/{total} settled | {processed} completed, {failed} failed, {cancelled} cancelled`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 1_000,
    });
    const payload = (s: BatchState) => ({
      settled: s.processed + s.failed + s.cancelled,
      processed: s.processed,
      failed: s.failed,
      cancelled: s.cancelled,
    });
    bar.start(Math.max(state.total, 1), state.processed + state.failed + state.cancelled, payload(state));
    try {
      if (!state.finished) {
        await untilStopped(watch, options.interval, async () => {
          state = await handle.state();
          bar.setTotal(Math.max(state.total, 1));
          bar.update(state.processed + state.failed + state.cancelled, payload(state));
          return state.finished;
        });
      }
    } finally {
      bar.stop();
    }
    io.out(renderBatch(state));
  }
  return exitFor(state);
}

/** With --watch: 0 when every member completed (or the user stopped watching), 1 with failed or cancelled ones. */
function exitFor(state: BatchState): number {
  if (!state.finished) return 0;
  return state.failed + state.cancelled > 0 ? 1 : 0;
}

export function renderBatch(state: BatchState): string {
  const status = state.finished
    ? state.failed + state.cancelled > 0
      ? 'finished with failures'
      : 'finished'
    : state.cancelledAt !== null
      ? 'cancelled, members still running'
      : 'running';
  const lines = [
    `batch      ${state.id}${state.name ? ` (${state.name})` : ''}`,
    `status     ${status}`,
    `progress   ${state.percentage}% — ${state.processed} completed, ${state.failed} failed, ${state.cancelled} cancelled, ${state.pending} pending, of ${state.total}`,
    `created    ${time(state.createdAt)}`,
    `finished   ${time(state.finishedAt)}`,
  ];
  if (state.cancelledAt !== null) lines.push(`cancelled  ${time(state.cancelledAt)}`);
  if (state.failedJobIds.length > 0) lines.push(`failed     ${state.failedJobIds.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
