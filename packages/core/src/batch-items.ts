import type { Conveyor } from './conveyor.js';
import type { NewChain, NewJob, PushInput, PushResult } from './driver.js';
import { ConfigurationError, quote } from './errors.js';
import { Job } from './job.js';
import { assertChainLinks, assertJobAt } from './job-items.js';
import { type ChainCatchFunction, watchChainFunctions } from './local-callbacks.js';
import { PendingChain } from './pending-chain.js';
import type { DriverWatch } from './wait-until.js';

/**
 * One item of a batch: a job, an array of jobs (a chain inside the batch: each link counts as a member and
 * runs after the previous one completed), or a chain builder (`Chain.of([...]).catch(...)`).
 */
export type BatchItem = Job | readonly Job[] | PendingChain;

/** Checks the items given to `Batch.of()` or `add()`: an array of jobs, job arrays and chains. */
export function assertBatchItems(items: unknown, call: string): asserts items is readonly BatchItem[] {
  if (!Array.isArray(items)) {
    throw new TypeError(
      `${call} expects an array of jobs (and arrays of jobs for chains), got ${quote(items)}.`,
    );
  }
  items.forEach((item, index) => {
    if (Array.isArray(item)) {
      assertChainLinks(item, `${call} item [${index}] (a chain)`);
    } else if (item instanceof PendingChain) {
      if (item.connection !== undefined) {
        throw new ConfigurationError(
          `${call} item [${index}]: a chain inside a batch goes through the batch's connection; ` +
            `remove .onConnection(${quote(item.connection)}) from the chain and call it on the batch.`,
        );
      }
    } else if (!(item instanceof Job)) {
      assertJobAt(item, call, `item [${index}]`);
    }
  });
}

/** A batch's members in stored form, with the in-process `catch` functions of its chains. */
export interface BuiltMembers {
  input: Required<Omit<PushInput, 'batch'>>;
  chainFunctions: Array<{ chainId: string; catchFunctions: ChainCatchFunction[] }>;
}

export function buildBatchMembers(
  conveyor: Conveyor,
  items: readonly BatchItem[],
  batchId: string,
  queue: string | undefined,
): BuiltMembers {
  const jobs: NewJob[] = [];
  const chains: NewChain[] = [];
  const chainFunctions: BuiltMembers['chainFunctions'] = [];
  for (const item of items) {
    if (item instanceof Job) {
      jobs.push(conveyor.prepare(item, queue === undefined ? {} : { queue }, batchId));
      continue;
    }
    const pending = item instanceof PendingChain ? item : new PendingChain(conveyor, item);
    const { chain, catchFunctions } = pending.build(conveyor, batchId, queue);
    chains.push(chain);
    if (catchFunctions.length > 0) chainFunctions.push({ chainId: chain.id, catchFunctions });
  }
  return { input: { jobs, chains }, chainFunctions };
}

/**
 * Pushes members (with `push`, which may also create the batch), with the chains' `catch` functions watched
 * from before the push, and emits `dispatched` for each job that was stored and each chain's first link.
 * Returns the driver's result, or null when `push` returned null (a closed batch).
 */
export async function pushMembers(
  conveyor: Conveyor,
  members: BuiltMembers,
  push: () => Promise<PushResult | null>,
): Promise<PushResult | null> {
  const watches: DriverWatch[] = [];
  for (const { chainId, catchFunctions } of members.chainFunctions) {
    watches.push(await watchChainFunctions(conveyor, chainId, catchFunctions));
  }
  let result: PushResult | null;
  try {
    result = await push();
  } catch (error) {
    for (const watch of watches) watch.stop();
    throw error;
  }
  if (!result) {
    for (const watch of watches) watch.stop();
    return null;
  }
  for (const watch of watches) void watch.poke();
  const { jobs, chains } = members.input;
  if (conveyor.listenerCount('dispatched') === 0 && conveyor.listenerCount('duplicate') === 0) {
    countStored(conveyor, jobs, chains, result);
    return result;
  }
  result.jobs.forEach((outcome, index) => {
    const job = jobs[index]!;
    if (outcome.outcome === 'added')
      conveyor.emit('dispatched', { id: job.id, name: job.name, queue: job.queue, attempt: 0 });
    else conveyor.emitDuplicate(job, outcome.id);
  });
  result.chains.forEach((outcome, index) => {
    const first = chains[index]!.links[0]!;
    if (outcome.outcome === 'added')
      conveyor.emit('dispatched', { id: first.id, name: first.name, queue: first.queue, attempt: 0 });
    else conveyor.emitDuplicate(first, outcome.id);
  });
  return result;
}

/** Counts the stored jobs (and each chain's first link) as submitted, when no `dispatched` event does it. */
function countStored(conveyor: Conveyor, jobs: NewJob[], chains: NewChain[], result: PushResult): void {
  if (!conveyor.metricsRecorder) return;
  const stored: NewJob[] = [];
  for (const [index, outcome] of result.jobs.entries())
    if (outcome.outcome === 'added') stored.push(jobs[index]!);
  for (const [index, outcome] of result.chains.entries()) {
    if (outcome.outcome === 'added') stored.push(chains[index]!.links[0]!);
  }
  conveyor.countDispatched(stored);
}
