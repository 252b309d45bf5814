import { assertBatchItems, type BatchItem, buildBatchMembers, pushMembers } from './batch-items.js';
import { type BatchProgress, type BatchState, toBatchProgress, toBatchState } from './batch-state.js';
import type { Conveyor } from './conveyor.js';
import type { BatchRecord } from './driver.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, ConveyorError, quote, WaitTimeoutError } from './errors.js';
import { decodeGroupOptions, type GroupOptions } from './group-options.js';
import { waitUntil } from './wait-until.js';

/** `batch.add()` on a batch that is finished or cancelled (or unknown): nothing was added. */
export class BatchClosedError extends ConveyorError {
  override readonly code = 'BATCH_CLOSED';
}

/** A reference to a dispatched batch (from `Batch.of(...).dispatch()` or `Batch.find(id)`). */
export class BatchHandle {
  readonly id: string;
  /** The name given with `.name()`, or null. */
  readonly name: string | null;
  readonly #conveyor: Conveyor;
  /** The batch's own options; undefined when not read yet (then `add` reads them from the record). */
  readonly #options: GroupOptions | undefined;

  /** @internal Use `Batch.of(...).dispatch()` or `Batch.find(id)`. */
  constructor(conveyor: Conveyor, id: string, options?: GroupOptions) {
    this.#conveyor = conveyor;
    this.id = id;
    this.name = options?.name ?? null;
    this.#options = options;
  }

  /** The batch's stored record, or null if the driver does not know it. */
  record(): Promise<BatchRecord | null> {
    return this.#conveyor.driver.getBatch(this.id);
  }

  /** The batch decoded: counts, name, whether and when it was cancelled or finished, failed member ids. */
  async state(): Promise<BatchState> {
    return toBatchState(await this.#require());
  }

  /** `{ total, pending, processed, failed, cancelled, percentage, finished }`, read from the driver now. */
  async progress(): Promise<BatchProgress> {
    return toBatchProgress(await this.#require());
  }

  /**
   * Cancels the batch: members that have not started are stored as `cancelled` and never run (chains inside
   * stop). Members already running are not interrupted: they finish, and count as they end; a long job can
   * check `await ctx.batch.cancelled()` and stop early. `finally` fires once every member has settled; `then`
   * no longer can. Returns the counts right after.
   */
  async cancel(): Promise<BatchProgress> {
    const change = await this.#conveyor.driver.cancelBatch(this.id, this.#conveyor.clock.now());
    if (!change) throw this.#unknown('cancel');
    return toBatchProgress(change.batch);
  }

  /**
   * Adds jobs (and chains, as arrays of jobs) to the batch, atomically with its total, on the batch's queue
   * and connection. Rejects with `BatchClosedError` (adding nothing) when the batch has finished or was
   * cancelled: a batch whose every member settled has already fired `finally`.
   */
  async add(items: readonly BatchItem[]): Promise<void> {
    assertBatchItems(items, 'batch.add()');
    const options = this.#options ?? decodeGroupOptions((await this.record())?.options ?? '{}');
    const members = buildBatchMembers(this.#conveyor, items, this.id, options.queue);
    const result = await pushMembers(this.#conveyor, members, () =>
      this.#conveyor.driver.addToBatch(this.id, members.input, this.#conveyor.clock.now()),
    );
    if (!result) {
      throw new BatchClosedError(
        `Cannot add to batch ${quote(this.id)}: it is finished, cancelled or unknown. Dispatch a new batch instead.`,
      );
    }
  }

  /**
   * Waits until every member has settled (the batch `finished`, `finally` enqueued) and returns its state.
   * Resolves (does not reject) when members failed or the batch was cancelled: check the counts. Rejects with
   * `WaitTimeoutError` after `timeout` (default: no limit). Follows the driver's batch events: no polling.
   */
  async wait(options: { timeout?: Duration } = {}): Promise<BatchState> {
    const timeoutMs = options.timeout === undefined ? undefined : toMs(options.timeout, 'wait timeout');
    const state = await waitUntil(
      this.#conveyor,
      (event) => event.type === 'batch' && event.batchId === this.id,
      async () => {
        const record = await this.#require('wait for');
        return record.finishedAt === null ? undefined : toBatchState(record);
      },
      timeoutMs,
    );
    if (!state) throw new WaitTimeoutError(`Batch ${this.id} did not finish within ${timeoutMs} ms.`);
    return state;
  }

  async #require(action = 'read'): Promise<BatchRecord> {
    const record = await this.record();
    if (!record) throw this.#unknown(action);
    return record;
  }

  #unknown(action: string): ConfigurationError {
    return new ConfigurationError(`Cannot ${action} batch ${quote(this.id)}: no such batch.`);
  }
}
