// The demo `pnpm demo` runs: dispatch, delay, retry with backoff and progress, on the in-memory driver.
// expect-output: all done: \[\{"messageId":"msg-ada"\},\{"messageId":"msg-grace"\},4,"charged 42"\]
import { Job, type JobContext, Queue, Worker } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';

const started = Date.now();
const log = (line: string) => console.log(`${String(Date.now() - started).padStart(5)} ms  ${line}`);

class SendWelcomeEmail extends Job<{ messageId: string }> {
  static jobName = 'SendWelcomeEmail';
  static queue = 'emails';

  constructor(public to: string) {
    super();
  }

  async handle() {
    return { messageId: `msg-${this.to.split('@')[0]}` };
  }
}

class ResizeImages extends Job<number> {
  static jobName = 'ResizeImages';

  constructor(public count: number) {
    super();
  }

  async handle(ctx: JobContext) {
    for (let done = 1; done <= this.count; done++) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // the real work would go here
      await ctx.progress(Math.round((done / this.count) * 100));
    }
    return this.count;
  }
}

class ChargeCard extends Job<string> {
  static jobName = 'ChargeCard';
  static maxAttempts = 3;
  static backoff = [100, 200]; // ms before the 2nd and 3rd attempts

  constructor(public amount: number) {
    super();
  }

  async handle(ctx: JobContext) {
    if (ctx.attempt < 3) throw new Error(`payment gateway timed out (attempt ${ctx.attempt})`);
    return `charged ${this.amount}`;
  }
}

Queue.use(new MemoryDriver());

const worker = new Worker({
  jobs: [SendWelcomeEmail, ResizeImages, ChargeCard],
  queues: ['emails', 'default'],
  concurrency: 5,
});
worker.on('processing', (job) => log(`start     ${job.name} #${job.attempt}`));
worker.on('completed', (job, result) => log(`completed ${job.name} -> ${JSON.stringify(result)}`));
worker.on('retrying', (job, error, at) =>
  log(`retrying  ${job.name} in ${at - Date.now()} ms: ${error.message}`),
);
worker.on('progress', (job, progress) => log(`progress  ${job.name} ${progress}%`));
await worker.start();

const email = await Queue.dispatch(new SendWelcomeEmail('ada@example.com'));
const later = await Queue.dispatch(new SendWelcomeEmail('grace@example.com')).delay(300);
const images = await Queue.dispatch(new ResizeImages(4)).priority('high');
const charge = await Queue.dispatch(new ChargeCard(42));
log('dispatched 4 jobs (one delayed by 300 ms)');

const results = await Promise.all([email, later, images, charge].map((job) => job.wait({ timeout: '10s' })));
log(`all done: ${JSON.stringify(results)}`);
log(`counts: ${JSON.stringify(await Queue.counts())}`);

await worker.close();
await Queue.close();
