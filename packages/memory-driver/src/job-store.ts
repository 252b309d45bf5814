import type { JobState } from '@conveyor/core/driver';
import { IndexedHeap } from './heap.js';
import type { StoredJob } from './stored-job.js';

/** Ready order: priority desc, then availableAt asc, then insertion order. */
const negativePriority = (job: StoredJob): number => -job.priority;
/** Due order of delayed and retrying jobs: availableAt asc, then insertion order. */
const availableAt = (job: StoredJob): number => job.availableAt;
const seq = (job: StoredJob): number => job.seq;
const zero = (): number => 0;

/**
 * The jobs of one queue in one state, unordered: an array where each job knows its slot, so adding and
 * removing are O(1) with no hashing (a removal moves the last job into the hole).
 */
class SlotList implements StateView {
  private readonly items: StoredJob[] = [];

  get size(): number {
    return this.items.length;
  }

  add(job: StoredJob): void {
    job.slot = this.items.length;
    this.items.push(job);
  }

  delete(job: StoredJob): void {
    const items = this.items;
    const slot = job.slot;
    if (slot < 0 || items[slot] !== job) return;
    const last = items.pop()!;
    if (last !== job) {
      items[slot] = last;
      last.slot = slot;
    }
    job.slot = -1;
  }

  /** The jobs in no particular order. The list must not change during the iteration. */
  [Symbol.iterator](): IterableIterator<StoredJob> {
    return this.items.values();
  }
}

/** The jobs of one queue in one state, in no particular order: a set, a slot list, or the ready heap. */
export interface StateView extends Iterable<StoredJob> {
  readonly size: number;
}

export function isWaiting(state: JobState): boolean {
  return state === 'pending' || state === 'delayed' || state === 'retrying';
}

/** Everything one queue holds, indexed so reserve, settle and counts never scan the whole queue. */
export class QueueIndex {
  /** Pending jobs in ready order: also the pending state's view (every pending job is in it). */
  readonly ready = new IndexedHeap<StoredJob>(negativePriority, availableAt, seq);
  /** Delayed and retrying jobs by due time. */
  readonly waiting = new IndexedHeap<StoredJob>(availableAt, seq, zero);
  private readonly delayed = new Set<StoredJob>();
  readonly processing = new SlotList();
  private readonly retrying = new Set<StoredJob>();
  private readonly completed = new SlotList();
  /** A Set: `retryFailed` moves failed jobs in the order they failed. */
  private readonly failed = new Set<StoredJob>();
  private readonly cancelled = new SlotList();
  readonly byState: Readonly<Record<JobState, StateView>> = {
    pending: this.ready,
    delayed: this.delayed,
    processing: this.processing,
    retrying: this.retrying,
    completed: this.completed,
    failed: this.failed,
    cancelled: this.cancelled,
  };

  /** Adds `job` to the indexes of its current state. */
  enter(job: StoredJob): void {
    switch (job.state) {
      case 'pending':
        this.ready.push(job);
        break;
      case 'delayed':
        this.delayed.add(job);
        this.waiting.push(job);
        break;
      case 'retrying':
        this.retrying.add(job);
        this.waiting.push(job);
        break;
      default:
        this.finishedSet(job.state).add(job);
    }
  }

  /** Removes `job` from the indexes of its current state (a popped pending job is in none already). */
  leave(job: StoredJob): void {
    switch (job.state) {
      case 'pending':
        this.ready.remove(job);
        break;
      case 'delayed':
        this.delayed.delete(job);
        this.waiting.remove(job);
        break;
      case 'retrying':
        this.retrying.delete(job);
        this.waiting.remove(job);
        break;
      default:
        this.finishedSet(job.state).delete(job);
    }
  }

  /** The set of a state that no heap orders (processing and the finished states). */
  private finishedSet(state: JobState): SlotList | Set<StoredJob> {
    switch (state) {
      case 'processing':
        return this.processing;
      case 'completed':
        return this.completed;
      case 'failed':
        return this.failed;
      case 'cancelled':
        return this.cancelled;
      default:
        throw new TypeError(`MemoryDriver: ${state} jobs are indexed by a heap`);
    }
  }

  /** Takes the first pending job in ready order and makes it processing (through `JobStore.take` only). */
  take(): StoredJob | undefined {
    const job = this.ready.pop();
    if (job === undefined) return undefined;
    job.state = 'processing';
    this.processing.add(job);
    return job;
  }

  /** Moves every delayed or retrying job due at `now` to pending. O(k log n) for k due jobs. */
  promoteDue(now: number): void {
    for (
      let job = this.waiting.peek();
      job !== undefined && job.availableAt <= now;
      job = this.waiting.peek()
    ) {
      this.waiting.pop();
      (job.state === 'retrying' ? this.retrying : this.delayed).delete(job);
      job.state = 'pending';
      this.ready.push(job);
    }
  }
}

/**
 * All jobs by id, plus per-queue indexes kept in step with each job's state: the ready heap for pending
 * jobs, a heap for delayed/retrying jobs, and a set per other state. Every state change goes through `move`
 * (or `take`, and `QueueIndex.promoteDue`).
 */
export class JobStore {
  readonly jobs = new Map<string, StoredJob>();
  /** Every queue that ever held a job. */
  readonly queues = new Map<string, QueueIndex>();
  /** The processing jobs of every queue by id: settles look here, in a map as small as the work in flight. */
  private readonly processing = new Map<string, StoredJob>();
  private seq = 0;

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  get(id: string): StoredJob | undefined {
    return this.jobs.get(id);
  }

  /** The job stored under `id` if it is processing, else undefined. */
  getProcessing(id: string): StoredJob | undefined {
    return this.processing.get(id);
  }

  insert(job: StoredJob): void {
    this.jobs.set(job.id, job);
    this.enter(this.indexOf(job.queue), job);
  }

  /** Takes the first pending job of `index` in ready order and makes it processing; undefined when none. */
  take(index: QueueIndex): StoredJob | undefined {
    const job = index.take();
    if (job !== undefined) this.processing.set(job.id, job);
    return job;
  }

  /** Changes a job's state, moving it between index sets and heaps. Set `availableAt` before calling. */
  move(job: StoredJob, state: JobState): void {
    const index = this.indexOf(job.queue);
    this.leave(index, job);
    job.state = state;
    this.enter(index, job);
  }

  delete(job: StoredJob): void {
    const index = this.queues.get(job.queue);
    if (index !== undefined) this.leave(index, job);
    this.jobs.delete(job.id);
  }

  private enter(index: QueueIndex, job: StoredJob): void {
    index.enter(job);
    if (job.state === 'processing') this.processing.set(job.id, job);
  }

  private leave(index: QueueIndex, job: StoredJob): void {
    index.leave(job);
    if (job.state === 'processing') this.processing.delete(job.id);
  }

  private indexOf(queue: string): QueueIndex {
    let index = this.queues.get(queue);
    if (index === undefined) {
      index = new QueueIndex();
      this.queues.set(queue, index);
    }
    return index;
  }
}
