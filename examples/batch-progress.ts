// A batch of jobs on the in-memory driver, its progress polled and drawn as a text progress bar.
// expect-output: batch finished: 24 jobs, 23 processed, 1 failed, 100%
import { Batch, Job, type JobContext, Queue, Worker } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';

class RenderThumbnail extends Job<string> {
  static jobName = 'RenderThumbnail';

  constructor(public photo: number) {
    super();
  }

  async handle() {
    await new Promise((resolve) => setTimeout(resolve, 150 + (this.photo % 5) * 40)); // the real work
    if (this.photo === 13) throw new Error(`photo ${this.photo} is corrupt`);
    return `thumb-${this.photo}.jpg`;
  }
}

// A callback job: stored with the batch, run once by any worker when the batch has settled.
class SummarizeAlbum extends Job {
  static jobName = 'SummarizeAlbum';

  constructor(public album: string) {
    super();
  }

  async handle(ctx: JobContext) {
    const progress = await ctx.batch!.progress();
    console.log(`summary of ${this.album}: ${progress.processed} thumbnails, ${progress.failed} failed`);
  }
}

Queue.use(new MemoryDriver());
const worker = new Worker({ jobs: [RenderThumbnail, SummarizeAlbum], concurrency: 6 });
await worker.start();
const summarized = new Promise((resolve) =>
  worker.on('completed', (job) => job.name === 'SummarizeAlbum' && resolve(job)),
);

const photos = Array.from({ length: 24 }, (_, i) => new RenderThumbnail(i + 1));
const batch = await Batch.of(photos)
  .name('album: holidays')
  .allowFailures()
  .finally(new SummarizeAlbum('holidays'))
  .catch((_state, error) => console.log(`first failure: ${error?.message}`)) // in this process only
  .dispatch();

const bar = (percentage: number, width = 30) => {
  const full = Math.round((percentage / 100) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
};
for (;;) {
  const p = await batch.progress();
  console.log(
    `${bar(p.percentage)} ${String(p.percentage).padStart(3)}%  ${p.processed} done, ${p.failed} failed`,
  );
  if (p.finished) break;
  await new Promise((resolve) => setTimeout(resolve, 150));
}

const state = await batch.wait({ timeout: '10s' });
console.log(
  `batch finished: ${state.total} jobs, ${state.processed} processed, ${state.failed} failed, ${state.percentage}%`,
);
await summarized;

await worker.close();
await Queue.close();
