import type { ChainInfo } from './chain-handle.js';
import type { ClockTimer } from './clock.js';
import type { ReservedJob, SettleOutcome } from './driver.js';
import { ConveyorError, UnrecoverableError } from './errors.js';
import type { JobEventInfo } from './events.js';
import { chainCallbackOf } from './group-context.js';
import type { BatchContext, ChainContext, Job, JobClass, JobContext } from './job.js';
import type { StoredJobOptions } from './job-options.js';

/** Why a running attempt's `ctx.signal` aborted, when it was not a timeout. */
export type AbortCause = 'cancelled' | 'shutdown' | 'lease-lost';

/**
 * The reason `ctx.signal` carries when a job is cancelled (`cause: 'cancelled'`), when a graceful shutdown's
 * grace period ends (`'shutdown'`: the job goes back to its queue), or when the worker lost the job's lease
 * (`'lease-lost'`: another worker owns it now). A timeout aborts with a `TimeoutError` instead.
 */
export class AttemptAbortedError extends ConveyorError {
  override readonly code = 'ATTEMPT_ABORTED';
  readonly reason: AbortCause;
  constructor(message: string, reason: AbortCause) {
    super(message);
    this.reason = reason;
  }
}

/** Waits for a set of attempts (one `runOnce` call, one stalled-recovery pass) to be done. */
export class AttemptGroup {
  #left: number;
  #resolve!: () => void;
  readonly done: Promise<void>;

  constructor(size: number) {
    this.#left = size;
    this.done = new Promise<void>((resolve) => (this.#resolve = resolve));
    if (size === 0) this.#resolve();
  }

  /** One attempt of the group is done. */
  one(): void {
    if (--this.#left === 0) this.#resolve();
  }
}

/**
 * One attempt of one reserved job: its state, its lease and (once decoded) its job instance and context. The
 * worker keeps one of these per reserved job; `AttemptContext` is the face the handler sees.
 */
export class Attempt {
  readonly record: ReservedJob;
  /** Holds one of the worker's concurrency slots (false for a job taken over by stalled recovery). */
  readonly holdsSlot: boolean;
  readonly group: AttemptGroup | null;
  /**
   * The outcome is known and handed to the settle batcher (or dropped): whatever the handler does later no
   * longer counts.
   */
  finished = false;
  /** Settled (or dropped) and every follow-up (events, `failed()` hook) done; the slot is free. */
  done = false;
  cls: JobClass | undefined;
  job: Job | undefined;
  options: StoredJobOptions = {};
  context: AttemptContext | undefined;
  timer: ClockTimer | undefined;
  /** Set by `ctx.fail()`: the attempt fails with this error, with no retry, even if the handler swallowed it. */
  failedBy: Error | undefined;
  /** Set by `ctx.release()`: the attempt is released until this time, even if the handler swallowed it. */
  releaseAt: number | undefined;
  /** The outcome handed to the settle batcher. */
  outcome: SettleOutcome | undefined;
  /** What the handler returned (for the `completed` event). */
  value: unknown;
  /** The error the attempt settled with (for the `failed()` hook and events). */
  error: Error | undefined;
  /** Settle attempts left after a storage fault. */
  settleRetries = 3;
  #controller: AbortController | undefined;
  #abortReason: Error | undefined;
  #info: JobEventInfo | undefined;

  constructor(record: ReservedJob, holdsSlot: boolean, group: AttemptGroup | null) {
    this.record = record;
    this.holdsSlot = holdsSlot;
    this.group = group;
  }

  /** The signal handed to the handler, made on first use (most handlers never read it). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortReason) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#abortReason !== undefined;
  }

  abort(reason: Error): void {
    if (this.#abortReason) return;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  /** What events say about this attempt (made once). */
  get info(): JobEventInfo {
    this.#info ??= {
      id: this.record.id,
      name: this.record.name,
      queue: this.record.queue,
      attempt: this.record.attempts,
    };
    return this.#info;
  }

  get lease(): { jobId: string; token: string } {
    return { jobId: this.record.id, token: this.record.token };
  }
}

/** What `AttemptContext` needs from the worker (progress, chain links, batch and chain reads). */
export interface AttemptHost {
  progress(attempt: Attempt, value: number | Record<string, unknown>): Promise<void>;
  extendChain(attempt: Attempt, jobs: Job[], position: 'append' | 'prepend'): Promise<void>;
  batchContext(attempt: Attempt): BatchContext | null;
  chainInfo(chainId: string): Promise<ChainInfo | null>;
  now(): number;
  toReleaseDelay(delay: unknown): number;
}

/** Thrown by `ctx.release()` to stop the handler; the worker settles the attempt as released. */
export class ReleaseSignal extends Error {
  constructor() {
    super('ctx.release() was called: the job goes back to its queue without counting this attempt.');
    this.name = 'ReleaseSignal';
  }
}

const NO_META: Readonly<Record<string, unknown>> = Object.freeze({});

/** The `JobContext` a handler receives. Methods live on the prototype: no closure per job. */
export class AttemptContext implements JobContext {
  readonly #attempt: Attempt;
  readonly #host: AttemptHost;
  #chain: AttemptChain | null | undefined;
  #batch: BatchContext | null | undefined;

  constructor(attempt: Attempt, host: AttemptHost) {
    this.#attempt = attempt;
    this.#host = host;
  }

  get id(): string {
    return this.#attempt.record.id;
  }
  get name(): string {
    return this.#attempt.record.name;
  }
  get queue(): string {
    return this.#attempt.record.queue;
  }
  get attempt(): number {
    return this.#attempt.record.attempts;
  }
  get maxAttempts(): number {
    return this.#attempt.record.maxAttempts;
  }
  get signal(): AbortSignal {
    return this.#attempt.signal;
  }
  get meta(): Readonly<Record<string, unknown>> {
    return this.#attempt.options.meta ?? NO_META;
  }
  get batch(): BatchContext | null {
    if (this.#batch === undefined) this.#batch = this.#host.batchContext(this.#attempt);
    return this.#batch;
  }
  get chain(): AttemptChain | null {
    if (this.#chain === undefined) {
      const link = this.#attempt.record.chainId;
      const id = link ?? chainCallbackOf(this.#attempt.options);
      this.#chain =
        id === null ? null : new AttemptChain(id, link === null ? 'catch' : null, this.#attempt, this.#host);
    }
    return this.#chain;
  }

  progress(value: number | Record<string, unknown>): Promise<void> {
    return this.#host.progress(this.#attempt, value);
  }

  fail(reason?: string | Error): never {
    const error =
      reason instanceof Error
        ? reason
        : new UnrecoverableError(
            reason === undefined
              ? `Job ${this.name} (${this.id}) failed: ctx.fail() was called.`
              : String(reason),
          );
    this.#attempt.failedBy ??= error;
    throw error instanceof UnrecoverableError
      ? error
      : new UnrecoverableError(error.message, { cause: error });
  }

  release(delay: unknown = 0): never {
    const ms = this.#host.toReleaseDelay(delay);
    this.#attempt.releaseAt ??= this.#host.now() + ms;
    throw new ReleaseSignal();
  }
}

/** `ctx.chain` of a job that runs inside a chain. */
class AttemptChain implements ChainContext {
  readonly id: string;
  readonly callback: 'catch' | null;
  readonly #attempt: Attempt;
  readonly #host: AttemptHost;

  constructor(id: string, callback: 'catch' | null, attempt: Attempt, host: AttemptHost) {
    this.id = id;
    this.callback = callback;
    this.#attempt = attempt;
    this.#host = host;
  }

  info(): Promise<ChainInfo | null> {
    return this.#host.chainInfo(this.id);
  }

  append(...jobs: Job[]): Promise<void> {
    return this.#host.extendChain(this.#attempt, jobs, 'append');
  }

  prepend(...jobs: Job[]): Promise<void> {
    return this.#host.extendChain(this.#attempt, jobs, 'prepend');
  }
}
