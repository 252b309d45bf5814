// Redis: dispatch from one connection, run two workers on their own connections (as two processes would).
// expect-output: 200 jobs completed by 2 workers on Redis
import { randomUUID } from 'node:crypto';
import { Conveyor, Job, type JobContext } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';

class ResizeImage extends Job<string> {
  static jobName = 'ResizeImage';

  constructor(public path: string) {
    super();
  }

  async handle(ctx: JobContext) {
    return `${this.path} resized on attempt ${ctx.attempt}`;
  }
}

// In your app: one prefix for the whole deployment; here a fresh one so the example leaves nothing behind.
const prefix = `conveyor-example-${randomUUID()}`;
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// The app dispatches...
const driver = new RedisDriver({ url, prefix });
const app = new Conveyor({ driver });

// ...and any number of worker processes, on any machine, run the jobs. Each of these would be its own
// process in production (`conveyor work`, or a script like this one that calls worker.start()).
const workerProcesses = [1, 2].map(() => new Conveyor({ driver: new RedisDriver({ url, prefix }) }));
const ranBy = new Map<string, number>();
for (const [index, conveyor] of workerProcesses.entries()) {
  const worker = conveyor.worker({ jobs: [ResizeImage], concurrency: 10 });
  worker.on('completed', (job) => ranBy.set(job.id, index));
  await worker.start();
}

const handles = [];
for (let i = 0; i < 200; i++) handles.push(await app.dispatch(new ResizeImage(`photos/${i}.jpg`)));
await Promise.all(handles.map((job) => job.wait({ timeout: '30s' })));

const workersUsed = new Set(ranBy.values()).size;
console.log(`200 jobs completed by ${workersUsed} workers on Redis`);
console.log(JSON.stringify(await app.counts()));

await Promise.all([app, ...workerProcesses].map((conveyor) => conveyor.close()));
// Deletes every key under the prefix (for examples and tests, not production), once everything is closed: a
// closing conveyor still writes its last metrics.
const cleaner = new RedisDriver({ url, prefix });
await cleaner.purge();
await cleaner.close();
