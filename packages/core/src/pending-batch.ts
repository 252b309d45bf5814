import { BatchHandle } from './batch-handle.js';
import {
  assertBatchItems,
  type BatchItem,
  type BuiltMembers,
  buildBatchMembers,
  pushMembers,
} from './batch-items.js';
import type { Conveyor } from './conveyor.js';
import type { NewBatch, NewJob } from './driver.js';
import { ConfigurationError, quote } from './errors.js';
import { encodeGroupOptions, type GroupOptions } from './group-options.js';
import { newId } from './ids.js';
import { Job } from './job.js';
import { validateQueueName } from './job-options.js';
import {
  type BatchCallbackFunction,
  type BatchFunctions,
  hasBatchFunctions,
  watchBatchFunctions,
} from './local-callbacks.js';
import type { DriverWatch } from './wait-until.js';

type Threshold = 'then' | 'catch' | 'finally';

/**
 * A batch being built: jobs that run in parallel, with callbacks when they are done. Made by
 * `Batch.of([...])` or `conveyor.batch([...])`; sent by `.dispatch()`, which returns a `BatchHandle`.
 *
 * Not a thenable (its `then()` adds a callback): call `.dispatch()`. `await`ing the builder itself rejects
 * with a `ConfigurationError` that says so, rather than hanging.
 *
 * Callbacks take a job or a function:
 * - a job is durable: stored with the batch at dispatch, enqueued by the driver in the same atomic step that
 *   crosses its threshold (exactly once), run by any worker, retried like any job. It is not a member of the
 *   batch (it is not counted) and sees the batch as `ctx.batch` (`await ctx.batch.progress()`).
 * - a function is an in-process convenience: it runs in this process, driven by the driver's events, only
 *   while this process lives. If it exits or crashes first, the function never runs anywhere.
 */
export class PendingBatch {
  readonly #conveyor: Conveyor;
  readonly #items: readonly BatchItem[];
  #name: string | undefined;
  #queue: string | undefined;
  #connection: string | undefined;
  #allowFailures = false;
  // biome-ignore lint/suspicious/noThenProperty: the batch's `then` callbacks, not a thenable.
  readonly #jobs: Record<Threshold, Job[]> = { then: [], catch: [], finally: [] };
  // biome-ignore lint/suspicious/noThenProperty: the batch's `then` callbacks, not a thenable.
  readonly #functions: BatchFunctions = { then: [], catch: [], finally: [], progress: [] };
  #sent: Promise<BatchHandle> | undefined;

  /** @internal Use `Batch.of(items)` or `conveyor.batch(items)`. */
  constructor(conveyor: Conveyor, items: readonly BatchItem[], call = 'Batch.of()') {
    assertBatchItems(items, call);
    this.#conveyor = conveyor;
    this.#items = [...items];
  }

  /** A name for the batch, shown by `batch.name` and `state()`, kept in its record. */
  name(name: string): this {
    if (typeof name !== 'string' || name.length === 0) {
      throw new ConfigurationError(`Invalid batch name ${quote(name)}: use a non-empty string.`);
    }
    this.#name = name;
    return this;
  }

  /**
   * Sends every member, chain link and callback job to this queue, over each job's own queue option (jobs
   * added later with `add()` go there too). Default: each job's own queue.
   */
  onQueue(queue: string): this {
    this.#queue = validateQueueName(queue);
    return this;
  }

  /** Sends the batch through a named connection (see `Queue.use(name, driver)`). */
  onConnection(name: string): this {
    this.#connection = name;
    return this;
  }

  /**
   * Lets the batch go on after a member fails: the others still run, and `then` never fires (it needs every
   * member completed). Without it, the first final failure cancels the batch: members not started are
   * `cancelled` and never run.
   */
  allowFailures(allow = true): this {
    this.#allowFailures = allow;
    return this;
  }

  /**
   * Runs once, when every member completed: not while a member is failed or cancelled (a failed member retried
   * by hand that completes can still complete the set).
   */
  // biome-ignore lint/suspicious/noThenProperty: `then` is the batch callback of the design, as in Laravel.
  then(callback: Job | BatchCallbackFunction): this;
  // biome-ignore lint/suspicious/noThenProperty: see above.
  then(callback: Job | BatchCallbackFunction, ...rest: unknown[]): this {
    return this.#add('then', callback, rest);
  }

  /** Runs once, at the first final failure of a member; a function also gets that member's error. */
  catch(callback: Job | BatchCallbackFunction): this {
    return this.#add('catch', callback, []);
  }

  /** Runs once, when every member has settled (completed, failed or cancelled), failures included. */
  finally(callback: Job | BatchCallbackFunction): this {
    return this.#add('finally', callback, []);
  }

  /**
   * A function run in this process each time the counts change, with the batch's state (a convenience: no
   * durable form, as a job per change would double the work).
   */
  progress(callback: BatchCallbackFunction): this {
    if (typeof callback !== 'function') {
      throw new TypeError(
        `Batch progress(): expected a function, got ${quote(callback)} (progress callbacks run in this process only).`,
      );
    }
    this.#functions.progress.push(callback);
    return this;
  }

  #add(threshold: Threshold, callback: unknown, rest: unknown[]): this {
    if (threshold === 'then' && rest.length > 0 && typeof callback === 'function') {
      // `await batchBuilder` calls then(resolve, reject): say what to do instead of waiting forever.
      throw new ConfigurationError(
        'A batch builder is not awaitable: call .dispatch() to send it (const batch = await Batch.of([...]).dispatch()).',
      );
    }
    if (callback instanceof Job) this.#jobs[threshold].push(callback);
    else if (typeof callback === 'function')
      this.#functions[threshold].push(callback as BatchCallbackFunction);
    else throw new TypeError(`Batch ${threshold}(): expected a job or a function, got ${quote(callback)}.`);
    return this;
  }

  /** Sends the batch (once: later calls return the same promise). An empty batch finishes at once. */
  dispatch(): Promise<BatchHandle> {
    this.#sent ??= this.#send();
    return this.#sent;
  }

  async #send(): Promise<BatchHandle> {
    const target = await this.#conveyor.connectionFor(this.#connection);
    const id = newId();
    const queue = this.#queue;
    const callbacks = (threshold: Threshold) =>
      this.#jobs[threshold].map((job) =>
        target.prepare(job, queue === undefined ? {} : { queue }, null, {
          callbackFor: { batchId: id, on: threshold },
        }),
      );
    const options: GroupOptions = {};
    if (this.#name !== undefined) options.name = this.#name;
    if (queue !== undefined) options.queue = queue;
    const batch: NewBatch = {
      id,
      allowFailures: this.#allowFailures,
      // biome-ignore lint/suspicious/noThenProperty: the driver contract's name for the `then` callbacks.
      then: callbacks('then'),
      catch: callbacks('catch'),
      finally: callbacks('finally'),
      options: encodeGroupOptions(options),
    };
    const members = buildMembers(target, this.#items, id, queue);
    let watch: DriverWatch | undefined;
    if (hasBatchFunctions(this.#functions)) watch = await watchBatchFunctions(target, id, this.#functions);
    // a `batch:finished` listener added just before this dispatch must see this batch finish (an empty one at once)
    await this.#conveyor.batchEventsReady();
    if (target !== this.#conveyor) await target.batchEventsReady();
    try {
      await pushMembers(target, members, () =>
        target.driver.push({ ...members.input, batch }, target.clock.now()),
      );
    } catch (error) {
      watch?.stop();
      throw error;
    }
    void watch?.poke();
    return new BatchHandle(target, id, options);
  }
}

/**
 * `buildBatchMembers` with the jobs prepared by one `preparer` (their options resolved once per class), in the
 * same order: chains (and their own ids) are built where they stand among the items.
 */
function buildMembers(
  conveyor: Conveyor,
  items: readonly BatchItem[],
  batchId: string,
  queue: string | undefined,
): BuiltMembers {
  const prepare = conveyor.preparer(queue === undefined ? {} : { queue }, batchId);
  const jobs: NewJob[] = [];
  const members: BuiltMembers = { input: { jobs, chains: [] }, chainFunctions: [] };
  for (const item of items) {
    if (item instanceof Job) {
      jobs.push(prepare(item));
      continue;
    }
    const built = buildBatchMembers(conveyor, [item], batchId, queue);
    members.input.chains.push(...built.input.chains);
    members.chainFunctions.push(...built.chainFunctions);
  }
  return members;
}
