import { ChainHandle } from './chain-handle.js';
import type { Conveyor } from './conveyor.js';
import type { NewChain, NewJob, PushOutcome } from './driver.js';
import type { Duration } from './duration.js';
import { ConfigurationError, quote } from './errors.js';
import { encodeGroupOptions } from './group-options.js';
import { newId } from './ids.js';
import { Job } from './job.js';
import { assertChainLinks } from './job-items.js';
import { type DispatchOptions, delayMs, validateQueueName } from './job-options.js';
import { type ChainCatchFunction, watchChainFunctions } from './local-callbacks.js';

/** One link as the builder holds it: the job and the options of its own dispatch (from `dispatch(a).chain`). */
interface Link {
  job: Job;
  options: DispatchOptions;
}

/** What a chain becomes in storage, plus its in-process `catch` functions. */
export interface BuiltChain {
  chain: NewChain;
  catchFunctions: ChainCatchFunction[];
}

/**
 * A chain being built: jobs that run one after another, each only after the previous one completed. Made by
 * `Chain.of([a, b, c])`, `conveyor.chain([...])` or `Queue.dispatch(a).chain([b, c])`.
 *
 * It is a thenable: `await` sends it (as does `.dispatch()`); a builder never awaited sends nothing. Careful:
 * `.catch(...)` here adds the chain's failure callback, it is not `Promise.prototype.catch`; to handle a
 * dispatch error, use `try { await chain } catch {}` or `.dispatch().catch(...)`.
 */
export class PendingChain implements PromiseLike<ChainHandle> {
  readonly #conveyor: Conveyor;
  readonly #links: Link[];
  #name: string | undefined;
  #queue: string | undefined;
  #delay: Duration | Date | undefined;
  #connection: string | undefined;
  readonly #catchJobs: Job[] = [];
  readonly #catchFunctions: ChainCatchFunction[] = [];
  #sent: Promise<ChainHandle> | undefined;

  /**
   * @internal Use `Chain.of(jobs)`, `conveyor.chain(jobs)` or `dispatch(job).chain(jobs)`. `first` carries the
   * options and connection of a `PendingDispatch` turned into a chain.
   */
  constructor(
    conveyor: Conveyor,
    jobs: readonly Job[],
    call = 'Chain.of()',
    first?: { options: DispatchOptions; connection: string | undefined },
  ) {
    assertChainLinks(jobs, call);
    this.#conveyor = conveyor;
    this.#links = jobs.map((job) => ({ job, options: {} }));
    if (first) {
      this.#links[0]!.options = { ...first.options };
      this.#connection = first.connection;
    }
  }

  /** A name for the chain, shown by `chain.info()` and kept in its record. */
  name(name: string): this {
    if (typeof name !== 'string' || name.length === 0) {
      throw new ConfigurationError(`Invalid chain name ${quote(name)}: use a non-empty string.`);
    }
    this.#name = name;
    return this;
  }

  /**
   * Sends every link (and `catch` job) to this queue, over each job's own queue option; a link that was
   * dispatched with its own `.onQueue()` (the first link of `dispatch(a).onQueue(q).chain(...)`) keeps it.
   */
  onQueue(queue: string): this {
    this.#queue = validateQueueName(queue);
    return this;
  }

  /** Sends the chain through a named connection (see `Queue.use(name, driver)`). */
  onConnection(name: string): this {
    this.#connection = name;
    return this;
  }

  /** Delays the first link (ms, '30s', '5m', ... or a Date); later links run as soon as the previous completes. */
  delay(delay: Duration | Date): this {
    delayMs(delay, this.#conveyor.clock.now());
    this.#delay = delay;
    return this;
  }

  /**
   * Runs when a link fails finally (the remaining links are then `cancelled`). A job is stored with the chain
   * and enqueued by the same driver step that fails the link: exactly once, on any worker; it sees the chain
   * as `ctx.chain`. A function runs only in this process, while it lives (see the docs). Not called when the
   * chain is cancelled. May be called more than once.
   */
  catch(callback: Job | ChainCatchFunction): this {
    if (callback instanceof Job) this.#catchJobs.push(callback);
    else if (typeof callback === 'function') this.#catchFunctions.push(callback);
    else {
      throw new TypeError(`Chain catch(): expected a job or a function, got ${quote(callback)}.`);
    }
    return this;
  }

  /** @internal The connection a batch must agree with when this chain is one of its items. */
  get connection(): string | undefined {
    return this.#connection;
  }

  /**
   * @internal Builds the stored chain for `conveyor`. `batchId` and `batchQueue` come from the batch holding
   * it (the chain's own `onQueue` wins over the batch's).
   */
  build(conveyor: Conveyor, batchId: string | null = null, batchQueue?: string): BuiltChain {
    const id = newId();
    const queue = this.#queue ?? batchQueue;
    const links: NewJob[] = this.#links.map(({ job, options }, index) => {
      const linkOptions: DispatchOptions = { ...options };
      if (linkOptions.queue === undefined && queue !== undefined) linkOptions.queue = queue;
      if (index === 0 && linkOptions.delay === undefined && this.#delay !== undefined)
        linkOptions.delay = this.#delay;
      return conveyor.prepare(job, linkOptions, batchId);
    });
    const catchJobs = this.#catchJobs.map((job) =>
      conveyor.prepare(job, queue === undefined ? {} : { queue }, null, {
        callbackFor: { chainId: id, on: 'catch' },
      }),
    );
    const options: { name?: string; queue?: string } = {};
    if (this.#name !== undefined) options.name = this.#name;
    if (queue !== undefined) options.queue = queue;
    return {
      chain: { id, links, catch: catchJobs, options: encodeGroupOptions(options), batchId },
      catchFunctions: [...this.#catchFunctions],
    };
  }

  /** Sends the chain (once: later calls return the same promise). The first link is enqueued at once. */
  dispatch(): Promise<ChainHandle> {
    this.#sent ??= this.#send();
    return this.#sent;
  }

  async #send(): Promise<ChainHandle> {
    const target = await this.#conveyor.connectionFor(this.#connection);
    const { chain, catchFunctions } = this.build(target);
    const watch =
      catchFunctions.length > 0 ? await watchChainFunctions(target, chain.id, catchFunctions) : undefined;
    let outcome: PushOutcome;
    try {
      outcome = (await target.driver.push({ chains: [chain] }, target.clock.now())).chains[0]!;
    } catch (error) {
      watch?.stop();
      throw error;
    }
    const first = chain.links[0]!;
    if (outcome.outcome === 'duplicate') {
      // The first link's uniqueness key is held: nothing of the chain was stored.
      watch?.stop();
      target.emitDuplicate(first, outcome.id);
      return new ChainHandle(target, chain.id, outcome.id);
    }
    target.emit('dispatched', { id: first.id, name: first.name, queue: first.queue, attempt: 0 });
    void watch?.poke();
    return new ChainHandle(target, chain.id);
  }

  // biome-ignore lint/suspicious/noThenProperty: the builder is deliberately a thenable, so `await` sends it.
  then<A = ChainHandle, B = never>(
    onfulfilled?: ((value: ChainHandle) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.dispatch().then(onfulfilled, onrejected);
  }
}
