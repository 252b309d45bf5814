import type { RateLimitResult } from '@conveyor/core/driver';

interface Window {
  start: number;
  count: number;
}

/** Fixed-window counters: the window holding `now` starts at floor(now / windowMs) * windowMs. */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  hit(key: string, limit: number, windowMs: number, now: number): RateLimitResult {
    if (!(windowMs > 0))
      throw new RangeError(`MemoryDriver: rate limit window must be positive, got ${windowMs}`);
    const start = Math.floor(now / windowMs) * windowMs;
    let window = this.windows.get(key);
    if (window === undefined || window.start !== start) {
      window = { start, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count >= limit) return { allowed: false, count: window.count, retryAt: start + windowMs };
    window.count += 1;
    return { allowed: true, count: window.count, retryAt: null };
  }
}
