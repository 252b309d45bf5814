import {
  type BatchChange,
  type BatchRecord,
  type CancelResult,
  type ChainRecord,
  JOB_STATES,
  type JobRecord,
  type JobState,
  type ListFilter,
  type NewBatch,
  type NewChain,
  type NewJob,
  type PushInput,
  type PushOutcome,
  type PushResult,
  type StateCounts,
} from '../driver.js';
import type { Job, JobClass } from '../job.js';
import { jobNameOf } from '../serializer.js';
import {
  type ClassResolver,
  groupOptionsOf,
  type RecordContext,
  type RecordedBatch,
  type RecordedChain,
  type RecordedJob,
  recordJob,
} from './recorded.js';

/** A recorded job a handle can look up (`job.status()`), as a driver would have stored it. */
interface Lookup {
  raw: NewJob;
  recorded: RecordedJob;
  state: JobState;
  finishedAt: number | null;
  chainId: string | null;
  chainIndex: number | null;
}

interface ChainEntry {
  view: RecordedChain;
  links: RecordedJob[];
  options: string;
}

interface BatchEntry {
  view: RecordedBatch;
  members: RecordedJob[];
  chains: RecordedChain[];
  options: string;
  cancelledAt: number | null;
}

/**
 * What a `QueueFake` saw: every job, chain and batch its fake drivers recorded instead of storing them, in
 * dispatch order, plus just enough state for the handles of faked dispatches to answer (`status()` is
 * `pending`, or `delayed` for a delayed job; nothing ever runs).
 */
export class Recording {
  readonly #resolve: ClassResolver;
  #jobs: RecordedJob[] = [];
  #chains: RecordedChain[] = [];
  #batches: RecordedBatch[] = [];
  readonly #lookups = new Map<string, Lookup>();
  readonly #chainEntries = new Map<string, ChainEntry>();
  readonly #batchEntries = new Map<string, BatchEntry>();

  constructor(resolve: ClassResolver) {
    this.#resolve = resolve;
  }

  /** Every job dispatched (plain jobs, chain links, batch members), in order; callback jobs are not. */
  get jobs(): readonly RecordedJob[] {
    return this.#jobs;
  }

  /** Every chain, standalone or inside a batch, in order. */
  get chains(): readonly RecordedChain[] {
    return this.#chains;
  }

  get batches(): readonly RecordedBatch[] {
    return this.#batches;
  }

  /** Forgets everything recorded. */
  clear(): void {
    this.#jobs = [];
    this.#chains = [];
    this.#batches = [];
    this.#lookups.clear();
    this.#chainEntries.clear();
    this.#batchEntries.clear();
  }

  /** Records what `driver.push` was given; every job is `added` (no uniqueness: nothing is stored). */
  push(input: PushInput, now: number, connection: string | null): PushResult {
    const batch = input.batch ? this.#addBatch(input.batch, now, connection) : undefined;
    return this.#addMembers(input, now, connection, batch);
  }

  /**
   * Records jobs added to a batch. A batch the fake recorded gets them as members (null when it was cancelled,
   * as a driver refuses a closed batch); jobs for any other batch are recorded on their own.
   */
  addToBatch(
    batchId: string,
    input: Omit<PushInput, 'batch'>,
    now: number,
    connection: string | null,
  ): PushResult | null {
    const batch = this.#batchEntries.get(batchId);
    if (batch?.cancelledAt != null) return null;
    return this.#addMembers(input, now, connection, batch);
  }

  /** True when this batch was recorded by the fake. */
  hasBatch(batchId: string): boolean {
    return this.#batchEntries.has(batchId);
  }

  /** True when this chain was recorded by the fake. */
  hasChain(chainId: string): boolean {
    return this.#chainEntries.has(chainId);
  }

  /** Records links added to a chain: into a recorded chain, or on their own for any other chain. */
  extendChain(
    chainId: string,
    links: NewJob[],
    position: 'append' | 'prepend',
    now: number,
    connection: string | null,
  ): void {
    const entry = this.#chainEntries.get(chainId);
    const at = entry ? (position === 'append' ? entry.links.length : 1) : null;
    const recorded = links.map((link, i) =>
      this.#addJob(link, { connection, chainId, chainIndex: at === null ? null : at + i, dispatchedAt: now }),
    );
    if (entry && at !== null) entry.links.splice(at, 0, ...recorded);
  }

  // --- what handles read ----------------------------------------------------------------------------------

  job(id: string): JobRecord | null {
    const lookup = this.#lookups.get(id);
    return lookup ? toJobRecord(lookup) : null;
  }

  chain(id: string): ChainRecord | null {
    const entry = this.#chainEntries.get(id);
    if (!entry) return null;
    return {
      id,
      state: 'running',
      jobIds: entry.links.map((link) => link.id),
      position: 0,
      batchId: entry.view.batchId,
      options: entry.options,
      createdAt: entry.view.dispatchedAt,
      finishedAt: null,
    };
  }

  batch(id: string): BatchRecord | null {
    const entry = this.#batchEntries.get(id);
    if (!entry) return null;
    const total = entry.members.length;
    // Nothing faked ever runs, so a cancelled batch has every member cancelled (later chain links included).
    const cancelled =
      entry.cancelledAt === null
        ? entry.members.filter((m) => this.#lookups.get(m.id)?.state === 'cancelled').length
        : total;
    return {
      id,
      options: entry.options,
      allowFailures: entry.view.allowFailures,
      total,
      processed: 0,
      failed: 0,
      cancelled,
      cancelledAt: entry.cancelledAt,
      createdAt: entry.view.dispatchedAt,
      finishedAt: entry.cancelledAt,
      thenFired: false,
      catchFired: false,
      finallyFired: false,
      failedJobIds: [],
    };
  }

  /** Cancels a recorded job that has not "run" (none has): it becomes `cancelled`. Null when unknown. */
  cancel(id: string, now: number): CancelResult | null {
    const lookup = this.#lookups.get(id);
    if (!lookup) return null;
    if (lookup.state === 'pending' || lookup.state === 'delayed') {
      lookup.state = 'cancelled';
      lookup.finishedAt = now;
    }
    const batchId = lookup.recorded.batchId;
    const batch = batchId === null ? null : this.batch(batchId);
    return { state: lookup.state, batch: batch && { batch, crossed: noneCrossed() } };
  }

  /** Cancels a recorded batch: every member still waiting becomes `cancelled`. Null when unknown. */
  cancelBatch(id: string, now: number): BatchChange | null {
    const entry = this.#batchEntries.get(id);
    if (!entry) return null;
    entry.cancelledAt ??= now;
    for (const member of entry.members) {
      const lookup = this.#lookups.get(member.id);
      if (lookup && (lookup.state === 'pending' || lookup.state === 'delayed')) {
        lookup.state = 'cancelled';
        lookup.finishedAt = now;
      }
    }
    return { batch: this.batch(id)!, crossed: noneCrossed() };
  }

  /** Forgets the lookups of these ids (the recorded dispatches stay); returns how many it knew. */
  remove(ids: readonly string[]): number {
    let removed = 0;
    for (const id of ids) if (this.#lookups.delete(id)) removed++;
    return removed;
  }

  /** Recorded jobs a handle can look up, newest first, filtered as a driver's `list` (limit and offset aside). */
  list(filter: ListFilter): JobRecord[] {
    return [...this.#lookups.values()]
      .filter(
        (l) =>
          (filter.queue === undefined || l.raw.queue === filter.queue) &&
          (filter.state === undefined || l.state === filter.state) &&
          (filter.name === undefined || l.raw.name === filter.name),
      )
      .reverse()
      .map(toJobRecord);
  }

  counts(queue?: string): StateCounts {
    const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as StateCounts;
    for (const lookup of this.#lookups.values()) {
      if (queue === undefined || lookup.raw.queue === queue) counts[lookup.state]++;
    }
    return counts;
  }

  queues(): string[] {
    return [...new Set([...this.#lookups.values()].map((l) => l.raw.queue))];
  }

  // --- recording ------------------------------------------------------------------------------------------

  #addMembers(
    input: Omit<PushInput, 'batch'>,
    now: number,
    connection: string | null,
    batch: BatchEntry | undefined,
  ): PushResult {
    const jobs: PushOutcome[] = (input.jobs ?? []).map((job) => {
      const recorded = this.#addJob(job, { connection, chainId: null, chainIndex: null, dispatchedAt: now });
      this.#store(job, recorded, null, null);
      batch?.members.push(recorded);
      return { outcome: 'added', id: job.id };
    });
    const chains: PushOutcome[] = (input.chains ?? []).map((chain) => {
      const entry = this.#addChain(chain, now, connection);
      if (batch) {
        batch.chains.push(entry.view);
        batch.members.push(...entry.links);
      }
      return { outcome: 'added', id: chain.links[0]!.id };
    });
    return { jobs, chains };
  }

  #addJob(job: NewJob, context: RecordContext): RecordedJob {
    const recorded = recordJob(job, context, this.#resolve);
    this.#jobs.push(recorded);
    return recorded;
  }

  /** A job a handle may look up: a driver stores plain jobs, batch members and a chain's first link at once. */
  #store(raw: NewJob, recorded: RecordedJob, chainId: string | null, chainIndex: number | null): void {
    this.#lookups.set(raw.id, {
      raw,
      recorded,
      state: raw.delayMs > 0 ? 'delayed' : 'pending',
      finishedAt: null,
      chainId,
      chainIndex,
    });
  }

  #addChain(chain: NewChain, now: number, connection: string | null): ChainEntry {
    const links = chain.links.map((link, index) => {
      const recorded = this.#addJob(link, {
        connection,
        chainId: chain.id,
        chainIndex: index,
        dispatchedAt: now,
      });
      if (index === 0) this.#store(link, recorded, chain.id, 0);
      return recorded;
    });
    const catchJobs = chain.catch.map((job) =>
      recordJob(job, { connection, chainId: null, chainIndex: null, dispatchedAt: now }, this.#resolve),
    );
    const { name, queue } = groupOptionsOf(chain.options);
    const view: RecordedChain = {
      id: chain.id,
      name,
      queue,
      connection,
      links,
      get jobs() {
        return links.map((link) => link.job);
      },
      catch: catchJobs,
      batchId: chain.batchId,
      dispatchedAt: now,
    };
    const entry: ChainEntry = { view, links, options: chain.options };
    this.#chains.push(view);
    this.#chainEntries.set(chain.id, entry);
    return entry;
  }

  #addBatch(batch: NewBatch, now: number, connection: string | null): BatchEntry {
    const callbacks = (jobs: NewJob[]) =>
      jobs.map((job) =>
        recordJob(job, { connection, chainId: null, chainIndex: null, dispatchedAt: now }, this.#resolve),
      );
    const { name, queue } = groupOptionsOf(batch.options);
    const members: RecordedJob[] = [];
    const chains: RecordedChain[] = [];
    const view: RecordedBatch = {
      id: batch.id,
      name,
      queue,
      connection,
      allowFailures: batch.allowFailures,
      members,
      get jobs() {
        return members.map((member) => member.job);
      },
      chains,
      // biome-ignore lint/suspicious/noThenProperty: the batch's `then` callbacks, as in the driver contract.
      then: callbacks(batch.then),
      catch: callbacks(batch.catch),
      finally: callbacks(batch.finally),
      dispatchedAt: now,
      has<J extends Job>(cls: JobClass<J>, predicate?: (job: J) => boolean): boolean {
        const name = jobNameOf(cls);
        return members.some((m) => m.name === name && (!predicate || predicate(m.job as J)));
      },
    };
    const entry: BatchEntry = { view, members, chains, options: batch.options, cancelledAt: null };
    this.#batches.push(view);
    this.#batchEntries.set(batch.id, entry);
    return entry;
  }
}

function noneCrossed(): BatchChange['crossed'] {
  // biome-ignore lint/suspicious/noThenProperty: the driver contract's name for the `then` threshold.
  return { then: false, catch: false, finally: false };
}

function toJobRecord(lookup: Lookup): JobRecord {
  const { raw, recorded } = lookup;
  return {
    id: raw.id,
    name: raw.name,
    queue: raw.queue,
    payload: raw.payload,
    options: raw.options,
    state: lookup.state,
    priority: raw.priority,
    attempts: 0,
    maxAttempts: raw.maxAttempts,
    createdAt: recorded.dispatchedAt,
    availableAt: recorded.dispatchedAt + raw.delayMs,
    startedAt: null,
    finishedAt: lookup.finishedAt,
    progress: null,
    result: null,
    errors: [],
    batchId: raw.batchId,
    chainId: lookup.chainId,
    chainIndex: lookup.chainIndex,
    uniqueKey: raw.unique?.key ?? null,
    workerId: null,
    leaseExpiresAt: null,
    cancelRequested: false,
  };
}
