/**
 * Worker process of the RSS figure (BullMQ): `bullmq-worker.mjs <prefix>`. One worker, concurrency 1, on the bench
 * queue; its processor never finishes, and `STARTED` is printed once the first job runs.
 */
import { bullWorker } from '../lib/bull-setup.js';
import { holdOpen, started } from './signals.js';

bullWorker(
  process.argv[2]!,
  () => {
    started();
    return new Promise<void>(() => {});
  },
  { concurrency: 1 },
);
holdOpen();
