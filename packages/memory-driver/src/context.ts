import type { StoredBatch } from './batches.js';
import type { StoredChain } from './chains.js';
import { EventBus } from './event-bus.js';
import { JobStore } from './job-store.js';
import { LockTable } from './lock-table.js';
import { QueueSettingsTable } from './queue-settings.js';
import type { StoredJob } from './stored-job.js';
import { WorkWaiters } from './work-waiters.js';

/**
 * The whole state of one memory driver, shared by the transition modules. Transitions are synchronous
 * functions of `(ctx, ..., now)`; the driver flushes buffered events after each one.
 */
export class Context {
  readonly store = new JobStore();
  /** Uniqueness locks (`unique.key`), owned by job ids. Kept apart from `acquireLock` keys. */
  readonly uniqueLocks = new LockTable();
  /** Queue settings (pause, shared concurrency, rate limit) that `reserve` obeys. */
  readonly queueSettings = new QueueSettingsTable();
  readonly batches = new Map<string, StoredBatch>();
  readonly chains = new Map<string, StoredChain>();
  readonly events = new EventBus();
  readonly waiters = new WorkWaiters();
  /** Batches whose counts changed in the current transition; `finalizeBatches` settles their thresholds. */
  readonly touched = new Set<StoredBatch>();
  /**
   * The latest `now` any call passed in. Only `remove`, which takes no `now`, uses it (to time-stamp the
   * chain links and batch members its cascade cancels); it is data core gave, not a clock reading.
   */
  lastNow = 0;

  /** Publishes the job's current state and wakes idle workers when it entered a queue. */
  jobChanged(job: StoredJob): void {
    if (this.events.wants('job')) {
      this.events.publish({ type: 'job', jobId: job.id, queue: job.queue, state: job.state });
    }
  }

  /**
   * Wakes workers waiting on `queue`. Called whenever a job enters pending, delayed or retrying: a delayed
   * entry may be due sooner than the waiter planned to sleep, and a spurious wake only costs one reserve.
   */
  workArrived(queue: string): void {
    this.waiters.wake(queue);
  }
}
