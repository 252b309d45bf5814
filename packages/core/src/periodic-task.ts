import type { Clock, ClockTimer } from './clock.js';

/**
 * A chore a worker runs every `intervalMs` of its clock (heartbeat, stalled recovery, retention). The timer
 * is fixed-rate: the next tick is armed before the chore runs, so a slow storage call never delays later
 * ticks (and a `FakeClock` advanced over many intervals fires every one of them). Runs never overlap: a tick
 * that comes while a run is in flight asks for one more run right after it. Errors go to `onError`.
 */
export class PeriodicTask {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #task: () => Promise<unknown>;
  readonly #onError: (error: unknown) => void;
  #timer: ClockTimer | undefined;
  #active = false;
  #inFlight: Promise<void> | undefined;
  #again = false;

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

  /** Starts ticking; with `immediately`, runs the chore now too. */
  start(immediately: boolean): void {
    if (this.#active) return;
    this.#active = true;
    this.#arm();
    if (immediately) this.#run();
  }

  /** Stops ticking; resolves once a run in flight has finished. */
  stop(): Promise<void> {
    this.#active = false;
    this.#again = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    return this.#inFlight ?? Promise.resolve();
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(this.#tick, this.#intervalMs);
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    if (!this.#active) return;
    this.#arm();
    this.#run();
  };

  #run(): void {
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = this.#task()
      .then(undefined, (error: unknown) => this.#onError(error))
      .then(() => {
        this.#inFlight = undefined;
        if (this.#again && this.#active) {
          this.#again = false;
          this.#run();
        }
      });
  }
}
