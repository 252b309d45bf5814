import type { EventEmitter } from 'eventemitter3';
import {
  Attempt,
  AttemptAbortedError,
  AttemptContext,
  type AttemptGroup,
  type AttemptHost,
} from './attempt.js';
import { asError, failureOutcome } from './attempt-failure.js';
import type { ChainInfo } from './chain-handle.js';
import type { Conveyor } from './conveyor.js';
import type {
  JobState,
  Lease,
  ReservedJob,
  ReserveRequest,
  ReserveResult,
  SettleOutcome,
  SettleRequest,
  SettleResult,
} from './driver.js';
import { type Duration, toMs } from './duration.js';
import { ConveyorError, quote, StalledError, TimeoutError } from './errors.js';
import { EventRelay } from './event-relay.js';
import type { ConveyorEvents } from './events.js';
import { batchContextFor, chainInfoOf } from './group-context.js';
import { decodeGroupOptions } from './group-options.js';
import type { BatchContext, Job, JobClass } from './job.js';
import { assertJobAt } from './job-items.js';
import { handleThrough } from './middleware/pipeline.js';
import { decodeJob, encodeValue } from './serializer.js';
import { SettleBatcher, type SettleSink } from './settle-batcher.js';
import { StoredOptionsCache } from './stored-options-cache.js';

/** What the runner needs from its worker. */
export interface RunnerHost {
  readonly conveyor: Conveyor;
  /** The worker: every event goes to it and to the conveyor. */
  readonly emitter: EventEmitter<ConveyorEvents>;
  /** The class for a job name, or an `UnknownJobError` that names it and says to register it. */
  resolveClass(name: string): JobClass;
  /** An attempt is over (settled or dropped, hooks run): free its slot. */
  attemptDone(attempt: Attempt): void;
  /** The attempt's outcome is known and queued for settling: its slot frees once the settle is stored. */
  attemptEnded(attempt: Attempt): void;
  /** A settle may have made work ready (a retry, a release, a chain link, a batch callback). */
  workMayBeReady(): void;
  /** The attempt's settle was stored (`state`: the job's state after it): count it (registry, metrics). */
  attemptSettled(attempt: Attempt, state: JobState): void;
}

const CANCELLED: SettleOutcome = Object.freeze({ type: 'cancelled' });
/** Most handlers return nothing: one shared outcome for them. */
const COMPLETED_EMPTY: SettleOutcome = Object.freeze({ type: 'completed', result: null });
/** Delays before re-sending settles the driver failed to take (then the lease expiry takes over). */
const SETTLE_RETRY_MS = [200, 1_000, 5_000];

/**
 * Runs attempts: decodes a reserved job, runs its handler under its timeout, its cancellation and its lease,
 * turns what happened into a settle outcome (through the one failure path shared with stalled recovery), sends
 * settles in batches, then emits the events and runs the `failed()` hook.
 */
export class JobRunner implements AttemptHost, SettleSink<Attempt> {
  /** Attempts whose outcome is not known yet, by job id: the leases the heartbeat renews. */
  readonly active = new Map<string, Attempt>();
  readonly #host: RunnerHost;
  readonly #conveyor: Conveyor;
  readonly #batcher: SettleBatcher<Attempt>;
  readonly #options = new StoredOptionsCache();
  readonly #events: EventRelay;

  constructor(host: RunnerHost) {
    this.#host = host;
    this.#conveyor = host.conveyor;
    this.#events = new EventRelay(host.emitter, host.conveyor);
    this.#batcher = new SettleBatcher<Attempt>(
      () => this.#conveyor.driver,
      () => this.#conveyor.clock.now(),
      this,
    );
  }

  now(): number {
    return this.#conveyor.clock.now();
  }

  /** Runs one reserved job to its end. `accepting: false` hands it straight back (the worker is closing). */
  run(record: ReservedJob, group: AttemptGroup | null, accepting: boolean): void {
    const attempt = new Attempt(record, true, group);
    this.active.set(record.id, attempt);
    if (!accepting) {
      this.#finish(attempt, { type: 'released', availableAt: this.now() });
      return;
    }
    if (record.cancelRequested) {
      attempt.abort(new AttemptAbortedError(`Job ${record.name} (${record.id}) was cancelled.`, 'cancelled'));
      this.#finish(attempt, CANCELLED);
      return;
    }
    let job: Job;
    try {
      attempt.cls = this.#host.resolveClass(record.name);
      attempt.options = this.#options.decode(record.options);
      job = decodeJob(attempt.cls, record.payload);
    } catch (error) {
      // Unknown class or a record that does not parse: failed at once, no retry, nothing lost.
      this.#fail(attempt, asError(error), true);
      return;
    }
    attempt.job = job;
    const context = new AttemptContext(attempt, this);
    attempt.context = context;
    const timeout = attempt.options.timeout;
    if (timeout !== undefined && timeout > 0) {
      attempt.timer = this.#conveyor.clock.setTimeout(() => this.#timedOut(attempt, timeout), timeout);
    }
    if (this.#events.wants('processing')) this.#events.emit('processing', attempt.info);
    let out: unknown;
    try {
      out = handleThrough(job, context, attempt, this.#conveyor);
    } catch (thrown) {
      this.#threw(attempt, thrown);
      return;
    }
    if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
      void this.#await(attempt, out as PromiseLike<unknown>);
    } else {
      this.#returned(attempt, out);
    }
  }

  /**
   * Settles a job taken over by stalled recovery (under the recovery's fresh token) as a failed attempt with a
   * `StalledError`, through the same failure path as any failure: retry with backoff, or `failed` and the hook.
   */
  recover(record: ReservedJob, group: AttemptGroup | null): void {
    const attempt = new Attempt(record, false, group);
    if (this.#events.wants('stalled')) this.#events.emit('stalled', attempt.info);
    if (record.cancelRequested) {
      // It was asked to cancel while its worker was gone: cancel it rather than retry it.
      this.#finish(attempt, CANCELLED);
      return;
    }
    const error = new StalledError(
      `Job ${record.name} (${record.id}) stalled: its lease expired during attempt ${record.attempts} ` +
        '(its worker crashed, lost its storage connection or blocked its event loop).',
    );
    try {
      attempt.cls = this.#host.resolveClass(record.name);
    } catch {
      // Unknown here: retry with the stored backoff, no hook on the final failure.
    }
    try {
      attempt.options = this.#options.decode(record.options);
    } catch (parseError) {
      this.#fail(attempt, asError(parseError), true);
      return;
    }
    this.#fail(attempt, error, false);
  }

  /** A `cancel` event for a running job: abort its signal and settle it as cancelled at once. */
  cancel(jobId: string): void {
    const attempt = this.active.get(jobId);
    if (!attempt || attempt.finished) return;
    const { name, id } = attempt.record;
    attempt.abort(new AttemptAbortedError(`Job ${name} (${id}) was cancelled.`, 'cancelled'));
    this.#finish(attempt, CANCELLED);
  }

  /** The heartbeat learnt these leases are gone: abort, drop the result, settle nothing (another owner now). */
  lost(jobIds: string[]): void {
    const dropped: string[] = [];
    for (const jobId of jobIds) {
      const attempt = this.active.get(jobId);
      if (!attempt || attempt.finished) continue;
      dropped.push(jobId);
      const { name, id } = attempt.record;
      attempt.abort(
        new AttemptAbortedError(
          `Job ${name} (${id}) lost its lease: another worker may run it now.`,
          'lease-lost',
        ),
      );
      attempt.finished = true;
      attempt.timer?.cancel();
      this.active.delete(jobId);
      this.#done(attempt);
    }
    if (dropped.length > 0) {
      this.error(
        new ConveyorError(`Lost the lease of ${dropped.length} running job(s): ${dropped.join(', ')}.`),
      );
    }
  }

  /** End of a graceful shutdown's grace period: abort every running attempt and release it back to its queue. */
  releaseAll(): void {
    const now = this.now();
    for (const attempt of [...this.active.values()]) {
      if (attempt.finished) continue;
      const { name, id } = attempt.record;
      attempt.abort(
        new AttemptAbortedError(
          `Job ${name} (${id}) was stopped by a worker shutdown; it goes back to its queue.`,
          'shutdown',
        ),
      );
      this.#finish(attempt, { type: 'released', availableAt: now });
    }
  }

  /** Every running attempt's lease. */
  leases(): Lease[] {
    const leases: Lease[] = [];
    for (const attempt of this.active.values()) leases.push(attempt.lease);
    return leases;
  }

  // --- AttemptHost: what a JobContext calls -------------------------------------------------------------

  async progress(attempt: Attempt, value: number | Record<string, unknown>): Promise<void> {
    if (
      !(typeof value === 'number' && Number.isFinite(value)) &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw new TypeError(`Invalid progress ${quote(value)}: use a number (like 50) or a plain object.`);
    }
    if (attempt.finished) return;
    const text = encodeValue(value, 'progress', this.#conveyor.maxPayloadBytes);
    const stored = await this.#conveyor.driver.setProgress(attempt.lease, text, this.now());
    if (stored && this.#events.wants('progress')) this.#events.emit('progress', attempt.info, value);
  }

  async extendChain(attempt: Attempt, jobs: Job[], position: 'append' | 'prepend'): Promise<void> {
    const chainId = attempt.record.chainId;
    if (chainId === null) throw new ConveyorError(`Job ${attempt.record.id} is not part of a chain.`);
    for (const [index, job] of jobs.entries()) {
      assertJobAt(job, `ctx.chain.${position}()`, `argument ${index + 1}`);
    }
    // Added links go to the chain's queue (from `.onQueue()`), like the links it was dispatched with.
    const queue = decodeGroupOptions((await this.#conveyor.driver.getChain(chainId))?.options ?? '{}').queue;
    const links = jobs.map((job) =>
      this.#conveyor.prepare(job, queue === undefined ? {} : { queue }, attempt.record.batchId),
    );
    const ok = await this.#conveyor.driver.extendChain(chainId, links, position, this.now());
    if (!ok) {
      throw new ConveyorError(`Cannot ${position} jobs to chain ${chainId}: the chain is no longer running.`);
    }
  }

  batchContext(attempt: Attempt): BatchContext | null {
    return batchContextFor(this.#conveyor, attempt.record.batchId, attempt.options);
  }

  chainInfo(chainId: string): Promise<ChainInfo | null> {
    return chainInfoOf(this.#conveyor, chainId);
  }

  toReleaseDelay(delay: unknown): number {
    return toMs(delay as Duration, 'release delay');
  }

  // --- SettleSink: the driver's answers -----------------------------------------------------------------

  settled(attempt: Attempt, result: SettleResult): void {
    if (!result.ok) {
      // The lease was lost meanwhile: someone else owns the job now.
      this.#done(attempt);
      return;
    }
    const outcome = attempt.outcome!;
    this.#host.attemptSettled(attempt, result.state);
    if (result.batch) {
      const { crossed } = result.batch;
      // Callback jobs were enqueued by this settle.
      if (crossed.then || crossed.catch || crossed.finally) this.#host.workMayBeReady();
      if (crossed.finally && this.#events.wants('batch:finished'))
        this.#events.emit('batch:finished', { id: result.batch.batch.id });
    }
    switch (outcome.type) {
      case 'completed':
        if (attempt.record.chainId !== null) this.#host.workMayBeReady(); // the next link was enqueued
        if (this.#events.wants('completed')) this.#events.emit('completed', attempt.info, attempt.value);
        break;
      case 'retry':
        this.#host.workMayBeReady();
        if (this.#events.wants('retrying'))
          this.#events.emit('retrying', attempt.info, attempt.error!, outcome.availableAt);
        break;
      case 'released':
        this.#host.workMayBeReady();
        if (this.#events.wants('released')) this.#events.emit('released', attempt.info, outcome.availableAt);
        break;
      case 'cancelled':
        if (this.#events.wants('cancelled')) this.#events.emit('cancelled', attempt.info);
        break;
      case 'failed':
        if (attempt.record.chainId !== null) this.#host.workMayBeReady(); // the chain's catch jobs
        if (result.state === 'failed') {
          void this.#finalFailure(attempt);
          return;
        }
        break;
    }
    this.#done(attempt);
  }

  unsettled(attempts: Attempt[], error: unknown): void {
    this.error(error);
    const again: Attempt[] = [];
    for (const attempt of attempts) {
      if (attempt.settleRetries > 0) again.push(attempt);
      // Out of retries: the job stays processing until its lease expires, then stalled recovery takes it.
      else this.#done(attempt);
    }
    if (again.length === 0) return;
    const delay = SETTLE_RETRY_MS[SETTLE_RETRY_MS.length - again[0]!.settleRetries] ?? 1_000;
    this.#conveyor.clock.setTimeout(() => {
      for (const attempt of again) {
        attempt.settleRetries--;
        this.#batcher.add(settleRequest(attempt, attempt.outcome!), attempt);
      }
    }, delay);
  }

  /** Settles sent and not answered yet. */
  get settling(): number {
    return this.#batcher.pending;
  }

  /** Settles waiting for this turn's flush (not sent yet). */
  get settlesQueued(): number {
    return this.#batcher.queued;
  }

  /** A reserve sent with this turn's settles, in one driver call (see `SettleBatcher.reserveWith`). */
  reserveWithSettles(request: () => ReserveRequest | null): Promise<ReserveResult | null> {
    return this.#batcher.reserveWith(request);
  }

  error(error: unknown): void {
    this.#events.error(error);
  }

  // --- the attempt's end ----------------------------------------------------------------------------------

  async #await(attempt: Attempt, pending: PromiseLike<unknown>): Promise<void> {
    let value: unknown;
    try {
      value = await pending;
    } catch (thrown) {
      this.#threw(attempt, thrown);
      return;
    }
    this.#returned(attempt, value);
  }

  /**
   * Settles an attempt whose end was already decided: finished meanwhile (timed out, cancelled, shut down or
   * lost: the handler's outcome is dropped), or told by `ctx.fail()` / `ctx.release()` (which win even when the
   * handler swallowed what they threw). Returns false when the handler's own outcome decides.
   */
  #decidedByContext(attempt: Attempt): boolean {
    if (attempt.finished) return true;
    if (attempt.failedBy) {
      this.#fail(attempt, attempt.failedBy, true);
    } else if (attempt.releaseAt !== undefined) {
      this.#finish(attempt, { type: 'released', availableAt: attempt.releaseAt });
    } else {
      return false;
    }
    return true;
  }

  #returned(attempt: Attempt, value: unknown): void {
    if (this.#decidedByContext(attempt)) return;
    let result: string | null = null;
    if (value !== undefined) {
      try {
        result = encodeValue(value, `${attempt.record.name} result`, this.#conveyor.maxPayloadBytes);
      } catch (error) {
        this.#fail(attempt, asError(error), false);
        return;
      }
    }
    attempt.value = value;
    this.#finish(attempt, result === null ? COMPLETED_EMPTY : { type: 'completed', result });
  }

  #threw(attempt: Attempt, thrown: unknown): void {
    if (this.#decidedByContext(attempt)) return;
    this.#fail(attempt, asError(thrown), false);
  }

  #timedOut(attempt: Attempt, ms: number): void {
    if (attempt.finished) return;
    const { name, id, attempts, maxAttempts } = attempt.record;
    const error = new TimeoutError(
      `Job ${name} (${id}) timed out after ${ms} ms (attempt ${attempts} of ${maxAttempts}).`,
    );
    attempt.abort(error);
    this.#fail(attempt, error, false);
  }

  #fail(attempt: Attempt, error: Error, final: boolean): void {
    attempt.error = error;
    const outcome = failureOutcome({
      record: attempt.record,
      error,
      options: attempt.options,
      cls: attempt.cls,
      final,
      now: this.now(),
    });
    this.#finish(attempt, outcome);
  }

  #finish(attempt: Attempt, outcome: SettleOutcome): void {
    attempt.finished = true;
    attempt.outcome = outcome;
    if (attempt.timer) {
      attempt.timer.cancel();
      attempt.timer = undefined;
    }
    this.active.delete(attempt.record.id);
    this.#batcher.add(settleRequest(attempt, outcome), attempt);
    this.#host.attemptEnded(attempt);
  }

  /** The final failure is stored: run `failed()` once (its errors become `error` events), then emit `failed`. */
  async #finalFailure(attempt: Attempt): Promise<void> {
    const error = attempt.error ?? new ConveyorError(`Job ${attempt.record.id} failed.`);
    try {
      let job = attempt.job;
      if (!job && attempt.cls) {
        try {
          job = decodeJob(attempt.cls, attempt.record.payload);
        } catch {
          job = undefined; // a payload that does not parse has no instance to call
        }
      }
      if (job && typeof job.failed === 'function') {
        attempt.context ??= new AttemptContext(attempt, this);
        await job.failed(error, attempt.context);
      }
    } catch (hookError) {
      const { name, id } = attempt.record;
      this.error(
        new ConveyorError(`The failed() hook of job ${name} (${id}) threw: ${asError(hookError).message}`, {
          cause: hookError,
        }),
      );
    }
    if (this.#events.wants('failed')) this.#events.emit('failed', attempt.info, error);
    this.#done(attempt);
  }

  #done(attempt: Attempt): void {
    if (attempt.done) return;
    attempt.done = true;
    this.#host.attemptDone(attempt);
    attempt.group?.one();
  }
}

/** An attempt's settle, naming its queue (the driver then needs no lookup to find the job). */
function settleRequest(attempt: Attempt, outcome: SettleOutcome): SettleRequest {
  const { id, token, queue } = attempt.record;
  return { jobId: id, token, outcome, queue };
}
