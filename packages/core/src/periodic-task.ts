import type { Clock, ClockTimer } from './clock.js';

/**
 * A chore a started worker runs now and then every `intervalMs` of its clock (stalled recovery, retention): one
 * clock timer, re-armed only after a run finishes, so runs never overlap. Errors go to `onError`.
 */
export class PeriodicTask {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #task: () => Promise<unknown>;
  readonly #onError: (error: unknown) => void;
  #timer: ClockTimer | undefined;
  #running = false;
  #current: Promise<void> = Promise.resolve();

  constructor(
    clock: Clock,
    intervalMs: number,
    task: () => Promise<unknown>,
    onError: (error: unknown) => void,
  ) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#task = task;
    this.#onError = onError;
  }

  /** Runs the task now, then every interval until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tick();
  }

  /** Stops re-arming; resolves when a run in progress has finished. */
  stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    return this.#current;
  }

  #tick(): void {
    this.#timer = undefined;
    this.#current = this.#task().then(
      () => this.#rearm(),
      (error: unknown) => {
        this.#onError(error);
        this.#rearm();
      },
    );
  }

  #rearm(): void {
    if (this.#running) this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#intervalMs);
  }
}
