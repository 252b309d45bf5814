import type { JobState } from './driver.js';

/** What an event says about a job. */
export interface JobEventInfo {
  id: string;
  name: string;
  queue: string;
  /** The attempt this event is about (1-based); 0 before the first. */
  attempt: number;
}

/** What a `duplicate` event says: a uniqueness lock turned a dispatch away. */
export interface DuplicateInfo {
  /** The id of the job holding the lock (the dispatch returned a handle to it, with `duplicate: true`). */
  id: string;
  /** Name and queue of the job that was turned away. */
  name: string;
  queue: string;
  /** The uniqueness key that was held. */
  key: string;
}

/** Events of a `Conveyor` instance and of a `Worker` (typed for eventemitter3). */
export interface ConveyorEvents {
  /** A job was stored (not emitted for duplicates). */
  dispatched: [job: JobEventInfo];
  /** A dispatch stored nothing because a job holding the same uniqueness key is waiting or running. */
  duplicate: [duplicate: DuplicateInfo];
  /** A worker started an attempt. */
  processing: [job: JobEventInfo];
  completed: [job: JobEventInfo, result: unknown];
  /** The final failure (the job is now `failed`). */
  failed: [job: JobEventInfo, error: Error];
  /** A failed attempt that will be retried at `availableAt`. */
  retrying: [job: JobEventInfo, error: Error, availableAt: number];
  /** Released back to its queue without counting the attempt. */
  released: [job: JobEventInfo, availableAt: number];
  cancelled: [job: JobEventInfo];
  progress: [job: JobEventInfo, progress: unknown];
  /** A job whose lease expired was recovered. */
  stalled: [job: JobEventInfo];
  'batch:finished': [batch: { id: string }];
  /** A fault the worker survived (storage error, a hook that threw). */
  error: [error: Error];
}

export type { JobState };
