import type { Driver, JobState } from './driver.js';

/** The states `clear` removes: jobs waiting to run. Processing and finished jobs stay. */
export const WAITING_STATES: readonly JobState[] = ['pending', 'delayed', 'retrying'];
const PAGE = 1_000;

/**
 * Removes every waiting job (pending, delayed, retrying) of `queue`, a page at a time with `list` + `remove`,
 * and returns how many were removed. Not one atomic step: a job dispatched meanwhile may be removed too or may
 * stay, and a job a worker takes meanwhile keeps running. Removing a batch member or chain link has the same
 * effect as `remove` anywhere (the driver cancels what depended on it).
 */
export async function clearQueue(driver: Driver, queue: string): Promise<number> {
  let removed = 0;
  for (const state of WAITING_STATES) {
    for (;;) {
      const page = await driver.list({ queue, state, limit: PAGE, offset: 0 });
      if (page.length === 0) break;
      const count = await driver.remove(page.map((job) => job.id));
      removed += count;
      // nothing removable left in this page (taken meanwhile): stop rather than list it again
      if (count === 0) break;
    }
  }
  return removed;
}
