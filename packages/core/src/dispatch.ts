import type { Conveyor } from './conveyor.js';
import type { Duration } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import type { JobHandle } from './handle.js';
import type { Backoff, Job, Priority, ResultOf } from './job.js';
import { assertJobAt } from './job-items.js';
import type { DispatchOptions } from './job-options.js';
import { type Middleware, toSpecs } from './middleware/middleware.js';
import { PendingChain } from './pending-chain.js';
import { type UniqueSetting, validateUnique } from './unique.js';

/**
 * A dispatch being built. It is a thenable: `await` sends it (as does `.dispatch()`). A builder that is never
 * awaited or dispatched sends nothing. Each option overrides the job's instance property and class static.
 */
export class PendingDispatch<J extends Job> implements PromiseLike<JobHandle<ResultOf<J>>> {
  readonly #conveyor: Conveyor;
  readonly #job: J;
  readonly #options: DispatchOptions = {};
  #connection: string | undefined;
  #sent: Promise<JobHandle<ResultOf<J>>> | undefined;

  constructor(conveyor: Conveyor, job: J) {
    this.#conveyor = conveyor;
    this.#job = job;
  }

  /** Runs no earlier than after `delay` (ms, '30s', '5m', '2h', '1d') or at a Date. */
  delay(delay: Duration | Date): this {
    this.#options.delay = delay;
    return this;
  }

  onQueue(queue: string): this {
    this.#options.queue = queue;
    return this;
  }

  /** Sends through a named connection (see `Queue.use(name, driver)`). */
  onConnection(name: string): this {
    this.#connection = name;
    return this;
  }

  maxAttempts(attempts: number): this {
    this.#options.maxAttempts = attempts;
    return this;
  }

  backoff(backoff: Backoff): this {
    this.#options.backoff = backoff;
    return this;
  }

  priority(priority: Priority): this {
    this.#options.priority = priority;
    return this;
  }

  timeout(timeout: Duration): this {
    this.#options.timeout = timeout;
    return this;
  }

  /** No retry after this time. */
  retryUntil(until: Date): this {
    this.#options.retryUntil = until;
    return this;
  }

  /** Free-form data stored with the job (tenant, trace id...), readable as `ctx.meta`. */
  meta(meta: Record<string, unknown>): this {
    this.#options.meta = meta;
    return this;
  }

  /**
   * Dispatches only when no job holding the same uniqueness key is waiting or running (see `UniqueOptions`):
   * otherwise nothing is stored and the handle points at the holder, with `duplicate: true`. Overrides the
   * class's `static unique` field by field; `.unique(false)` turns it off for this dispatch.
   */
  unique(options: UniqueSetting = true): this {
    this.#options.unique = validateUnique(options);
    return this;
  }

  /**
   * Runs the job through these middleware, inside the class's `static middleware`. They are stored with the
   * job, so only the built-ins whose options are data travel: `rateLimited`, `withoutOverlapping`,
   * `throttlesExceptions` (a key or `by` given as a function is resolved now, with this job). Custom
   * middleware and `skipIf` go on the class.
   */
  through(middleware: readonly Middleware<J>[]): this {
    toSpecs(middleware, this.#job); // validates now: a ConfigurationError at this call
    this.#options.through = middleware as readonly Middleware[];
    return this;
  }

  /**
   * Turns this dispatch into a chain: `jobs` run one after another once this job completed (Laravel's
   * `Bus::chain`). This job keeps the options set on this builder; the chain's own options (`onQueue`,
   * `catch`, ...) go on the returned `PendingChain`, which `await` sends.
   */
  chain(jobs: readonly Job[]): PendingChain {
    if (this.#sent) {
      throw new ConfigurationError(
        'This dispatch was already sent: call .chain([...]) before awaiting it (await Queue.dispatch(a).chain([b, c])).',
      );
    }
    if (!Array.isArray(jobs)) throw new TypeError(`.chain() expects an array of jobs, got ${quote(jobs)}.`);
    jobs.forEach((job, index) => {
      assertJobAt(job, '.chain()', `item [${index}]`);
    });
    return new PendingChain(this.#conveyor, [this.#job, ...jobs], '.chain()', {
      options: this.#options,
      connection: this.#connection,
    });
  }

  /** Sends the job (once: later calls return the same promise). */
  dispatch(): Promise<JobHandle<ResultOf<J>>> {
    this.#sent ??= (
      this.#connection === undefined
        ? this.#conveyor.send(this.#job, this.#options)
        : this.#conveyor
            .connectionFor(this.#connection)
            .then((target) => target.send(this.#job, this.#options))
    ) as Promise<JobHandle<ResultOf<J>>>;
    return this.#sent;
  }

  // biome-ignore lint/suspicious/noThenProperty: the builder is deliberately a thenable, so `await` sends it.
  then<A = JobHandle<ResultOf<J>>, B = never>(
    onfulfilled?: ((value: JobHandle<ResultOf<J>>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.dispatch().then(onfulfilled, onrejected);
  }
}
