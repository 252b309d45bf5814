/**
 * Building blocks of the public-API suites: a fresh driver, FakeClock and Conveyor per test, workers that are
 * closed after each test, deferred promises and event waits. Tests wait on events and move time with the fake
 * clock; a real-time limit appears only as a generous guard (`PATIENCE_MS`) that turns a hang into a failure.
 */
import {
  Conveyor,
  type ConveyorEvents,
  type ConveyorOptions,
  type Driver,
  FakeClock,
  type JobClass,
  type JobRecord,
  Worker,
  type WorkerOptions,
} from '@conveyor/core';
import { afterEach, beforeEach } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';

/** How long a test waits for something asynchronous before calling it missing. */
export const PATIENCE_MS = 5_000;
export const SECOND = 1_000;
export const MINUTE = 60_000;

export interface Harness {
  driver: Driver;
  clock: FakeClock;
  /** A Conveyor on this test's driver and clock, knowing `jobs`. */
  conveyor(jobs?: JobClass[], options?: Omit<ConveyorOptions, 'driver' | 'clock' | 'jobs'>): Conveyor;
  /** A worker on `conveyor`, closed (with no grace period) after the test. */
  worker(conveyor: Conveyor, options?: Omit<WorkerOptions, 'conveyor'>): Worker;
}

/** Gives each test of a suite a fresh driver and clock, and cleans up workers and driver afterwards. */
export function useHarness(factory: DriverFactory): Harness {
  let workers: Worker[] = [];
  const harness = {
    conveyor(jobs: JobClass[] = [], options = {}) {
      return new Conveyor({ ...options, driver: harness.driver, clock: harness.clock, jobs });
    },
    worker(conveyor: Conveyor, options = {}) {
      const worker = new Worker({ ...options, conveyor });
      workers.push(worker);
      return worker;
    },
  } as Harness;
  beforeEach(async () => {
    harness.driver = await factory.create();
    harness.clock = new FakeClock();
    workers = [];
  });
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.close({ timeout: 0 })));
    await factory.destroy(harness.driver);
  });
  return harness;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A promise that never settles: a handler that hangs. */
export const forever = (): Promise<never> => new Promise<never>(() => {});

type EventName = keyof ConveyorEvents;
/** Anything that emits Conveyor's events: a Conveyor or a Worker. */
export type Emitter = Conveyor | Worker;

/** The next `event` (matching `match`) on `emitter`; rejects after `PATIENCE_MS` of real time. */
export function nextEvent<E extends EventName>(
  emitter: Emitter,
  event: E,
  match: (...args: ConveyorEvents[E]) => boolean = () => true,
): Promise<ConveyorEvents[E]> {
  return new Promise<ConveyorEvents[E]>((resolve, reject) => {
    const listener = (...args: ConveyorEvents[E]) => {
      if (!match(...args)) return;
      clearTimeout(guard);
      (emitter.off as (e: E, fn: typeof listener) => void)(event, listener);
      resolve(args);
    };
    const guard = setTimeout(() => {
      (emitter.off as (e: E, fn: typeof listener) => void)(event, listener);
      reject(new Error(`no ${event} event within ${PATIENCE_MS} ms`));
    }, PATIENCE_MS);
    (emitter.on as (e: E, fn: typeof listener) => void)(event, listener);
  });
}

/** The next `event` about job `id`. */
export function eventFor<E extends EventName>(emitter: Emitter, event: E, id: string) {
  return nextEvent(emitter, event, (...args) => (args[0] as { id?: string } | undefined)?.id === id);
}

/** Every emission of `event` on `emitter`, collected while the test runs. */
export function collect<E extends EventName>(emitter: Emitter, event: E): Array<ConveyorEvents[E]> {
  const seen: Array<ConveyorEvents[E]> = [];
  (emitter.on as (e: E, fn: (...args: ConveyorEvents[E]) => void) => void)(event, (...args) => {
    seen.push(args);
  });
  return seen;
}

/** Lets every queued callback, microtask and immediate run (a few turns of the event loop, no timer). */
export async function settleTurns(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The stored record; fails the test when it is gone. */
export async function recordOf(driver: Driver, id: string): Promise<JobRecord> {
  const record = await driver.get(id);
  if (!record) throw new Error(`job ${id} is not stored`);
  return record;
}

/** Races a promise against the patience guard, so a hang fails the test with a clear message. */
export async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not happen within ${PATIENCE_MS} ms`)),
      PATIENCE_MS,
    );
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when `promise` has settled after the event loop ran a few turns (no timer involved). */
export async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await settleTurns();
  return done;
}
