import type { Driver, ReserveRequest, ReserveResult, SettleRequest, SettleResult } from './driver.js';

/** Largest number of settles sent in one driver call. */
const MAX_BATCH = 1_000;

/** A reserve that goes with the next flush's settles (see `SettleBatcher.reserveWith`). */
interface Rider {
  /** The request, made when the settles go (null: nothing to reserve then). */
  request(): ReserveRequest | null;
  resolve(result: ReserveResult | null): void;
  reject(error: unknown): void;
}

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
  #rider: Rider | undefined;

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

  /**
   * Sends a reserve with the settles queued now, in the same driver call (`settleAndReserve`), when they go at
   * the end of this turn: the reserved jobs come back with the outcomes. `request` is called then, so it counts
   * every attempt that ended in this turn. Resolves with the reserve's result, or null when nothing is queued
   * or `request` returned null. One rider at a time (the worker's fetch loop).
   */
  reserveWith(request: () => ReserveRequest | null): Promise<ReserveResult | null> {
    if (this.#requests.length === 0 || this.#rider) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#rider = { request, resolve, reject };
    });
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
    const rider = this.#rider;
    this.#rider = undefined;
    while (this.#requests.length > 0) {
      const requests =
        this.#requests.length > MAX_BATCH ? this.#requests.splice(0, MAX_BATCH) : this.#requests;
      const owners = requests === this.#requests ? this.#owners : this.#owners.splice(0, MAX_BATCH);
      if (requests === this.#requests) {
        this.#requests = [];
        this.#owners = [];
      }
      // the rider goes with the last call
      void this.#send(requests, owners, this.#requests.length === 0 ? rider : undefined);
    }
  };

  async #send(requests: SettleRequest[], owners: T[], rider: Rider | undefined): Promise<void> {
    const reserve = rider?.request() ?? null;
    if (rider && !reserve) rider.resolve(null);
    this.#inFlight += requests.length;
    let results: SettleResult[];
    let reserved: ReserveResult | undefined;
    try {
      const driver = this.#driver();
      if (reserve) {
        const answer = await driver.settleAndReserve(requests, this.#now(), reserve);
        results = answer.settled;
        reserved = answer.reserved;
      } else {
        results = await driver.settle(requests, this.#now());
      }
    } catch (error) {
      this.#inFlight -= requests.length;
      this.#sink.unsettled(owners, error);
      if (reserve) rider!.reject(error);
      return;
    }
    this.#inFlight -= requests.length;
    for (let i = 0; i < owners.length; i++) {
      this.#sink.settled(owners[i]!, results[i] ?? { ok: false });
    }
    // after the settles: their slots are free when the reserved jobs arrive
    if (reserved) rider!.resolve(reserved);
  }
}
