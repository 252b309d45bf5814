/**
 * Dispatch throughput: single dispatches, 100 in flight (100 loops, each awaiting one dispatch at a time),
 * 20,000 jobs. Conveyor: `await conveyor.dispatch(job)`; BullMQ: `await queue.add(name, data)`.
 */

import { bullQueue } from '../lib/bull-setup.js';
import { NoopJob, redisConveyor } from '../lib/conveyor-setup.js';
import { benchUrl } from '../lib/env.js';
import { benchData } from '../lib/payload.js';
import type { Scenario } from '../lib/scenario.js';

const JOBS = 20_000;
const IN_FLIGHT = 100;

async function inFlight(send: (n: number) => PromiseLike<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < JOBS) await send(next++);
    }),
  );
  return JOBS / ((performance.now() - start) / 1000);
}

export const dispatch: Scenario = {
  id: 'dispatch',
  async conveyor({ prefix }) {
    const conveyor = redisConveyor(benchUrl(), prefix);
    await conveyor.counts('bench'); // connect first
    const jobsPerSecond = await inFlight((n) => conveyor.dispatch(new NoopJob(benchData(n))));
    await conveyor.close();
    return { jobsPerSecond };
  },
  async bullmq({ prefix }) {
    const queue = bullQueue(prefix);
    await queue.waitUntilReady();
    const jobsPerSecond = await inFlight((n) => queue.add('noop', benchData(n)));
    await queue.close();
    return { jobsPerSecond };
  },
};
