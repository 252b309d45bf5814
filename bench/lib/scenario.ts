import type { Redis } from 'ioredis';

export type Lib = 'conveyor' | 'bullmq';

/** What one run of one library gets. */
export interface RunContext {
  /** Key prefix of this run (deleted after it). */
  prefix: string;
  /** A plain connection to the bench database. */
  admin: Redis;
  /** Run number, from 0. */
  run: number;
}

/** Named figures of one run (e.g. `{ jobsPerSecond: 12345 }`, or `{ p50: 0.3, p99: 0.9 }`). */
export type Figures = Record<string, number>;

export interface Scenario {
  id: string;
  /** Each library this scenario measures (a Conveyor-only scenario has no `bullmq`). */
  conveyor(ctx: RunContext): Promise<Figures>;
  bullmq?(ctx: RunContext): Promise<Figures>;
}
