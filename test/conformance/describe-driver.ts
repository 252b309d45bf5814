import type { Driver } from '@conveyor/core/driver';
import { describe } from 'vitest';
import { apiSuites } from './api/index.js';
import { driverSuites } from './driver/index.js';

/** How a test file gives the conformance suite a fresh driver per test. */
export interface DriverFactory {
  /** A new driver on empty, isolated storage (its own key prefix). */
  create(): Promise<Driver> | Driver;
  /** Deletes everything `driver` stored and closes it. */
  destroy(driver: Driver): Promise<void>;
}

/** Runs every conformance suite against one driver. A new driver joins with one call to this. */
export function describeDriver(name: string, factory: DriverFactory): void {
  describe(`conformance: ${name}`, () => {
    for (const suite of driverSuites) suite(factory);
    for (const suite of apiSuites) suite(factory);
  });
}
