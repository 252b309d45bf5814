import { AssertionError } from 'node:assert';
import type { Conveyor } from '../conveyor.js';
import type { Driver, NewJob } from '../driver.js';
import { ConfigurationError, quote } from '../errors.js';
import type { Job, JobClass } from '../job.js';
import { jobNameOf } from '../serializer.js';
import { Describer, plural } from './describe.js';
import { FakeDriver } from './fake-driver.js';
import { isJobClass, type JobExpectation, jobMatcher } from './job-expectation.js';
import type { RecordedBatch, RecordedChain, RecordedJob } from './recorded.js';
import { Recording } from './recording.js';

/** Which jobs `fake()` records. Without either list, every job is faked. */
export interface FakeOptions {
  /** Fake only jobs of these classes; every other job goes to the real driver and runs as usual. */
  only?: readonly JobClass[];
  /** Fake every job except those of these classes, which go to the real driver. */
  except?: readonly JobClass[];
}

/** A predicate over a recorded job: the decoded job, and its record (queue, delay, chain, batch...). */
export type DispatchPredicate<J extends Job> = (job: J, dispatch: RecordedJob<J>) => boolean;

/** One conveyor (or connection) the fake stands in for, and what to put back. */
interface Installed {
  conveyor: Conveyor;
  driver: FakeDriver;
  previous: Driver | undefined;
  previousListener: ((job: Job, record: NewJob) => void) | undefined;
}

/**
 * Records what a conveyor dispatches instead of storing it, and asserts on it. Made by `Queue.fake()` or
 * `fake(conveyor)` from `@conveyor/core/testing`; `restore()` puts the real driver back.
 *
 * "Dispatched" means handed to the queue: plain dispatches, scheduled occurrences, every link of a chain (all
 * are stored when the chain is dispatched) and every member of a batch. Callback jobs (a chain's `catch`, a
 * batch's `then`/`catch`/`finally`) are not: they wait for their moment, and a faked job never runs; read them
 * on `chains()` and `batches()`.
 *
 * Jobs reach assertions as a worker would see them: rebuilt from the stored payload with their class.
 */
export class QueueFake {
  /** The conveyor this fake stands in for. */
  readonly conveyor: Conveyor;
  readonly #recording: Recording;
  /** Classes by stored name, learned from every dispatch and every class an assertion names. */
  readonly #classes = new Map<string, JobClass>();
  readonly #installed: Installed[] = [];
  readonly #fakes: (name: string) => boolean;

  /** @internal Use `Queue.fake()` or `fake(conveyor)`, which also replace an earlier fake of the conveyor. */
  constructor(conveyor: Conveyor, options: FakeOptions = {}) {
    this.conveyor = conveyor;
    this.#fakes = fakedNames(options);
    for (const cls of [...(options.only ?? []), ...(options.except ?? [])]) this.#learn(cls);
    this.#recording = new Recording((name) => this.#classOf(name));
    this.#install(conveyor, null);
    for (const name of conveyor.connectionNames()) this.#install(conveyor.connection(name), name);
  }

  /** True once `restore()` ran. */
  get restored(): boolean {
    return this.#installed.length === 0;
  }

  /**
   * Puts the real driver back on the conveyor and its connections (none, if it had none). Recorded dispatches
   * stay readable. Calling it again does nothing; if the conveyor got another driver with `use()` meanwhile,
   * that one stays.
   */
  restore(): void {
    for (const { conveyor, driver, previous, previousListener } of this.#installed.splice(0).reverse()) {
      conveyor.onPrepare(previousListener);
      if (conveyor.hasDriver && conveyor.driver === driver) conveyor.swapDriver(previous);
    }
  }

  /** Forgets everything recorded so far (the fake stays in place). */
  clear(): void {
    this.#recording.clear();
  }

  // --- readers ---------------------------------------------------------------------------------------------

  /** Every dispatched job (of `cls`, if given), in dispatch order, with its queue, delay, chain and batch. */
  jobs<J extends Job = Job>(cls?: JobClass<J>): RecordedJob<J>[] {
    if (cls === undefined) return [...this.#recording.jobs] as RecordedJob<J>[];
    return this.#of(cls);
  }

  /** The dispatched jobs of `cls` (matching `predicate`), decoded, in dispatch order. */
  dispatched<J extends Job>(cls: JobClass<J>, predicate?: DispatchPredicate<J>): J[] {
    return this.#of(cls, predicate).map((recorded) => recorded.job);
  }

  /** Every chain dispatched, standalone or inside a batch, in order. */
  chains(): RecordedChain[] {
    return [...this.#recording.chains];
  }

  /** Every batch dispatched, in order. */
  batches(): RecordedBatch[] {
    return [...this.#recording.batches];
  }

  // --- assertions ------------------------------------------------------------------------------------------

  /** Passes when a job of `cls` (matching `predicate`) was dispatched. */
  assertDispatched<J extends Job>(cls: JobClass<J>, predicate?: DispatchPredicate<J>): void {
    const all = this.#of(cls);
    const name = jobNameOf(cls);
    if (!predicate) {
      if (all.length > 0) return;
      this.#fail(
        `Expected ${name} to be dispatched, but it was not. ${this.#instead()}`,
        this.assertDispatched,
      );
    }
    if (all.some((recorded) => predicate(recorded.job, recorded))) return;
    this.#fail(
      all.length === 0
        ? `Expected ${name} matching the predicate to be dispatched, but no ${name} was. ${this.#instead()}`
        : `Expected ${name} matching the predicate to be dispatched, but ${noneOf(all.length, `${name} job`)}:\n${this.#describe().jobs(all)}`,
      this.assertDispatched,
    );
  }

  /** Passes when exactly `times` jobs of `cls` (matching `predicate`) were dispatched. */
  assertDispatchedTimes<J extends Job>(
    cls: JobClass<J>,
    times: number,
    predicate?: DispatchPredicate<J>,
  ): void {
    if (!Number.isInteger(times) || times < 0) {
      throw new ConfigurationError(
        `assertDispatchedTimes: expected a whole number >= 0, got ${quote(times)}.`,
      );
    }
    const matching = this.#of(cls, predicate);
    if (matching.length === times) return;
    const what = predicate ? `${jobNameOf(cls)} matching the predicate` : jobNameOf(cls);
    this.#fail(
      `Expected ${what} to be dispatched ${timesText(times)}, but ` +
        (matching.length === 0
          ? `it was not dispatched. ${this.#instead()}`
          : `it was dispatched ${timesText(matching.length)}:\n${this.#describe().jobs(matching)}`),
      this.assertDispatchedTimes,
    );
  }

  /** Passes when a job of `cls` (matching `predicate`) was dispatched on `queue`. */
  assertDispatchedOn<J extends Job>(queue: string, cls: JobClass<J>, predicate?: DispatchPredicate<J>): void {
    if (typeof queue !== 'string') {
      throw new TypeError(
        `assertDispatchedOn(queue, Class): expected a queue name first, got ${quote(queue)} (the order is queue, then class).`,
      );
    }
    const all = this.#of(cls, predicate);
    if (all.some((recorded) => recorded.queue === queue)) return;
    const what = predicate ? `${jobNameOf(cls)} matching the predicate` : jobNameOf(cls);
    const queues = [...new Set(all.map((recorded) => JSON.stringify(recorded.queue)))].join(', ');
    this.#fail(
      `Expected ${what} to be dispatched on queue ${JSON.stringify(queue)}, but ` +
        (all.length === 0
          ? `it was not dispatched. ${this.#instead()}`
          : `it was dispatched on ${queues}:\n${this.#describe().jobs(all)}`),
      this.assertDispatchedOn,
    );
  }

  /** Passes when no job of `cls` (matching `predicate`) was dispatched. */
  assertNotDispatched<J extends Job>(cls: JobClass<J>, predicate?: DispatchPredicate<J>): void {
    const matching = this.#of(cls, predicate);
    if (matching.length === 0) return;
    const name = jobNameOf(cls);
    this.#fail(
      predicate
        ? `Expected no ${name} matching the predicate to be dispatched, but ${plural(matching.length, 'was', 'were')}:\n${this.#describe().jobs(matching)}`
        : `Expected ${name} not to be dispatched, but it was dispatched ${timesText(matching.length)}:\n${this.#describe().jobs(matching)}`,
      this.assertNotDispatched,
    );
  }

  /** Passes when no job at all was dispatched (batches and chains included). */
  assertNothingDispatched(): void {
    const jobs = this.#recording.jobs;
    const batches = this.#recording.batches;
    if (jobs.length === 0 && batches.length === 0) return;
    this.#fail(
      jobs.length === 0
        ? `Expected nothing to be dispatched, but ${plural(batches.length, 'empty batch was', 'empty batches were')}:\n${this.#describe().batches(batches)}`
        : `Expected nothing to be dispatched, but ${plural(jobs.length, 'job was', 'jobs were')}:\n${this.#describe().jobs(jobs)}`,
      this.assertNothingDispatched,
    );
  }

  /**
   * Passes when a chain of exactly these links, in this order, was dispatched (standalone or inside a batch).
   * Each item is a class (any job of it), a job (same class, equal payload) or a predicate given the decoded
   * job: `assertChained([CreateAccount, new SendWelcomeEmail('u-1'), (job) => job instanceof Audit])`.
   */
  assertChained(expected: readonly JobExpectation[]): void {
    if (!Array.isArray(expected) || expected.length === 0) {
      throw new ConfigurationError(
        `assertChained: expected a non-empty array of job classes, jobs or predicates, got ${quote(expected)}.`,
      );
    }
    const matchers = expected.map((item) => jobMatcher(item, (cls) => this.#learn(cls)));
    const chains = this.#recording.chains;
    const found = chains.some(
      (chain) =>
        chain.links.length === matchers.length && matchers.every((m, i) => m.matches(chain.links[i]!)),
    );
    if (found) return;
    this.#fail(
      `Expected a chain [${matchers.map((m) => m.description).join(', ')}] to be dispatched, but ` +
        (chains.length === 0
          ? `no chain was. ${this.#instead()}`
          : `${noneOf(chains.length, 'chain')}:\n${this.#describe().chains(chains)}`),
      this.assertChained,
    );
  }

  /**
   * Passes when a batch matching `predicate` was dispatched. The predicate gets the recorded batch: `name`,
   * `queue`, `allowFailures`, `jobs` (decoded members, chain links included), `chains`, `then`/`catch`/`finally`
   * and `has(Class, predicate?)`: `assertBatched((b) => b.name === 'onboarding' && b.has(ImportContacts))`.
   */
  assertBatched(predicate: (batch: RecordedBatch) => boolean): void {
    if (typeof predicate !== 'function') {
      throw new TypeError(`assertBatched: expected a predicate (batch) => boolean, got ${quote(predicate)}.`);
    }
    const batches = this.#recording.batches;
    if (batches.some((batch) => predicate(batch))) return;
    this.#fail(
      'Expected a batch matching the predicate to be dispatched, but ' +
        (batches.length === 0
          ? `no batch was. ${this.#instead()}`
          : `${noneOf(batches.length, 'batch', 'batches')}:\n${this.#describe().batches(batches)}`),
      this.assertBatched,
    );
  }

  /** Passes when exactly `count` batches were dispatched. */
  assertBatchCount(count: number): void {
    if (!Number.isInteger(count) || count < 0) {
      throw new ConfigurationError(`assertBatchCount: expected a whole number >= 0, got ${quote(count)}.`);
    }
    const batches = this.#recording.batches;
    if (batches.length === count) return;
    this.#fail(
      `Expected ${plural(count, 'batch', 'batches')} to be dispatched, but ` +
        (batches.length === 0
          ? 'no batch was.'
          : `${plural(batches.length, 'batch was', 'batches were')}:\n${this.#describe().batches(batches)}`),
      this.assertBatchCount,
    );
  }

  // --- internals -------------------------------------------------------------------------------------------

  #install(conveyor: Conveyor, connection: string | null): void {
    const driver = new FakeDriver({
      inner: conveyor.hasDriver ? conveyor.driver : undefined,
      recording: this.#recording,
      fakes: this.#fakes,
      connection,
    });
    const previousListener = conveyor.onPrepare((job, record) => {
      if (!this.#classes.has(record.name)) this.#classes.set(record.name, job.constructor as JobClass);
    });
    const previous = conveyor.swapDriver(driver);
    this.#installed.push({ conveyor, driver, previous, previousListener });
  }

  #learn(cls: JobClass): void {
    if (!isJobClass(cls)) {
      throw new TypeError(`Expected a job class (class X extends Job), got ${quote(cls)}.`);
    }
    const name = jobNameOf(cls);
    if (!this.#classes.has(name)) this.#classes.set(name, cls);
  }

  #classOf(name: string): JobClass | undefined {
    const registry = this.conveyor.registry;
    return this.#classes.get(name) ?? (registry.has(name) ? registry.resolve(name) : undefined);
  }

  /** The dispatched jobs of `cls` (matching `predicate`). */
  #of<J extends Job>(cls: JobClass<J>, predicate?: DispatchPredicate<J>): RecordedJob<J>[] {
    this.#learn(cls);
    const name = jobNameOf(cls);
    const all = this.#recording.jobs.filter((recorded) => recorded.name === name) as RecordedJob<J>[];
    return predicate ? all.filter((recorded) => predicate(recorded.job, recorded)) : all;
  }

  #describe(): Describer {
    return new Describer(this.#recording.chains, this.#recording.batches);
  }

  /** What was dispatched, for a message about something that was not. */
  #instead(): string {
    const jobs = this.#recording.jobs;
    if (jobs.length === 0) return 'Nothing was dispatched.';
    return `Dispatched instead (${plural(jobs.length, 'job')}):\n${this.#describe().jobs(jobs)}`;
  }

  #fail(message: string, from: Function): never {
    throw new AssertionError({ message, stackStartFn: from });
  }
}

function fakedNames(options: FakeOptions): (name: string) => boolean {
  for (const key of ['only', 'except'] as const) {
    const list = options[key];
    if (list !== undefined && (!Array.isArray(list) || !list.every(isJobClass))) {
      throw new TypeError(`fake({ ${key} }): expected an array of job classes, got ${quote(list)}.`);
    }
  }
  const only = options.only && new Set(options.only.map((cls) => jobNameOf(cls)));
  const except = new Set((options.except ?? []).map((cls) => jobNameOf(cls)));
  return (name) => (only === undefined || only.has(name)) && !except.has(name);
}

/** `the only chain dispatched does not match` / `none of the 2 chains dispatched matches`. */
function noneOf(count: number, word: string, many = `${word}s`): string {
  return count === 1
    ? `the only ${word} dispatched does not match`
    : `none of the ${count} ${many} dispatched matches`;
}

function timesText(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}
