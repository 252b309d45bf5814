import type { Redis } from 'ioredis';

/** How old a measured offset may get before it is measured again (in the background). */
const REFRESH_MS = 60_000;

/** This process's wall clock, in ms with a fraction. */
const localNow = (): number => performance.timeOrigin + performance.now();

/**
 * The offset of this process's clock from the Redis server's (local minus server, in ms), measured with `TIME`
 * halfway through its round trip (so within half a round trip) and measured again once a minute.
 *
 * `waitAndReserve` needs it: its reserve runs behind a blocking pop, at a moment the caller cannot know, so the
 * script reads the server's clock and adds `correction(now)` to get the caller's clock at that moment.
 */
export class ServerClock {
  readonly #redis: Redis;
  #offset: number | undefined;
  #measuredAt = 0;
  #measuring: Promise<void> | undefined;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /**
   * What the reserve script adds to the server's clock so that it reads `now` plus the time passed since this
   * call: the offset, moved from this process's clock to the caller's (a fake clock's `now` stays its own).
   */
  async correction(now: number): Promise<number> {
    if (this.#offset === undefined) await this.#measure();
    else if (localNow() - this.#measuredAt > REFRESH_MS) void this.#measure().catch(() => {});
    return Math.round(this.#offset! + now - localNow());
  }

  #measure(): Promise<void> {
    this.#measuring ??= (async () => {
      try {
        const before = localNow();
        const [seconds, micros] = await this.#redis.time();
        const after = localNow();
        this.#offset = (before + after) / 2 - (Number(seconds) * 1000 + Number(micros) / 1000);
        this.#measuredAt = after;
      } finally {
        this.#measuring = undefined;
      }
    })();
    return this.#measuring;
  }
}
