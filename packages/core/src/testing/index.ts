/**
 * `@conveyor/core/testing`: test code that dispatches jobs without storage and without sleeps.
 *
 * - `Queue.fake()` (or `fake(conveyor)`) records dispatches instead of storing them, optionally only for some
 *   job classes, and asserts on them: `assertDispatched`, `assertDispatchedTimes`, `assertDispatchedOn`,
 *   `assertNotDispatched`, `assertNothingDispatched`, `assertChained`, `assertBatched`, `assertBatchCount`.
 * - For behaviour runs, use the memory driver with a `FakeClock` and `conveyor.drain({ advance: true })`
 *   (both in `@conveyor/core`): see docs/testing.md.
 */

export { fake } from './fake.js';
export { FakeDriver, type FakeDriverOptions } from './fake-driver.js';
export type { JobExpectation } from './job-expectation.js';
export { type FakeableQueue, Queue } from './queue.js';
export { type DispatchPredicate, type FakeOptions, QueueFake } from './queue-fake.js';
export type { RecordedBatch, RecordedChain, RecordedJob } from './recorded.js';
