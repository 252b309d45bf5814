import type { BatchHandle } from './batch-handle.js';
import type { BatchItem } from './batch-items.js';
import type { PendingBatch } from './pending-batch.js';
import { Queue } from './queue.js';

/**
 * Batches on the default `Queue` conveyor:
 * `await Batch.of([j1, j2, [c1, c2]]).name('newsletter').then(new MarkSent()).dispatch()`.
 * For another instance, use `conveyor.batch(items)` and `conveyor.findBatch(id)`, which return the same types.
 */
export class Batch {
  private constructor() {}

  /**
   * Starts a batch of jobs that run in parallel; an array inside is a chain whose links run in order and each
   * count as a member. An empty batch is allowed (it finishes at once); anything but a job is a `TypeError`.
   */
  static of(items: readonly BatchItem[]): PendingBatch {
    return Queue.batch(items);
  }

  /** The batch with this id, or null if the driver does not know it. */
  static find(id: string): Promise<BatchHandle | null> {
    return Queue.findBatch(id);
  }
}
