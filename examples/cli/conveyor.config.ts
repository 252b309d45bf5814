// The config the `conveyor` command loads from the working directory (or with --config):
//   conveyor work                        run a worker with these jobs, queues and concurrency
//   conveyor work --queue emails --concurrency 50 --log json
//   conveyor stats --watch               counts, throughput and run times per queue and job
//   conveyor failed retry all            put every failed job back
import { defineConfig } from '@conveyor/cli';
import { RedisDriver } from '@conveyor/redis-driver';
import { jobs, NightlyReport } from './jobs.js';

export default defineConfig({
  // A function, so `--prefix` can choose the key prefix; `--redis <url>` replaces the driver altogether.
  driver: ({ prefix }) => new RedisDriver({ url: process.env.REDIS_URL, prefix: prefix ?? 'conveyor' }),
  jobs,
  // Strict order: every ready job of `emails` before any of `default`.
  queues: ['emails', 'default'],
  concurrency: 10,
  // Keep completed jobs a day (a run of `conveyor stats` shows them), failed ones a week.
  retention: { completed: { age: '1d', count: 100_000 }, failed: { age: '7d', count: 100_000 } },
  setup(conveyor) {
    // Every `conveyor work` runs the scheduler (unless --no-scheduler): each occurrence is dispatched once.
    conveyor.schedule(new NightlyReport()).dailyAt('02:00').timezone('UTC').name('nightly-report');
  },
});
