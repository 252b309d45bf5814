import { type Duration, toMs } from './duration.js';

/** A timer handle returned by `Clock.setTimeout`. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Time as core sees it. Every `now` a driver receives comes from here, so a `FakeClock` moves delays, backoffs,
 * leases and timeouts on every driver without real waiting.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms` of this clock's time. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
}

/** Wall-clock time and Node timers (unref'd, so a pending timer never keeps a process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told. `advance('5m')` fires every timer due in that span, in time order, and
 * lets promise callbacks run between them. Starts at `start` (default 2026-01-01T00:00:00Z).
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer: FakeTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Number of timers still waiting. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward, firing due timers in order; awaits a macrotask after each so async work settles. */
  async advance(by: Duration): Promise<void> {
    const target = this.#now + toMs(by, 'clock advance');
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      const next = this.#timers.reduce<FakeTimer | undefined>(
        (best, t) =>
          t.at <= target && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) ? t : best,
        undefined,
      );
      if (!next) break;
      this.#now = Math.max(this.#now, next.at);
      next.cancelled = true;
      next.fn();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#now = target;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Sets the time (forward only), firing due timers. */
  async setTime(to: number | Date): Promise<void> {
    const target = typeof to === 'number' ? to : to.getTime();
    await this.advance(Math.max(0, target - this.#now));
  }
}
