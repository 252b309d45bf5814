// Placeholder replaced by the worker implementation.
import type { Conveyor } from './conveyor.js';
import type { Duration } from './duration.js';
import type { JobClass } from './job.js';

export interface WorkerOptions {
  conveyor?: Conveyor;
  jobs?: JobClass[];
  queues?: string[];
  concurrency?: number;
  lease?: Duration;
}

export declare class Worker {
  constructor(options: WorkerOptions);
  readonly queues: string[];
  drain(): Promise<number>;
  close(options?: { timeout?: Duration }): Promise<void>;
}
