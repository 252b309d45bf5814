import type { Driver } from './driver.js';
import type { ResolvedRetention } from './retention.js';

/** Most finished jobs one `clean` call removes, and most calls per queue and state in one sweep. */
const SWEEP_BATCH = 1_000;
const SWEEP_ROUNDS = 10;

/**
 * Removes finished jobs of `queues` beyond `retention` (completed and cancelled jobs by the `completed` rule,
 * failed jobs by the `failed` rule: older than the age, or beyond the count, oldest first), in bounded
 * batches so one sweep never holds the storage for long. Returns how many it removed.
 */
export async function sweepRetention(
  driver: Driver,
  queues: readonly string[],
  retention: ResolvedRetention,
  now: () => number,
  keepGoing: () => boolean = () => true,
): Promise<number> {
  const rules = [
    { state: 'completed', rule: retention.completed },
    { state: 'cancelled', rule: retention.completed },
    { state: 'failed', rule: retention.failed },
  ] as const;
  let removed = 0;
  for (const queue of queues) {
    for (const { state, rule } of rules) {
      for (let round = 0; round < SWEEP_ROUNDS && keepGoing(); round++) {
        const count = await driver.clean({
          queue,
          state,
          finishedBefore: now() - rule.ageMs,
          keep: rule.count,
          limit: SWEEP_BATCH,
        });
        removed += count;
        if (count < SWEEP_BATCH) break;
      }
    }
  }
  return removed;
}
