import type { DriverFactory } from '../describe-driver.js';
import { batchMembershipSuite } from './batch-membership.js';
import { batchesSuite } from './batches.js';
import { cancelSuite } from './cancel.js';
import { chainsSuite } from './chains.js';
import { clockSuite } from './clock.js';
import { concurrencySuite } from './concurrency.js';
import { eventsSuite } from './events.js';
import { fencingSuite } from './fencing.js';
import { introspectionSuite } from './introspection.js';
import { leasesSuite } from './leases.js';
import { locksSuite } from './locks.js';
import { managementSuite } from './management.js';
import { orderingSuite } from './ordering.js';
import { progressSuite } from './progress.js';
import { pushSuite } from './push.js';
import { queueSettingsSuite } from './queue-settings.js';
import { retentionSuite } from './retention.js';
import { schedulesSuite } from './schedules.js';
import { settleSuite } from './settle.js';
import { settleAndReserveSuite } from './settle-and-reserve.js';
import { uniquenessSuite } from './uniqueness.js';
import { waitAndReserveSuite } from './wait-and-reserve.js';
import { waitForWorkSuite } from './wait-for-work.js';
import { workersMetricsSuite } from './workers-metrics.js';

/** Driver-level contract suites: each calls `describe`/`it` with a fresh driver per test. */
export const driverSuites: Array<(factory: DriverFactory) => void> = [
  pushSuite,
  orderingSuite,
  leasesSuite,
  fencingSuite,
  settleSuite,
  settleAndReserveSuite,
  cancelSuite,
  progressSuite,
  eventsSuite,
  introspectionSuite,
  retentionSuite,
  managementSuite,
  uniquenessSuite,
  locksSuite,
  schedulesSuite,
  chainsSuite,
  batchesSuite,
  batchMembershipSuite,
  waitForWorkSuite,
  waitAndReserveSuite,
  queueSettingsSuite,
  concurrencySuite,
  clockSuite,
  workersMetricsSuite,
];
