export type { QueueStats, StatsReport } from './commands/stats.js';
export { type ConveyorConfig, type DriverFactory, defineConfig } from './config.js';
export { type Runtime, run, VERSION } from './program.js';
