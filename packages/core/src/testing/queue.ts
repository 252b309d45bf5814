import type { Conveyor } from '../conveyor.js';
import { Queue as DefaultQueue } from '../queue.js';
import { fake } from './fake.js';
import type { FakeOptions, QueueFake } from './queue-fake.js';

/** The default conveyor, with `fake()`: what `Queue` is when imported from `@conveyor/core/testing`. */
export type FakeableQueue = Conveyor & {
  /**
   * Records what is dispatched on `Queue` instead of storing it (all jobs, or `only` / `except` some classes)
   * and returns the `QueueFake` to assert with; `restore()` puts the real driver back.
   */
  fake(options?: FakeOptions): QueueFake;
};

/**
 * The very same `Queue` as `@conveyor/core`'s (the object your application dispatches on), typed with
 * `fake()`: `import { Queue } from '@conveyor/core/testing'; const queue = Queue.fake();`.
 *
 * Only test code that imports this module gets `Queue.fake`; `@conveyor/core` itself never loads it.
 */
export const Queue: FakeableQueue = Object.defineProperty(DefaultQueue, 'fake', {
  value: (options?: FakeOptions): QueueFake => fake(DefaultQueue, options),
  configurable: true,
  enumerable: false,
  writable: true,
}) as FakeableQueue;
