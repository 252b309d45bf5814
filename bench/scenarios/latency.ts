/**
 * Dispatch-to-start latency on an idle worker: a worker (concurrency 1) waits on an empty queue; 2,000 jobs are
 * dispatched one at a time from another connection of the same process, each carrying its dispatch time; the
 * handler records `start - dispatched`. After each start the dispatcher waits 5 ms, so the worker is back to
 * its idle blocking wait before the next job (this measures the wake-up path, not a busy worker's).
 *
 * 2,000 samples, not 500: p99 is then the 20th slowest start of a run rather than the 5th, so one stall of the
 * box (5-14 ms, seen for both libraries alike) moves it less; with 500, per-run p99s of the same library spread
 * over 4-10 ms and the comparison flipped between whole bench runs.
 */

import { bullQueue, bullWorker } from '../lib/bull-setup.js';
import { hooks, NoopJob, redisConveyor } from '../lib/conveyor-setup.js';
import { benchUrl } from '../lib/env.js';
import { benchData, preciseNow } from '../lib/payload.js';
import type { Figures, Scenario } from '../lib/scenario.js';
import { percentile, sleep } from '../lib/stats.js';

const SAMPLES = 2_000;
const WARMUP = 20;
const GAP_MS = 5;

async function measure(
  send: (n: number) => PromiseLike<unknown>,
  started: () => Promise<number>,
): Promise<Figures> {
  const latencies: number[] = [];
  for (let n = 0; n < WARMUP + SAMPLES; n++) {
    const startedAt = started();
    await send(n);
    const latency = await startedAt;
    if (n >= WARMUP) latencies.push(latency);
    await sleep(GAP_MS);
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
}

/** A promise of the next handler start's latency (start minus the dispatch time carried in the payload). */
function nextStart(): Promise<number> {
  return new Promise((resolve) => {
    hooks.run = (data, startedAt) => {
      resolve(startedAt - data.t);
      return undefined;
    };
  });
}

export const latency: Scenario = {
  id: 'latency',
  async conveyor({ prefix }) {
    const dispatcher = redisConveyor(benchUrl(), prefix);
    const workers = redisConveyor(benchUrl(), prefix);
    await dispatcher.counts('bench');
    const worker = workers.worker({ queues: ['bench'], concurrency: 1 });
    await worker.start();
    await sleep(200);
    const figures = await measure(
      (n) => dispatcher.dispatch(new NoopJob(benchData(n, preciseNow()))),
      nextStart,
    );
    await worker.close();
    await workers.close();
    await dispatcher.close();
    return figures;
  },
  async bullmq({ prefix }) {
    const queue = bullQueue(prefix);
    await queue.waitUntilReady();
    let onStart: (latency: number) => void = () => {};
    const worker = bullWorker(
      prefix,
      async (job) => {
        onStart(preciseNow() - (job.data as { t: number }).t);
      },
      { concurrency: 1 },
    );
    await worker.waitUntilReady();
    await sleep(200);
    const figures = await measure(
      (n) => queue.add('noop', benchData(n, preciseNow())),
      () => new Promise<number>((resolve) => (onStart = resolve)),
    );
    await worker.close();
    await queue.close();
    return figures;
  },
};
