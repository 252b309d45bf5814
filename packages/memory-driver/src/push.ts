import type { NewJob, PushInput, PushOutcome, PushResult } from '@conveyor/core/driver';
import { addMember, createBatch } from './batches.js';
import { startChain } from './chains.js';
import type { Context } from './context.js';
import { enqueue } from './enqueue.js';
import { finalizeBatches } from './follow-ups.js';

/**
 * Throws (before anything is written, so a push is all or nothing) when a job id is already stored or given
 * twice. Ids are core's to make unique; a collision is a fault, not an outcome.
 */
export function assertNewIds(ctx: Context, specs: Iterable<NewJob>, seen = new Set<string>()): void {
  for (const spec of specs) {
    if (ctx.store.jobs.has(spec.id) || seen.has(spec.id)) {
      throw new Error(`MemoryDriver: job id "${spec.id}" is already in use`);
    }
    seen.add(spec.id);
  }
}

function validate(ctx: Context, input: PushInput): void {
  const seen = new Set<string>();
  assertNewIds(ctx, input.jobs ?? [], seen);
  for (const chain of input.chains ?? []) {
    if (chain.links.length === 0) throw new Error(`MemoryDriver: chain "${chain.id}" has no links`);
    if (ctx.chains.has(chain.id)) throw new Error(`MemoryDriver: chain id "${chain.id}" is already in use`);
    assertNewIds(ctx, chain.links, seen);
    assertNewIds(ctx, chain.catch, seen);
  }
  const batch = input.batch;
  if (batch !== undefined) {
    if (ctx.batches.has(batch.id)) throw new Error(`MemoryDriver: batch id "${batch.id}" is already in use`);
    assertNewIds(ctx, [...batch.then, ...batch.catch, ...batch.finally], seen);
  }
}

/**
 * Enqueues jobs and chains; `batchId` (from `addToBatch`) overrides each job's own. A job counts in the
 * batch named by its `batchId` when that batch exists.
 *
 * A member turned away as a duplicate is not stored and does not count in the batch's `total`: `total`
 * counts only members that were stored (and every link of a stored chain), so the batch can still finish.
 * The duplicate's work is done by the job holding the lock, outside the batch. A batch whose members were
 * all duplicates is therefore empty and finishes at once, like any empty batch.
 */
function pushMembers(
  ctx: Context,
  input: Omit<PushInput, 'batch'>,
  batchId: string | undefined,
  now: number,
): PushResult {
  const jobs: PushOutcome[] = [];
  for (const spec of input.jobs ?? []) {
    const memberOf = batchId ?? spec.batchId;
    const outcome = enqueue(ctx, spec, { batchId: memberOf, chainId: null, chainIndex: null }, now);
    const batch = memberOf === null ? undefined : ctx.batches.get(memberOf);
    if (outcome.outcome === 'added' && batch !== undefined) addMember(ctx, batch, spec.id);
    jobs.push(outcome);
  }
  const chains: PushOutcome[] = [];
  for (const chain of input.chains ?? []) chains.push(startChain(ctx, chain, batchId ?? chain.batchId, now));
  return { jobs, chains };
}

/** `Driver.push`: one atomic step; an empty batch crosses `then` and `finally` here. */
export function push(ctx: Context, input: PushInput, now: number): PushResult {
  validate(ctx, input);
  if (input.batch !== undefined) {
    const batch = createBatch(input.batch, now);
    ctx.batches.set(batch.id, batch);
    ctx.touched.add(batch);
  }
  const result = pushMembers(ctx, input, undefined, now);
  finalizeBatches(ctx, now);
  return result;
}

/** `Driver.addToBatch`: null (nothing stored) when the batch is unknown, finished or cancelled. */
export function addToBatch(
  ctx: Context,
  batchId: string,
  input: Omit<PushInput, 'batch'>,
  now: number,
): PushResult | null {
  const batch = ctx.batches.get(batchId);
  if (batch === undefined || batch.finishedAt !== null || batch.cancelledAt !== null) return null;
  validate(ctx, { jobs: input.jobs, chains: input.chains });
  ctx.touched.add(batch);
  const result = pushMembers(ctx, input, batchId, now);
  finalizeBatches(ctx, now);
  return result;
}
