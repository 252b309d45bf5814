/** BullMQ side of the bench: queues and workers on the bench's Redis database, under the run's prefix. */
import { type Processor, Queue, Worker, type WorkerOptions } from 'bullmq';
import { bullConnection } from './env.js';

export const BULL_QUEUE = 'bench';

export function bullQueue(prefix: string, name = BULL_QUEUE): Queue {
  return new Queue(name, { connection: bullConnection(), prefix });
}

export function bullWorker(
  prefix: string,
  processor: Processor,
  options: Partial<WorkerOptions> = {},
  name = BULL_QUEUE,
): Worker {
  return new Worker(name, processor, { connection: bullConnection(), prefix, ...options });
}
