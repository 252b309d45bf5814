import type { Conveyor } from './conveyor.js';
import type { DriverEvent } from './driver.js';

/**
 * Waits on the driver's events (no polling loop): calls `check` once now and again after each event that
 * `relevant` accepts, until `check` returns a value other than `undefined`. Resolves with that value, or with
 * `undefined` after `timeoutMs` of the conveyor's clock (no limit when `timeoutMs` is undefined).
 *
 * `check` runs one call at a time; events that arrive while it runs cause one more call, never a missed one.
 */
export async function waitUntil<T>(
  conveyor: Conveyor,
  relevant: (event: DriverEvent) => boolean,
  check: () => Promise<T | undefined>,
  timeoutMs: number | undefined,
): Promise<T | undefined> {
  let wake: () => void = () => {};
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  let next = woken();
  // The timer starts before the first await, so the timeout counts from the call.
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : conveyor.clock.setTimeout(() => {
          timedOut = true;
          wake();
        }, timeoutMs);
  let stop: () => void;
  try {
    stop = await conveyor.onDriverEvent((event) => {
      if (relevant(event)) wake();
    });
  } catch (error) {
    timer?.cancel();
    throw error;
  }
  try {
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (timedOut) return undefined;
      await next;
      next = woken();
    }
  } finally {
    timer?.cancel();
    stop();
  }
}

/** A running `watchDriver`. */
export interface DriverWatch {
  /** Runs the step once more (as if a relevant event arrived). */
  poke(): Promise<void>;
  stop(): void;
}

/**
 * Runs `step` after each driver event that `relevant` accepts, one call at a time: events that arrive while a
 * step runs are folded into one more step. Stops when `step` returns true, or on `stop()`. Errors go to
 * `onError`; watching goes on. The step does not run at the start: call `poke()`.
 */
export async function watchDriver(
  conveyor: Conveyor,
  relevant: (event: DriverEvent) => boolean,
  step: () => Promise<boolean>,
  onError: (error: unknown) => void,
): Promise<DriverWatch> {
  let running = false;
  let again = false;
  let done = false;
  let stop: () => void = () => {};
  const run = async () => {
    if (done) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          if (await step()) {
            done = true;
            stop();
          }
        } catch (error) {
          onError(error);
        }
      } while (again && !done);
    } finally {
      running = false;
    }
  };
  stop = await conveyor.onDriverEvent((event) => {
    if (!done && relevant(event)) void run();
  });
  return {
    poke: run,
    stop: () => {
      done = true;
      stop();
    },
  };
}
