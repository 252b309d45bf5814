/** Untimed setup: jobs stored before a measurement starts. */
import type { Conveyor } from '@conveyor/core';
import type { Queue } from 'bullmq';
import { NoopJob } from './conveyor-setup.js';
import { benchData } from './payload.js';

const CHUNK = 1_000;

/** Stores `count` noop jobs with plain dispatches (the driver coalesces each chunk into one call). */
export async function preloadConveyor(conveyor: Conveyor, count: number): Promise<void> {
  for (let from = 0; from < count; from += CHUNK) {
    const size = Math.min(CHUNK, count - from);
    await Promise.all(
      Array.from({ length: size }, (_, i) => conveyor.dispatch(new NoopJob(benchData(from + i)))),
    );
  }
}

export async function preloadBull(queue: Queue, count: number): Promise<void> {
  for (let from = 0; from < count; from += CHUNK) {
    const size = Math.min(CHUNK, count - from);
    await queue.addBulk(
      Array.from({ length: size }, (_, i) => ({ name: 'noop', data: benchData(from + i) })),
    );
  }
}
