import { FakeClock } from './clock.js';
import type { Conveyor } from './conveyor.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import { Worker } from './worker.js';

export interface DrainOptions {
  /** Queues to drain. Default: every queue the driver knows, re-read after each pass. */
  queues?: string[];
  /** Move a `FakeClock` to each next due job (`true`), or up to this far ahead (a duration). Default false. */
  advance?: boolean | Duration;
}

/** Most clock moves one `drain({ advance: true })` makes before it calls the work endless. */
const MAX_DRAIN_MOVES = 10_000;

/** `conveyor.drain()`: runs due work with one reusable in-process worker, the same code production runs. */
export class Drainer {
  readonly #conveyor: Conveyor;
  #worker: Worker | undefined;

  constructor(conveyor: Conveyor) {
    this.#conveyor = conveyor;
  }

  async drain(options: DrainOptions = {}): Promise<number> {
    const { advance = false } = options;
    if (advance === false) return (await this.#drainDue(options.queues)).ran;
    const clock = this.#conveyor.clock;
    if (!(clock instanceof FakeClock)) {
      throw new ConfigurationError(
        `drain({ advance: ${quote(advance)} }) moves time, so it needs a FakeClock: new Conveyor({ driver, clock: new FakeClock() }).`,
      );
    }
    const until = advance === true ? undefined : clock.now() + toMs(advance, 'drain advance');
    let total = 0;
    for (let moves = 0; ; moves++) {
      const { ran, nextDueAt } = await this.#drainDue(options.queues);
      total += ran;
      if (nextDueAt === null || (until !== undefined && nextDueAt > until)) break;
      if (moves >= MAX_DRAIN_MOVES) {
        throw new ConfigurationError(
          `drain({ advance: true }) moved the clock ${MAX_DRAIN_MOVES} times and work is still due (a job that keeps ` +
            "releasing itself?): bound it with a duration, as drain({ advance: '1h' }).",
        );
      }
      await clock.setTime(Math.max(nextDueAt, clock.now()));
    }
    if (until !== undefined && until > clock.now()) await clock.setTime(until);
    return total;
  }

  /**
   * Drains what is due, again while a pass ran something (it may have enqueued jobs on a queue the drain worker
   * does not cover yet). Returns the attempts run and the next due time of a delayed or retrying job.
   */
  async #drainDue(only: string[] | undefined): Promise<{ ran: number; nextDueAt: number | null }> {
    let ran = 0;
    for (;;) {
      const queues = only ?? (await this.#conveyor.driver.queues());
      if (queues.length === 0) return { ran, nextDueAt: null };
      const key = queues.join('\u0000');
      let worker = this.#worker;
      if (!worker || worker.queues.join('\u0000') !== key) {
        void worker?.close({ timeout: 0 });
        worker = new Worker({ conveyor: this.#conveyor, queues });
        this.#worker = worker;
      }
      const pass = await worker.drain();
      ran += pass;
      if (pass === 0 || only !== undefined) return { ran, nextDueAt: worker.nextDueAt };
    }
  }

  async close(): Promise<void> {
    await this.#worker?.close({ timeout: 0 });
    this.#worker = undefined;
  }
}
