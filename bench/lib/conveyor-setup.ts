/** Conveyor side of the bench: the noop job class and a conveyor on the bench's Redis database. */
import { Conveyor, Job, type JobContext } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';
import { type BenchData, preciseNow } from './payload.js';

/** What a running noop tells the scenario (set per scenario; the default does nothing). */
export const hooks: { run: (data: BenchData, startedAt: number) => undefined | Promise<void> } = {
  run: () => undefined,
};

export class NoopJob extends Job {
  static jobName = 'noop';
  static queue = 'bench';
  data: BenchData;
  constructor(data: BenchData) {
    super();
    this.data = data;
  }
  handle(_ctx: JobContext): undefined | Promise<void> {
    return hooks.run(this.data, preciseNow());
  }
}

/** The `then` callback of the batch scenario. */
export class BatchDone extends Job {
  static jobName = 'batch-done';
  static queue = 'bench';
  handle(): void {
    hooks.run({ user: '', email: '', n: -1, t: 0, tag: 'then' }, preciseNow());
  }
}

export const JOBS = [NoopJob, BatchDone];

export function redisConveyor(url: string, prefix: string): Conveyor {
  return new Conveyor({ driver: new RedisDriver({ url, prefix }), jobs: JOBS });
}
