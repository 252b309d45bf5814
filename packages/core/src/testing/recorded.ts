import type { NewJob, UniqueSpec } from '../driver.js';
import { ConfigurationError, quote } from '../errors.js';
import { decodeGroupOptions } from '../group-options.js';
import type { Job, JobClass } from '../job.js';
import type { CallbackTarget, StoredJobOptions } from '../job-options.js';
import { decodeJob, decodeValue } from '../serializer.js';

/**
 * One job the fake recorded instead of storing it: what a worker would have received. `job` is rebuilt from
 * the stored payload with the job's class (as a worker does, without calling the constructor), so an assertion
 * sees exactly what would have travelled: a property that would not survive storage does not survive here.
 */
export interface RecordedJob<J extends Job = Job> {
  readonly id: string;
  /** The stored name (`static jobName`, else the class name). */
  readonly name: string;
  /** The job, decoded from its payload with its class. */
  readonly job: J;
  /** The payload decoded to plain data (Dates, Maps, Sets... restored). */
  readonly data: Record<string, unknown>;
  readonly queue: string;
  /** The named connection it was dispatched through, or null for the default driver. */
  readonly connection: string | null;
  /** The delay asked for, in ms (0: none). For a chain link after the first: the delay after the previous one. */
  readonly delayMs: number;
  /** 1 (low) .. 4 (critical). */
  readonly priority: number;
  readonly maxAttempts: number;
  /** Core's stored options: timeout, backoff, retryUntil, meta. */
  readonly options: StoredJobOptions;
  /** `.meta({...})` of the dispatch, or `{}`. */
  readonly meta: Record<string, unknown>;
  readonly unique: UniqueSpec | null;
  /** The chain it is a link of, and its position there (0-based), or null. */
  readonly chainId: string | null;
  readonly chainIndex: number | null;
  /** The batch it is a member of, or null. */
  readonly batchId: string | null;
  /**
   * Set on a callback job (a chain's `catch`, a batch's `then`/`catch`/`finally`). Callbacks are stored with
   * their chain or batch and only enqueued when their moment comes, so they never count as dispatched.
   */
  readonly callbackFor: CallbackTarget | null;
  /** The conveyor clock's time at the dispatch. */
  readonly dispatchedAt: number;
}

/** A chain the fake recorded. */
export interface RecordedChain {
  readonly id: string;
  /** `.name()` of the chain, or null. */
  readonly name: string | null;
  /** `.onQueue()` of the chain (or of its batch), or null. */
  readonly queue: string | null;
  readonly connection: string | null;
  /** Every link in order (`ctx.chain.append` cannot happen: faked jobs never run). */
  readonly links: readonly RecordedJob[];
  /** The links' jobs, decoded, in order. */
  readonly jobs: readonly Job[];
  /** The `catch` jobs (function callbacks are not stored, so not recorded). */
  readonly catch: readonly RecordedJob[];
  /** The batch the chain is part of, or null. */
  readonly batchId: string | null;
  readonly dispatchedAt: number;
}

/** A batch the fake recorded: what `assertBatched` predicates receive. */
export interface RecordedBatch {
  readonly id: string;
  /** `.name()` of the batch, or null. */
  readonly name: string | null;
  /** `.onQueue()` of the batch, or null. */
  readonly queue: string | null;
  readonly connection: string | null;
  readonly allowFailures: boolean;
  /**
   * Every member: the batch's own jobs, then each chain's links (the stored order; `batch.add()` appends).
   * Chain links count as members, as in the batch's `total`.
   */
  readonly members: readonly RecordedJob[];
  /** The members' jobs, decoded, in the order of `members`. */
  readonly jobs: readonly Job[];
  /** The chains inside the batch. */
  readonly chains: readonly RecordedChain[];
  /** Callback jobs, by threshold (function callbacks are not stored, so not recorded). */
  readonly then: readonly RecordedJob[];
  readonly catch: readonly RecordedJob[];
  readonly finally: readonly RecordedJob[];
  readonly dispatchedAt: number;
  /** True when a member is of `cls` (and matches `predicate`, given the decoded job). */
  has<J extends Job>(cls: JobClass<J>, predicate?: (job: J) => boolean): boolean;
}

/** Where a recorded job came from: everything about it that is not in the `NewJob` itself. */
export interface RecordContext {
  connection: string | null;
  chainId: string | null;
  chainIndex: number | null;
  dispatchedAt: number;
}

/** Finds the class of a stored job name, or undefined when the fake has not seen it. */
export type ClassResolver = (name: string) => JobClass | undefined;

/** Builds the recorded form of one stored job. `job` is decoded on first read (and then kept). */
export function recordJob(record: NewJob, context: RecordContext, resolve: ClassResolver): RecordedJob {
  const options = decodeOptions(record);
  let decoded: Job | undefined;
  let data: Record<string, unknown> | undefined;
  return {
    id: record.id,
    name: record.name,
    get job(): Job {
      if (decoded) return decoded;
      const cls = resolve(record.name);
      if (!cls) {
        throw new ConfigurationError(
          `The fake cannot rebuild job ${quote(record.name)}: it never saw its class (dispatch it through the faked ` +
            `conveyor, or register the class on it with conveyor.register(${record.name})).`,
        );
      }
      decoded = decodeJob(cls, record.payload);
      return decoded;
    },
    get data(): Record<string, unknown> {
      data ??= decodeValue(record.payload, `${record.name} payload`) as Record<string, unknown>;
      return data;
    },
    queue: record.queue,
    connection: context.connection,
    delayMs: record.delayMs,
    priority: record.priority,
    maxAttempts: record.maxAttempts,
    options,
    meta: options.meta ?? {},
    unique: record.unique,
    chainId: context.chainId,
    chainIndex: context.chainIndex,
    batchId: record.batchId,
    callbackFor: options.callbackFor ?? null,
    dispatchedAt: context.dispatchedAt,
  };
}

function decodeOptions(record: NewJob): StoredJobOptions {
  const value = decodeValue(record.options, `${record.name} options`);
  return value !== null && typeof value === 'object' ? (value as StoredJobOptions) : {};
}

/** The name and queue core keeps in a chain's or batch's opaque options. */
export function groupOptionsOf(text: string): { name: string | null; queue: string | null } {
  const options = decodeGroupOptions(text);
  return { name: options.name ?? null, queue: options.queue ?? null };
}
