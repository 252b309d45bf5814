// Job classes of the CLI example: what an application defines once and both dispatches and runs.
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type JobContext } from '@conveyor/core';

/** Sends a welcome email (simulated: `ms` of work). Retried with backoff on failure. */
export class SendWelcomeEmail extends Job<{ messageId: string }> {
  static jobName = 'SendWelcomeEmail';
  static queue = 'emails';
  static maxAttempts = 3;
  static backoff = [1_000, 5_000];

  constructor(
    public userId: number,
    public ms = 50,
  ) {
    super();
  }

  async handle(ctx: JobContext) {
    await sleep(this.ms, undefined, { signal: ctx.signal }).catch(() => {});
    return { messageId: `msg-${this.userId}-${ctx.attempt}` };
  }
}

/** Resizes an image (simulated), reporting progress as it goes. */
export class ResizeImage extends Job {
  static jobName = 'ResizeImage';
  static timeout = 30_000;

  constructor(
    public path: string,
    public sizes: number[] = [64, 256, 1024],
  ) {
    super();
  }

  async handle(ctx: JobContext) {
    for (const [index, size] of this.sizes.entries()) {
      if (ctx.signal.aborted) return;
      await sleep(10 + size / 100);
      await ctx.progress({ done: index + 1, of: this.sizes.length, size });
    }
  }
}

/** The nightly report, run by the schedule the config defines. */
export class NightlyReport extends Job {
  static jobName = 'NightlyReport';

  async handle() {
    await sleep(10);
  }
}

export const jobs = [SendWelcomeEmail, ResizeImage, NightlyReport];
