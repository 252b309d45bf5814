import type { BatchRecord } from './driver.js';
import { decodeGroupOptions } from './group-options.js';

/** A batch's counts. Every member job and every chain link counts once. */
export interface BatchProgress {
  total: number;
  /** Members not settled yet (waiting, running or retrying). */
  pending: number;
  /** Members that completed. */
  processed: number;
  /** Members that failed finally (a failed member retried by hand that completes moves to `processed`). */
  failed: number;
  /** Members that were cancelled (by `batch.cancel()`, or after a failure without `allowFailures()`). */
  cancelled: number;
  /** Settled members (processed + failed + cancelled) as a whole percentage of `total`, rounded down; 100 once finished. */
  percentage: number;
  /** Every member settled: the `finally` callbacks have been enqueued. */
  finished: boolean;
}

/** A batch as stored, decoded: its counts plus what it is and what happened to it. */
export interface BatchState extends BatchProgress {
  id: string;
  /** The name given with `.name()`, or null. */
  name: string | null;
  allowFailures: boolean;
  /** When the batch was cancelled (by `cancel()` or by a failure without `allowFailures()`), else null. */
  cancelledAt: number | null;
  createdAt: number;
  /** When the last member settled, else null. */
  finishedAt: number | null;
  /** Ids of the members that failed finally. */
  failedJobIds: string[];
}

export function toBatchProgress(record: BatchRecord): BatchProgress {
  const settled = record.processed + record.failed + record.cancelled;
  const finished = record.finishedAt !== null;
  return {
    total: record.total,
    pending: Math.max(0, record.total - settled),
    processed: record.processed,
    failed: record.failed,
    cancelled: record.cancelled,
    percentage:
      finished || record.total === 0 ? 100 : Math.min(99, Math.floor((settled * 100) / record.total)),
    finished,
  };
}

export function toBatchState(record: BatchRecord): BatchState {
  return {
    id: record.id,
    name: decodeGroupOptions(record.options).name ?? null,
    allowFailures: record.allowFailures,
    ...toBatchProgress(record),
    cancelledAt: record.cancelledAt,
    createdAt: record.createdAt,
    finishedAt: record.finishedAt,
    failedJobIds: record.failedJobIds,
  };
}
