import type { DriverFactory } from '../describe-driver.js';

/** Driver-level contract suites: each calls `describe`/`it` with a fresh driver per test. */
export const driverSuites: Array<(factory: DriverFactory) => void> = [];
