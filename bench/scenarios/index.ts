import type { Scenario } from '../lib/scenario.js';
import { batchThen } from './batch-then.js';
import { bulkDispatch } from './bulk-dispatch.js';
import { dispatch } from './dispatch.js';
import { latency } from './latency.js';
import { memoryDriver } from './memory-driver.js';
import { processing } from './processing.js';
import { workerRss } from './worker-rss.js';

/** Every scenario, by id. */
export const scenarios: Record<string, Scenario> = Object.fromEntries(
  [
    dispatch,
    bulkDispatch,
    processing('process-c1', 10_000, 1),
    processing('process-c50', 30_000, 50),
    processing('process-c1-pipelined', 10_000, 1, { settles: 'pipelined', prefetch: 4 }),
    latency,
    batchThen,
    memoryDriver,
    workerRss,
  ].map((scenario) => [scenario.id, scenario]),
);
