import { type Duration, toMs } from './duration.js';

/** How long finished jobs are kept, per queue. A sweeper in every worker enforces it in batches. */
export interface RetentionOptions {
  /** Completed (and cancelled) jobs: default 1 hour and at most 1,000 per queue. */
  completed?: { age?: Duration; count?: number };
  /** Failed jobs (the dead-letter state): default 7 days and at most 10,000 per queue. */
  failed?: { age?: Duration; count?: number };
}

export interface ResolvedRetention {
  completed: { ageMs: number; count: number };
  failed: { ageMs: number; count: number };
}

export function resolveRetention(options: RetentionOptions = {}): ResolvedRetention {
  return {
    completed: {
      ageMs: toMs(options.completed?.age ?? '1h', 'retention age'),
      count: options.completed?.count ?? 1_000,
    },
    failed: {
      ageMs: toMs(options.failed?.age ?? '7d', 'retention age'),
      count: options.failed?.count ?? 10_000,
    },
  };
}
