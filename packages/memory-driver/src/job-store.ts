import type { JobState } from '@conveyor/core/driver';
import { IndexedHeap } from './heap.js';
import type { StoredJob } from './stored-job.js';

/** Ready order: priority desc, then availableAt asc, then insertion order. */
function readyBefore(a: StoredJob, b: StoredJob): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.availableAt !== b.availableAt) return a.availableAt < b.availableAt;
  return a.seq < b.seq;
}

/** Due order of delayed and retrying jobs: availableAt asc, then insertion order. */
function dueBefore(a: StoredJob, b: StoredJob): boolean {
  if (a.availableAt !== b.availableAt) return a.availableAt < b.availableAt;
  return a.seq < b.seq;
}

export function isWaiting(state: JobState): boolean {
  return state === 'pending' || state === 'delayed' || state === 'retrying';
}

/** Everything one queue holds, indexed so reserve, settle and counts never scan the whole queue. */
export class QueueIndex {
  /** Pending jobs in ready order. */
  readonly ready = new IndexedHeap<StoredJob>(readyBefore);
  /** Delayed and retrying jobs by due time. */
  readonly waiting = new IndexedHeap<StoredJob>(dueBefore);
  readonly byState: Record<JobState, Set<StoredJob>> = {
    pending: new Set(),
    delayed: new Set(),
    processing: new Set(),
    retrying: new Set(),
    completed: new Set(),
    failed: new Set(),
    cancelled: new Set(),
  };

  /** Moves every delayed or retrying job due at `now` to pending. O(k log n) for k due jobs. */
  promoteDue(now: number): void {
    for (
      let job = this.waiting.peek();
      job !== undefined && job.availableAt <= now;
      job = this.waiting.peek()
    ) {
      this.waiting.pop();
      this.byState[job.state].delete(job);
      job.state = 'pending';
      this.byState.pending.add(job);
      this.ready.push(job);
    }
  }
}

/**
 * All jobs by id, plus per-queue indexes kept in step with each job's state: a state set per state, and a
 * heap for pending jobs and one for delayed/retrying jobs. Every state change goes through `move`.
 */
export class JobStore {
  readonly jobs = new Map<string, StoredJob>();
  /** Every queue that ever held a job. */
  readonly queues = new Map<string, QueueIndex>();
  private seq = 0;

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  get(id: string): StoredJob | undefined {
    return this.jobs.get(id);
  }

  insert(job: StoredJob): void {
    this.jobs.set(job.id, job);
    this.attach(job);
  }

  /** Changes a job's state, moving it between index sets and heaps. Set `availableAt` before calling. */
  move(job: StoredJob, state: JobState): void {
    this.detach(job);
    job.state = state;
    this.attach(job);
  }

  delete(job: StoredJob): void {
    this.detach(job);
    this.jobs.delete(job.id);
  }

  private attach(job: StoredJob): void {
    let index = this.queues.get(job.queue);
    if (index === undefined) {
      index = new QueueIndex();
      this.queues.set(job.queue, index);
    }
    index.byState[job.state].add(job);
    if (job.state === 'pending') index.ready.push(job);
    else if (job.state === 'delayed' || job.state === 'retrying') index.waiting.push(job);
  }

  private detach(job: StoredJob): void {
    const index = this.queues.get(job.queue);
    if (index === undefined) return;
    index.byState[job.state].delete(job);
    if (job.heapIndex >= 0 && !index.ready.remove(job)) index.waiting.remove(job);
  }
}
