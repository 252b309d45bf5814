import type { Clock, ClockTimer } from './clock.js';
import type { Driver, Lease } from './driver.js';

/** What the lease keeper renews and whom it tells. */
export interface LeaseHost {
  readonly clock: Clock;
  driver(): Driver;
  /** The leases of every running attempt. */
  leases(): Lease[];
  /** The driver said these jobs' leases are gone (taken over or removed). */
  lost(jobIds: string[]): void;
  error(error: unknown): void;
}

/**
 * The heartbeat: ONE clock timer per worker that renews every active lease in one `extendLeases` call, every
 * `intervalMs`. It runs while anyone holds it (`hold()`/`letGo()`): a started worker holds it until it closes,
 * a `runOnce()` call for as long as it runs.
 */
export class LeaseKeeper {
  readonly #host: LeaseHost;
  readonly #intervalMs: number;
  readonly #leaseMs: number;
  #holders = 0;
  #timer: ClockTimer | undefined;
  #ticking = false;

  constructor(host: LeaseHost, intervalMs: number, leaseMs: number) {
    this.#host = host;
    this.#intervalMs = intervalMs;
    this.#leaseMs = leaseMs;
  }

  hold(): void {
    if (this.#holders++ === 0 && !this.#ticking) this.#arm();
  }

  letGo(): void {
    if (this.#holders === 0) return;
    if (--this.#holders === 0) {
      this.#timer?.cancel();
      this.#timer = undefined;
    }
  }

  /** Stops for good (close). */
  stop(): void {
    this.#holders = 0;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = this.#host.clock.setTimeout(this.#tick, this.#intervalMs);
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    this.#ticking = true;
    void this.#renew().finally(() => {
      this.#ticking = false;
      if (this.#holders > 0 && !this.#timer) this.#arm();
    });
  };

  async #renew(): Promise<void> {
    const leases = this.#host.leases();
    if (leases.length === 0) return;
    try {
      const lost = await this.#host.driver().extendLeases(leases, this.#leaseMs, this.#host.clock.now());
      if (lost.length > 0) this.#host.lost(lost);
    } catch (error) {
      this.#host.error(error);
    }
  }
}
