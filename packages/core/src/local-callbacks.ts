/**
 * Function callbacks (`.then(fn)`, `.catch(fn)`, `.finally(fn)`, `.progress(fn)` on a batch; `.catch(fn)` on a
 * chain): an in-process convenience. They run in the process that dispatched, driven by the driver's events,
 * only while that process (and its conveyor) lives. They are not stored: a process that exits or crashes
 * before the batch or chain finishes never runs them, and no other process ever will. For callbacks that must
 * run, pass a job instead; job callbacks are stored with the batch or chain and enqueued by the driver in the
 * same atomic step that crosses their threshold.
 */
import { type BatchState, toBatchState } from './batch-state.js';
import { type ChainInfo, toChainInfo } from './chain-handle.js';
import type { Conveyor } from './conveyor.js';
import type { ChainRecord, DriverEvent } from './driver.js';
import { type DriverWatch, watchDriver } from './wait-until.js';

/** A batch callback function; `catch` also gets the first failure's error. */
export type BatchCallbackFunction = (batch: BatchState, error?: Error) => unknown;
/** A chain `catch` function: the chain as it ended and the failed link's error. */
export type ChainCatchFunction = (chain: ChainInfo, error: Error) => unknown;

export interface BatchFunctions {
  then: BatchCallbackFunction[];
  catch: BatchCallbackFunction[];
  finally: BatchCallbackFunction[];
  progress: BatchCallbackFunction[];
}

export function hasBatchFunctions(fns: BatchFunctions): boolean {
  return fns.then.length + fns.catch.length + fns.finally.length + fns.progress.length > 0;
}

/** The last recorded error of a job as an `Error` (name and message kept), or a generic one. */
async function lastErrorOf(conveyor: Conveyor, jobId: string | undefined): Promise<Error> {
  const record = jobId === undefined ? null : await conveyor.driver.get(jobId);
  const last = record?.errors.at(-1);
  const error = new Error(last ? last.message : `Job ${jobId ?? '(unknown)'} failed.`);
  if (last) {
    error.name = last.name;
    if (last.stack) error.stack = last.stack;
  }
  return error;
}

async function runAll<A extends unknown[]>(
  conveyor: Conveyor,
  fns: Array<(...args: A) => unknown>,
  args: A,
): Promise<void> {
  for (const fn of fns) {
    try {
      await fn(...args);
    } catch (error) {
      conveyor.emit('error', error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/**
 * Starts watching a batch for its function callbacks; call before pushing the batch, then `poke()` after.
 * `progress` functions run after each change of the counts; `then`, `catch` and `finally` once each, when the
 * driver reports the threshold crossed. Watching stops once `finally` has run.
 */
export function watchBatchFunctions(
  conveyor: Conveyor,
  batchId: string,
  fns: BatchFunctions,
): Promise<DriverWatch> {
  const ran = new Set<'then' | 'catch' | 'finally'>();
  let lastCounts = '';
  return watchDriver(
    conveyor,
    (event: DriverEvent) => event.type === 'batch' && event.batchId === batchId,
    async () => {
      const record = await conveyor.driver.getBatch(batchId);
      if (!record) return false;
      const state = toBatchState(record);
      const counts = `${state.total}/${state.processed}/${state.failed}/${state.cancelled}`;
      if (counts !== lastCounts) {
        lastCounts = counts;
        await runAll(conveyor, fns.progress, [state]);
      }
      if (record.catchFired && !ran.has('catch')) {
        ran.add('catch');
        if (fns.catch.length > 0) {
          await runAll(conveyor, fns.catch, [state, await lastErrorOf(conveyor, record.failedJobIds[0])]);
        }
      }
      if (record.thenFired && !ran.has('then')) {
        ran.add('then');
        await runAll(conveyor, fns.then, [state]);
      }
      if (record.finallyFired && !ran.has('finally')) {
        ran.add('finally');
        await runAll(conveyor, fns.finally, [state]);
      }
      return ran.has('finally');
    },
    (error) => conveyor.emit('error', error instanceof Error ? error : new Error(String(error))),
  );
}

/** The failed link of a failed chain: the one at `position`, else the first link found `failed`. */
async function failedLinkOf(conveyor: Conveyor, record: ChainRecord): Promise<string | undefined> {
  const atPosition = record.jobIds[record.position];
  if (atPosition !== undefined && (await conveyor.driver.get(atPosition))?.state === 'failed')
    return atPosition;
  for (const id of record.jobIds) {
    if ((await conveyor.driver.get(id))?.state === 'failed') return id;
  }
  return atPosition;
}

/**
 * Starts watching a chain for its `catch` functions; call before pushing the chain, then `poke()` after. They
 * run once if the chain fails; watching stops when the chain is over.
 */
export function watchChainFunctions(
  conveyor: Conveyor,
  chainId: string,
  fns: ChainCatchFunction[],
): Promise<DriverWatch> {
  let links = new Set<string>();
  let reading = false;
  return watchDriver(
    conveyor,
    (event) =>
      event.type === 'job' &&
      (reading || links.has(event.jobId)) &&
      (event.state === 'completed' || event.state === 'failed' || event.state === 'cancelled'),
    async () => {
      reading = true;
      let record: ChainRecord | null;
      try {
        record = await conveyor.driver.getChain(chainId);
      } finally {
        reading = false;
      }
      if (!record) return false;
      links = new Set(record.jobIds);
      if (record.state === 'running') return false;
      if (record.state === 'failed') {
        const error = await lastErrorOf(conveyor, await failedLinkOf(conveyor, record));
        await runAll(conveyor, fns, [toChainInfo(record), error]);
      }
      return true;
    },
    (error) => conveyor.emit('error', error instanceof Error ? error : new Error(String(error))),
  );
}
