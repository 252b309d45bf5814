/**
 * Worker process of the RSS figure (Conveyor): `conveyor-worker.mjs <prefix>`. One worker, concurrency 1, on the
 * bench queue; its handler never finishes, and `STARTED` is printed once the first job runs.
 */
import { hooks, redisConveyor } from '../lib/conveyor-setup.js';
import { benchUrl } from '../lib/env.js';
import { holdOpen, started } from './signals.js';

const conveyor = redisConveyor(benchUrl(), process.argv[2]!);
hooks.run = () => {
  started();
  return new Promise<void>(() => {});
};
await conveyor.worker({ queues: ['bench'], concurrency: 1 }).start();
holdOpen();
