/**
 * Bulk dispatch: 10,000 jobs in one call. Conveyor: one `Batch` of 10,000 jobs (no callbacks), which stores
 * the batch record and every member in one atomic script call; BullMQ: `queue.addBulk` of 10,000 jobs. The
 * time covers building the call (encoding every payload) and storing it.
 */

import { bullQueue } from '../lib/bull-setup.js';
import { NoopJob, redisConveyor } from '../lib/conveyor-setup.js';
import { benchUrl } from '../lib/env.js';
import { benchData } from '../lib/payload.js';
import type { Scenario } from '../lib/scenario.js';

const JOBS = 10_000;
/** Untimed rounds first, so neither side is measured cold (script load, JIT). */
const WARMUP = 1;
const ROUNDS = 3;

async function timed(round: () => Promise<unknown>): Promise<{ jobsPerSecond: number; ms: number }> {
  for (let i = 0; i < WARMUP; i++) await round();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await round();
    const ms = performance.now() - start;
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  const ms = times[times.length >> 1]!;
  return { jobsPerSecond: JOBS / (ms / 1000), ms };
}

export const bulkDispatch: Scenario = {
  id: 'bulk-dispatch',
  async conveyor({ prefix }) {
    const conveyor = redisConveyor(benchUrl(), prefix);
    await conveyor.counts('bench');
    const result = await timed(() =>
      conveyor.batch(Array.from({ length: JOBS }, (_, n) => new NoopJob(benchData(n)))).dispatch(),
    );
    await conveyor.close();
    return result;
  },
  async bullmq({ prefix }) {
    const queue = bullQueue(prefix);
    await queue.waitUntilReady();
    const result = await timed(() =>
      queue.addBulk(Array.from({ length: JOBS }, (_, n) => ({ name: 'noop', data: benchData(n) }))),
    );
    await queue.close();
    return result;
  },
};
