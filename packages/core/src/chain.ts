import type { ChainHandle } from './chain-handle.js';
import type { Job } from './job.js';
import type { PendingChain } from './pending-chain.js';
import { Queue } from './queue.js';

/**
 * Chains on the default `Queue` conveyor: `await Chain.of([a, b, c]).onQueue('x').catch(new AlertOps())`.
 * For another instance, use `conveyor.chain(jobs)` and `conveyor.findChain(id)`, which return the same types.
 */
export class Chain {
  private constructor() {}

  /**
   * Starts a chain: each job runs only after the previous one completed. An empty list is a
   * `ConfigurationError`; anything but a job is a `TypeError` naming it.
   */
  static of(jobs: readonly Job[]): PendingChain {
    return Queue.chain(jobs);
  }

  /** The chain with this id, or null if the driver does not know it. */
  static find(id: string): Promise<ChainHandle | null> {
    return Queue.findChain(id);
  }
}
