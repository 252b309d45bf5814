import { DEFAULT_QUEUE_SETTINGS, type QueueSettings, type QueueSettingsPatch } from '@conveyor/core/driver';
import type { QueueIndex } from './job-store.js';

/** Jobs of one queue started in one fixed window of its rate limit. */
interface StartWindow {
  window: number;
  count: number;
}

/** How many jobs `reserve` may take from a queue now, and why it may take fewer than it was asked for. */
export interface QueueRoom {
  paused: boolean;
  /** Jobs the settings let this call start (Infinity when nothing caps the queue). */
  room: number;
  /** True when the rate window, not `max` or concurrency, is the limit: the window's end is a wake-up time. */
  rateHeld: boolean;
  /** End of the current rate window (when a rate limit is set), else null. */
  windowEnd: number | null;
}

const UNLIMITED: QueueRoom = {
  paused: false,
  room: Number.POSITIVE_INFINITY,
  rateHeld: false,
  windowEnd: null,
};
const PAUSED: QueueRoom = { paused: true, room: 0, rateHeld: false, windowEnd: null };

/**
 * Queue settings shared by every worker of this driver (`Driver.setQueueSettings` patches them), and the per-window start
 * counters of rate-limited queues. `reserve` asks `room()` before taking from a queue and reports what it took
 * with `started()`; `waitForWork` asks `heldBack()` so a worker never spins on ready jobs it may not take.
 * Time is only the `now` callers pass in.
 */
export class QueueSettingsTable {
  private readonly settings = new Map<string, QueueSettings>();
  private readonly windows = new Map<string, StartWindow>();

  get(queue: string): QueueSettings {
    return copy(this.settings.get(queue) ?? DEFAULT_QUEUE_SETTINGS);
  }

  /**
   * Applies `patch` to a queue's settings in one synchronous step (a field left out or `undefined` keeps its
   * value) and returns the settings now stored.
   */
  update(queue: string, patch: QueueSettingsPatch): QueueSettings {
    const current = this.settings.get(queue) ?? DEFAULT_QUEUE_SETTINGS;
    this.set(queue, {
      paused: patch.paused ?? current.paused,
      concurrency: patch.concurrency === undefined ? current.concurrency : patch.concurrency,
      rateLimit: patch.rateLimit === undefined ? current.rateLimit : patch.rateLimit,
    });
    return this.get(queue);
  }

  /** Stores a queue's settings whole; default settings are not kept (a queue without settings costs nothing). */
  private set(queue: string, settings: QueueSettings): void {
    if (!settings.paused && settings.concurrency === null && settings.rateLimit === null) {
      this.settings.delete(queue);
      this.windows.delete(queue);
    } else {
      this.settings.set(queue, copy(settings));
    }
  }

  /** True when `queue` caps its processing jobs (a settle that frees a slot must wake a waiting worker). */
  capped(queue: string): boolean {
    return (this.settings.get(queue)?.concurrency ?? null) !== null;
  }

  /** What `reserve` may take from `queue` at `now`, given its processing jobs. */
  room(queue: string, index: QueueIndex, now: number): QueueRoom {
    const settings = this.settings.get(queue);
    if (settings === undefined) return UNLIMITED;
    if (settings.paused) return PAUSED;
    let room = Number.POSITIVE_INFINITY;
    let rateHeld = false;
    let windowEnd: number | null = null;
    if (settings.concurrency !== null) {
      room = Math.max(0, settings.concurrency - index.processing.size);
    }
    const rate = settings.rateLimit;
    if (rate !== null && rate.windowMs > 0) {
      const window = Math.floor(now / rate.windowMs);
      windowEnd = (window + 1) * rate.windowMs;
      const left = Math.max(0, rate.limit - this.startedIn(queue, window));
      if (left < room) {
        room = left;
        rateHeld = true;
      }
    }
    return { paused: false, room, rateHeld, windowEnd };
  }

  /** Counts `count` jobs of `queue` started at `now` in its rate window. */
  started(queue: string, count: number, now: number): void {
    const rate = this.settings.get(queue)?.rateLimit;
    if (!rate || !(rate.windowMs > 0) || count === 0) return;
    const window = Math.floor(now / rate.windowMs);
    const current = this.windows.get(queue);
    if (current !== undefined && current.window === window) current.count += count;
    else this.windows.set(queue, { window, count });
  }

  /**
   * True when the settings keep every ready job of `queue` from starting at `now`: paused, concurrency full, or
   * the rate window spent (the worker then sleeps until the window's end, which `reserve` reported).
   */
  heldBack(queue: string, index: QueueIndex, now: number): boolean {
    return this.settings.has(queue) && this.room(queue, index, now).room <= 0;
  }

  private startedIn(queue: string, window: number): number {
    const current = this.windows.get(queue);
    return current !== undefined && current.window === window ? current.count : 0;
  }
}

function copy(settings: QueueSettings): QueueSettings {
  return {
    paused: settings.paused,
    concurrency: settings.concurrency,
    rateLimit: settings.rateLimit === null ? null : { ...settings.rateLimit },
  };
}
