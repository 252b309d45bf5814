/**
 * The batch and chain parts of a running job's context: `ctx.batch` for a batch member or a batch callback,
 * and what `ctx.chain` reads for a chain link or a chain `catch` callback. The worker builds them from the
 * job's record (`batchId`, `chainId`) and its stored options (`callbackFor`).
 */
import { BatchHandle } from './batch-handle.js';
import type { BatchItem } from './batch-items.js';
import type { BatchProgress, BatchState } from './batch-state.js';
import { type ChainInfo, toChainInfo } from './chain-handle.js';
import type { Conveyor } from './conveyor.js';
import type { BatchContext } from './job.js';
import type { StoredJobOptions } from './job-options.js';

/** `ctx.batch`: reads and changes the job's batch through a `BatchHandle`. */
class JobBatchContext implements BatchContext {
  readonly id: string;
  readonly callback: 'then' | 'catch' | 'finally' | null;
  readonly #handle: BatchHandle;

  constructor(conveyor: Conveyor, id: string, callback: BatchContext['callback']) {
    this.id = id;
    this.callback = callback;
    this.#handle = new BatchHandle(conveyor, id);
  }

  progress(): Promise<BatchProgress> {
    return this.#handle.progress();
  }

  state(): Promise<BatchState> {
    return this.#handle.state();
  }

  async cancelled(): Promise<boolean> {
    return (await this.#handle.record())?.cancelledAt != null;
  }

  cancel(): Promise<BatchProgress> {
    return this.#handle.cancel();
  }

  add(items: readonly BatchItem[]): Promise<void> {
    return this.#handle.add(items);
  }
}

/**
 * `ctx.batch` for a job: its batch when it is a member (`batchId`), the batch it answers for when it is a
 * `then`/`catch`/`finally` callback, else null.
 */
export function batchContextFor(
  conveyor: Conveyor,
  batchId: string | null,
  options: StoredJobOptions,
): BatchContext | null {
  if (batchId !== null) return new JobBatchContext(conveyor, batchId, null);
  const target = options.callbackFor;
  if (target && 'batchId' in target) return new JobBatchContext(conveyor, target.batchId, target.on);
  return null;
}

/** The chain a chain `catch` callback answers for, or null for any other job. */
export function chainCallbackOf(options: StoredJobOptions): string | null {
  const target = options.callbackFor;
  return target && 'chainId' in target ? target.chainId : null;
}

/** The chain as `ctx.chain.info()` shows it, or null once unknown. */
export async function chainInfoOf(conveyor: Conveyor, chainId: string): Promise<ChainInfo | null> {
  const record = await conveyor.driver.getChain(chainId);
  return record ? toChainInfo(record) : null;
}
