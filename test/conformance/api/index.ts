import type { DriverFactory } from '../describe-driver.js';

/** Public-API suites (Conveyor, Worker, handles) run against every driver. */
export const apiSuites: Array<(factory: DriverFactory) => void> = [];
