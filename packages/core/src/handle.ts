import type { Conveyor } from './conveyor.js';
import type { JobRecord, JobState } from './driver.js';
import { type Duration, toMs } from './duration.js';
import { JobFailedError, WaitTimeoutError } from './errors.js';
import { decodeValue } from './serializer.js';

/**
 * A reference to a stored job. `duplicate` is true when a uniqueness lock turned the dispatch away; the handle
 * then points at the job that holds the lock.
 */
export class JobHandle<TResult = unknown> {
  readonly id: string;
  readonly duplicate: boolean;
  readonly #conveyor: Conveyor;

  constructor(conveyor: Conveyor, id: string, duplicate = false) {
    this.#conveyor = conveyor;
    this.id = id;
    this.duplicate = duplicate;
  }

  /** The stored record, or null once retention removed it. */
  record(): Promise<JobRecord | null> {
    return this.#conveyor.driver.get(this.id);
  }

  /** The current state, or null once retention removed the job. */
  async status(): Promise<JobState | null> {
    return (await this.record())?.state ?? null;
  }

  /** The last progress reported by `ctx.progress()`, or null. */
  async progress(): Promise<number | Record<string, unknown> | null> {
    const record = await this.record();
    return record?.progress == null
      ? null
      : (decodeValue(record.progress, 'progress') as number | Record<string, unknown>);
  }

  /** The handler's return value once completed; undefined before. Rejects with `JobFailedError` if it failed. */
  async result(): Promise<TResult | undefined> {
    const record = await this.record();
    if (!record) return undefined;
    return this.#resultOf(record);
  }

  /**
   * Waits until the job finishes and returns its result. Rejects with `JobFailedError` when it failed or was
   * cancelled, and with `WaitTimeoutError` after `timeout` (default: no limit). Uses the driver's events, so
   * it works across processes without polling.
   */
  async wait(options: { timeout?: Duration } = {}): Promise<TResult> {
    const timeoutMs = options.timeout === undefined ? undefined : toMs(options.timeout, 'wait timeout');
    const record = await this.#conveyor.waitForFinish(this.id, timeoutMs);
    if (!record) {
      throw new WaitTimeoutError(`Job ${this.id} did not finish within ${timeoutMs} ms.`);
    }
    return this.#resultOf(record) as TResult;
  }

  /** Cancels the job: at once if it has not started; a running job's `ctx.signal` aborts. */
  async cancel(): Promise<JobState | null> {
    return this.#conveyor.cancel(this.id);
  }

  #resultOf(record: JobRecord): TResult | undefined {
    if (record.state === 'failed' || record.state === 'cancelled') {
      const last = record.errors.at(-1);
      throw new JobFailedError(
        `Job ${record.id} (${record.name}) ${record.state}${last ? `: ${last.name}: ${last.message}` : ''}.`,
      );
    }
    if (record.state !== 'completed' || record.result == null) return undefined;
    return decodeValue(record.result, 'result') as TResult;
  }
}
