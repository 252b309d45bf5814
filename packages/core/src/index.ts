export * from './errors.js';
export * from './duration.js';
export * from './clock.js';
export type * from './driver.js';
export { JOB_STATES, FINISHED_STATES } from './driver.js';
