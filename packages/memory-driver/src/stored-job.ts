import type { JobErrorRecord, JobRecord, JobState, NewJob, ReservedJob } from '@conveyor/core/driver';
import type { HeapItem } from './heap.js';

/** A job as the driver keeps it: the public record plus bookkeeping no caller ever sees. */
export interface StoredJob extends JobRecord, HeapItem {
  /** Insertion sequence: the last tie-breaker of ready order and of `list` order. */
  seq: number;
  /** Index in the slot list of its state (processing, completed, cancelled), or -1 when in none. */
  slot: number;
  /** The lease token while processing, else null. */
  token: string | null;
  /** When the job's unique lock is released (`uniqueKey` says which lock), or null without one. */
  uniqueUntil: 'started' | 'completed' | null;
}

/** Where a job sits: its batch and its chain position. */
export interface Placement {
  batchId: string | null;
  chainId: string | null;
  chainIndex: number | null;
}

export function placementOf(spec: NewJob): Placement {
  return { batchId: spec.batchId, chainId: null, chainIndex: null };
}

export function createJob(
  spec: NewJob,
  place: Placement,
  state: JobState,
  availableAt: number,
  now: number,
  seq: number,
): StoredJob {
  return {
    id: spec.id,
    name: spec.name,
    queue: spec.queue,
    payload: spec.payload,
    options: spec.options,
    state,
    priority: spec.priority,
    attempts: 0,
    maxAttempts: spec.maxAttempts,
    createdAt: now,
    availableAt,
    startedAt: null,
    finishedAt: null,
    progress: null,
    result: null,
    errors: [],
    batchId: place.batchId,
    chainId: place.chainId,
    chainIndex: place.chainIndex,
    uniqueKey: spec.unique?.key ?? null,
    workerId: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    seq,
    token: null,
    heapIndex: -1,
    slot: -1,
    uniqueUntil: spec.unique?.until ?? null,
  };
}

export function copyError(error: JobErrorRecord): JobErrorRecord {
  return { ...error };
}

/** A detached copy of the public fields: nothing a caller does to it reaches the stored job. */
export function toRecord(job: StoredJob): JobRecord {
  return {
    id: job.id,
    name: job.name,
    queue: job.queue,
    payload: job.payload,
    options: job.options,
    state: job.state,
    priority: job.priority,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    createdAt: job.createdAt,
    availableAt: job.availableAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    progress: job.progress,
    result: job.result,
    errors: job.errors.length === 0 ? [] : job.errors.map(copyError),
    batchId: job.batchId,
    chainId: job.chainId,
    chainIndex: job.chainIndex,
    uniqueKey: job.uniqueKey,
    workerId: job.workerId,
    leaseExpiresAt: job.leaseExpiresAt,
    cancelRequested: job.cancelRequested,
  };
}

export function toReserved(job: StoredJob): ReservedJob {
  const reserved = toRecord(job) as ReservedJob;
  reserved.token = job.token as string;
  return reserved;
}

/** A private copy of a job spec kept for later (chain links, callbacks), safe from the caller's edits. */
export function cloneSpec(spec: NewJob): NewJob {
  return { ...spec, unique: spec.unique ? { ...spec.unique } : null };
}

/** Newest first: createdAt desc, then insertion order desc. */
export function newestFirst(a: StoredJob, b: StoredJob): number {
  return b.createdAt - a.createdAt || b.seq - a.seq;
}
