import type { CliContext } from '../context.js';
import { duration, json } from '../format.js';
import type { Io } from '../io.js';
import { renderWorkers } from './stats.js';

/** `conveyor workers`: the worker registry. */
export async function listWorkers(ctx: CliContext, options: { json?: boolean }, io: Io): Promise<number> {
  const workers = await ctx.conveyor.workers();
  if (options.json) io.out(json(workers));
  else io.out(workers.length === 0 ? 'No live workers.\n' : renderWorkers(workers));
  return 0;
}

/** `conveyor health`: exit 0 when ok, 1 when degraded or down (for probes and scripts). */
export async function health(
  ctx: CliContext,
  options: { json?: boolean; timeout: number },
  io: Io,
): Promise<number> {
  const report = await ctx.conveyor.health({ timeout: options.timeout });
  if (options.json) {
    io.out(json(report));
  } else {
    const { driver, workers, queues } = report;
    io.out(
      `status   ${report.status}\n` +
        `storage  ${driver.name}: ${driver.reachable ? `reachable in ${duration(driver.latencyMs)}` : `unreachable (${driver.error})`}\n` +
        `workers  ${workers.total} (${workers.healthy} healthy, ${workers.unhealthy} unhealthy)\n` +
        `queues   ${queues.length === 0 ? '-' : queues.map((q) => `${q.queue}: ${q.depth} waiting${q.paused ? ' (paused)' : ''}`).join(', ')}\n`,
    );
  }
  return report.status === 'ok' ? 0 : 1;
}
