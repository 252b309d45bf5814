export { backoffDelay, validateBackoff } from './backoff.js';
export { Batch } from './batch.js';
export { BatchClosedError, BatchHandle } from './batch-handle.js';
export type { BatchItem } from './batch-items.js';
export type { BatchProgress, BatchState } from './batch-state.js';
export { Chain } from './chain.js';
export { ChainHandle, type ChainInfo } from './chain-handle.js';
export * from './clock.js';
export { Conveyor, type ConveyorOptions } from './conveyor.js';
export { PendingDispatch } from './dispatch.js';
export type { DrainOptions } from './drainer.js';
export type * from './driver.js';
export { DEFAULT_QUEUE_SETTINGS, FINISHED_STATES, JOB_STATES } from './driver.js';
export * from './duration.js';
export * from './errors.js';
export * from './events.js';
export { JobHandle } from './handle.js';
export type { Health } from './health.js';
export * from './job.js';
export type { CallbackTarget } from './job-options.js';
export { DEFAULT_QUEUE, type DispatchOptions, type StoredJobOptions } from './job-options.js';
export type { JobView } from './job-view.js';
export type { BatchCallbackFunction, ChainCatchFunction } from './local-callbacks.js';
export type { MetricsFigures } from './metrics/figures.js';
export type { MetricsOptions } from './metrics/options.js';
export type { Metrics, MetricsQuery, QueueMetrics } from './metrics/read.js';
export * from './middleware/index.js';
export { PendingBatch } from './pending-batch.js';
export { PendingChain } from './pending-chain.js';
export { Queue } from './queue.js';
export type { QueueLimitOptions } from './queue-limits.js';
export type { RetentionOptions } from './retention.js';
export { Cron, DEFAULT_TIMEZONE } from './scheduler/cron.js';
export type { MissedPolicy, ScheduleSource } from './scheduler/definition.js';
export type { Day, DayName } from './scheduler/helpers.js';
export { Schedule } from './scheduler/schedule.js';
export { ScheduledJob, type ScheduleUniqueOptions } from './scheduler/scheduled-job.js';
export {
  type ScheduleRun,
  Scheduler,
  type SchedulerEvents,
  type SchedulerOptions,
} from './scheduler/scheduler.js';
export { type ScheduleInfo, Schedules, type UnreadableScheduleInfo } from './scheduler/schedules.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, JobRegistry, jobNameOf } from './serializer.js';
export { payloadHash, type UniqueOptions, type UniqueSetting } from './unique.js';
export { AttemptAbortedError, Worker, type WorkerOptions } from './worker.js';
export { MISSED_BEATS_UNHEALTHY, type WorkerInfo } from './worker-registry.js';
