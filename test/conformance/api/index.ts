import type { DriverFactory } from '../describe-driver.js';
import { batchApiSuite } from './batches.js';
import { chainApiSuite } from './chains.js';
import { middlewareApiSuite } from './middleware.js';
import { operationsSuite } from './operations.js';
import { orderSuite } from './order.js';
import { queueLimitsApiSuite } from './queue-limits.js';
import { recoverySuite } from './recovery.js';
import { retriesSuite } from './retries.js';
import { runningSuite } from './running.js';
import { schedulesSuite } from './schedules.js';
import { statesSuite } from './states.js';
import { uniquenessApiSuite } from './uniqueness.js';
import { workerSetupSuite } from './worker-setup.js';

/** Public-API suites (Conveyor, Worker, handles) run against every driver. */
export const apiSuites: Array<(factory: DriverFactory) => void> = [
  statesSuite,
  orderSuite,
  retriesSuite,
  runningSuite,
  recoverySuite,
  workerSetupSuite,
  schedulesSuite,
  chainApiSuite,
  batchApiSuite,
  uniquenessApiSuite,
  middlewareApiSuite,
  queueLimitsApiSuite,
  operationsSuite,
];
