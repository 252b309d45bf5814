/**
 * Processing throughput in one worker process at a given concurrency: jobs are stored first (untimed), then a
 * worker starts; the time runs from the worker's start to the last job stored as completed (the handler count
 * reaching N, then the library's completed count reaching N, polled every 2 ms only for that tail).
 */
import type { Conveyor, WorkerOptions } from '@conveyor/core';
import type { Redis } from 'ioredis';
import { bullQueue, bullWorker } from '../lib/bull-setup.js';
import { hooks, redisConveyor } from '../lib/conveyor-setup.js';
import { cpuMeter } from '../lib/cpu.js';
import { benchUrl } from '../lib/env.js';
import { preloadBull, preloadConveyor } from '../lib/preload.js';
import type { Figures, Scenario } from '../lib/scenario.js';
import { until } from '../lib/stats.js';

export async function conveyorProcessing(
  conveyor: Conveyor,
  jobs: number,
  concurrency: number,
  admin?: Redis,
  options: WorkerOptions = {},
): Promise<Figures> {
  await preloadConveyor(conveyor, jobs);
  const cpu = admin ? await cpuMeter(admin) : undefined;
  let ran = 0;
  hooks.run = () => {
    ran++;
    return undefined;
  };
  const worker = conveyor.worker({ ...options, queues: ['bench'], concurrency });
  const start = performance.now();
  await worker.start();
  await until(() => ran >= jobs, 'every handler to run');
  await until(async () => (await conveyor.counts('bench')).completed >= jobs, 'every job completed');
  const ms = performance.now() - start;
  const used = await cpu?.(jobs);
  await worker.close();
  return { jobsPerSecond: jobs / (ms / 1000), ms, ...used };
}

/** `options`: Conveyor worker options beyond the defaults (BullMQ runs with its defaults either way). */
export function processing(
  id: string,
  jobs: number,
  concurrency: number,
  options: WorkerOptions = {},
): Scenario {
  return {
    id,
    async conveyor({ prefix, admin }) {
      const conveyor = redisConveyor(benchUrl(), prefix);
      const figures = await conveyorProcessing(conveyor, jobs, concurrency, admin, options);
      await conveyor.close();
      return figures;
    },
    async bullmq({ prefix, admin }) {
      const queue = bullQueue(prefix);
      await preloadBull(queue, jobs);
      const cpu = await cpuMeter(admin);
      let ran = 0;
      const start = performance.now();
      const worker = bullWorker(
        prefix,
        async () => {
          ran++;
        },
        { concurrency },
      );
      await until(() => ran >= jobs, 'every handler to run');
      await until(async () => (await queue.getCompletedCount()) >= jobs, 'every job completed');
      const ms = performance.now() - start;
      const used = await cpu(jobs);
      await worker.close();
      await queue.close();
      return { jobsPerSecond: jobs / (ms / 1000), ms, ...used };
    },
  };
}
