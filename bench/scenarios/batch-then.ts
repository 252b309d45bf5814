/**
 * A 10,000-job batch with a `then` callback, end to end: a worker (concurrency 50) waits on the queue; the time
 * runs from building the batch to the start of its `then` callback job (dispatch of the batch, every member
 * processed and counted, the callback enqueued by the last settle and run). `pushMs` is the dispatch part;
 * `afterPushJobsPerSecond` counts only the time after it (processing, counting, the callback).
 *
 * BullMQ has no batch; its nearest equivalent is a FlowProducer parent with 10,000 children (the parent runs
 * once every child completed), timed the same way: from building the flow to the parent's start.
 */
import { FlowProducer } from 'bullmq';
import { BULL_QUEUE, bullWorker } from '../lib/bull-setup.js';
import { BatchDone, hooks, NoopJob, redisConveyor } from '../lib/conveyor-setup.js';
import { benchUrl, bullConnection } from '../lib/env.js';
import { benchData } from '../lib/payload.js';
import type { Scenario } from '../lib/scenario.js';
import { sleep } from '../lib/stats.js';

const JOBS = 10_000;
const CONCURRENCY = 50;

export const batchThen: Scenario = {
  id: 'batch-then',
  async conveyor({ prefix }) {
    const conveyor = redisConveyor(benchUrl(), prefix);
    const worker = conveyor.worker({ queues: ['bench'], concurrency: CONCURRENCY });
    await worker.start();
    await sleep(200);
    let ran = 0;
    const done = new Promise<void>((resolve) => {
      hooks.run = (data) => {
        if (data.n === -1) resolve();
        else ran++;
        return undefined;
      };
    });
    const start = performance.now();
    await conveyor
      .batch(Array.from({ length: JOBS }, (_, n) => new NoopJob(benchData(n))))
      .then(new BatchDone())
      .dispatch();
    const pushMs = performance.now() - start;
    await done;
    const ms = performance.now() - start;
    if (ran !== JOBS) throw new Error(`then ran after ${ran} of ${JOBS} members`);
    await worker.close();
    await conveyor.close();
    return {
      jobsPerSecond: JOBS / (ms / 1000),
      ms,
      pushMs,
      afterPushJobsPerSecond: JOBS / ((ms - pushMs) / 1000),
    };
  },
  async bullmq({ prefix }) {
    const flows = new FlowProducer({ connection: bullConnection(), prefix });
    let ran = 0;
    let parentDone: () => void = () => {};
    const done = new Promise<void>((resolve) => (parentDone = resolve));
    const worker = bullWorker(
      prefix,
      async (job) => {
        if (job.name === 'parent') parentDone();
        else ran++;
      },
      { concurrency: CONCURRENCY },
    );
    await worker.waitUntilReady();
    await sleep(200);
    const start = performance.now();
    await flows.add({
      name: 'parent',
      queueName: BULL_QUEUE,
      data: {},
      children: Array.from({ length: JOBS }, (_, n) => ({
        name: 'noop',
        queueName: BULL_QUEUE,
        data: benchData(n),
      })),
    });
    const pushMs = performance.now() - start;
    await done;
    const ms = performance.now() - start;
    if (ran !== JOBS) throw new Error(`parent ran after ${ran} of ${JOBS} children`);
    await worker.close();
    await flows.close();
    return {
      jobsPerSecond: JOBS / (ms / 1000),
      ms,
      pushMs,
      afterPushJobsPerSecond: JOBS / ((ms - pushMs) / 1000),
    };
  },
};
