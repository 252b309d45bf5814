import type { Clock } from './clock.js';
import type { Driver, Lease } from './driver.js';
import { PeriodicTask } from './periodic-task.js';

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
  readonly #leaseMs: number;
  readonly #task: PeriodicTask;
  #holders = 0;

  constructor(host: LeaseHost, intervalMs: number, leaseMs: number) {
    this.#host = host;
    this.#leaseMs = leaseMs;
    this.#task = new PeriodicTask(host.clock, intervalMs, () => this.#renew(), host.error);
  }

  hold(): void {
    if (this.#holders++ === 0) this.#task.start(false);
  }

  letGo(): void {
    if (this.#holders > 0 && --this.#holders === 0) void this.#task.stop();
  }

  /** Stops for good (close). */
  stop(): Promise<void> {
    this.#holders = 0;
    return this.#task.stop();
  }

  async #renew(): Promise<void> {
    const leases = this.#host.leases();
    if (leases.length === 0) return;
    const lost = await this.#host.driver().extendLeases(leases, this.#leaseMs, this.#host.clock.now());
    if (lost.length > 0) this.#host.lost(lost);
  }
}
