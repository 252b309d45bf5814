import type { Driver, SettleRequest, SettleResult } from './driver.js';

/** Largest number of settles sent in one driver call. */
const MAX_BATCH = 1_000;

/** Receives the outcome of a batched settle, item by item, in request order. */
export interface SettleSink<T> {
  /** The driver answered for `owner`'s request. */
  settled(owner: T, result: SettleResult): void;
  /** The driver call failed: every owner of that call, in request order. */
  unsettled(owners: T[], error: unknown): void;
}

/**
 * Coalesces settles: every request added during one turn of the event loop goes to the driver in one `settle`
 * call (flushed on `setImmediate`), so a busy worker pays one round trip per turn, not one per job. No promise
 * or closure is made per request; answers go back through the sink with the owner object.
 */
export class SettleBatcher<T> {
  readonly #driver: () => Driver;
  readonly #now: () => number;
  readonly #sink: SettleSink<T>;
  #requests: SettleRequest[] = [];
  #owners: T[] = [];
  #scheduled = false;
  #inFlight = 0;

  constructor(driver: () => Driver, now: () => number, sink: SettleSink<T>) {
    this.#driver = driver;
    this.#now = now;
    this.#sink = sink;
  }

  /** Requests queued or sent and not yet answered. */
  get pending(): number {
    return this.#requests.length + this.#inFlight;
  }

  /** Requests waiting for this turn's flush (not sent yet). */
  get queued(): number {
    return this.#requests.length;
  }

  add(request: SettleRequest, owner: T): void {
    this.#requests.push(request);
    this.#owners.push(owner);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    while (this.#requests.length > 0) {
      const requests =
        this.#requests.length > MAX_BATCH ? this.#requests.splice(0, MAX_BATCH) : this.#requests;
      const owners = requests === this.#requests ? this.#owners : this.#owners.splice(0, MAX_BATCH);
      if (requests === this.#requests) {
        this.#requests = [];
        this.#owners = [];
      }
      void this.#send(requests, owners);
    }
  };

  async #send(requests: SettleRequest[], owners: T[]): Promise<void> {
    this.#inFlight += requests.length;
    let results: SettleResult[];
    try {
      results = await this.#driver().settle(requests, this.#now());
    } catch (error) {
      this.#inFlight -= requests.length;
      this.#sink.unsettled(owners, error);
      return;
    }
    this.#inFlight -= requests.length;
    for (let i = 0; i < owners.length; i++) {
      this.#sink.settled(owners[i]!, results[i] ?? { ok: false });
    }
  }
}
