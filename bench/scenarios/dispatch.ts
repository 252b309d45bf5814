/**
 * Dispatch throughput: single dispatches, 100 in flight (100 loops, each awaiting one dispatch at a time),
 * 20,000 jobs. Conveyor: `await conveyor.dispatch(job)`; BullMQ: `await queue.add(name, data)`.
 */

import type { Redis } from 'ioredis';
import { bullQueue } from '../lib/bull-setup.js';
import { NoopJob, redisConveyor } from '../lib/conveyor-setup.js';
import { cpuMeter } from '../lib/cpu.js';
import { benchUrl } from '../lib/env.js';
import { benchData } from '../lib/payload.js';
import type { Figures, Scenario } from '../lib/scenario.js';

const JOBS = 20_000;
const IN_FLIGHT = 100;

async function inFlight(send: (n: number) => PromiseLike<unknown>, admin: Redis): Promise<Figures> {
  let next = 0;
  const cpu = await cpuMeter(admin);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < JOBS) await send(next++);
    }),
  );
  const jobsPerSecond = JOBS / ((performance.now() - start) / 1000);
  return { jobsPerSecond, ...(await cpu(JOBS)) };
}

export const dispatch: Scenario = {
  id: 'dispatch',
  async conveyor({ prefix, admin }) {
    const conveyor = redisConveyor(benchUrl(), prefix);
    await conveyor.counts('bench'); // connect first
    const figures = await inFlight((n) => conveyor.dispatch(new NoopJob(benchData(n))), admin);
    await conveyor.close();
    return figures;
  },
  async bullmq({ prefix, admin }) {
    const queue = bullQueue(prefix);
    await queue.waitUntilReady();
    const figures = await inFlight((n) => queue.add('noop', benchData(n)), admin);
    await queue.close();
    return figures;
  },
};
