import type { ChainRecord, ChainState, NewChain, NewJob, PushOutcome } from '@conveyor/core/driver';
import { addMember, countOutcome } from './batches.js';
import type { Context } from './context.js';
import { enqueue, storeCancelled } from './enqueue.js';
import { cloneSpec, placementOf, type StoredJob } from './stored-job.js';

/** A chain as the driver keeps it: every link's spec, enqueued or not, and the `catch` callbacks. */
export interface StoredChain {
  id: string;
  state: ChainState;
  links: NewJob[];
  jobIds: string[];
  /** Index of the link running or next to run (the last one run once the chain is over). */
  position: number;
  batchId: string | null;
  options: string;
  createdAt: number;
  finishedAt: number | null;
  catchJobs: NewJob[];
}

export function chainRecord(chain: StoredChain): ChainRecord {
  return {
    id: chain.id,
    state: chain.state,
    jobIds: [...chain.jobIds],
    position: chain.position,
    batchId: chain.batchId,
    options: chain.options,
    createdAt: chain.createdAt,
    finishedAt: chain.finishedAt,
  };
}

/**
 * Enqueues a chain's first link and keeps the rest. Its links belong to `batchId` (the chain's batch wins
 * over each link's own `batchId`, so the records always match the counts). When the first link is a
 * duplicate (its unique key is held), nothing of the chain is stored and none of its links is counted.
 */
export function startChain(ctx: Context, spec: NewChain, batchId: string | null, now: number): PushOutcome {
  const links = spec.links.map(cloneSpec);
  const first = links[0]!;
  const outcome = enqueue(ctx, first, { batchId, chainId: spec.id, chainIndex: 0 }, now);
  if (outcome.outcome === 'duplicate') return outcome;
  ctx.chains.set(spec.id, {
    id: spec.id,
    state: 'running',
    links,
    jobIds: links.map((link) => link.id),
    position: 0,
    batchId,
    options: spec.options,
    createdAt: now,
    finishedAt: null,
    catchJobs: spec.catch.map(cloneSpec),
  });
  const batch = batchId === null ? undefined : ctx.batches.get(batchId);
  if (batch !== undefined) addMember(ctx, batch, first.id, links.length);
  return outcome;
}

function end(chain: StoredChain, state: ChainState, now: number): void {
  chain.state = state;
  chain.finishedAt = now;
}

/** Stores links `from`.. as cancelled jobs and counts each in the chain's batch. */
function cancelLinks(ctx: Context, chain: StoredChain, from: number, now: number): void {
  const batch = chain.batchId === null ? undefined : ctx.batches.get(chain.batchId);
  for (let index = from; index < chain.links.length; index += 1) {
    const link = chain.links[index]!;
    storeCancelled(ctx, link, { batchId: chain.batchId, chainId: chain.id, chainIndex: index }, now);
    if (batch !== undefined) {
      batch.members.add(link.id);
      countOutcome(ctx, batch.id, link.id, 'cancelled');
    }
  }
}

/**
 * The chain follow-up of a link that just finished (its state is completed, failed or cancelled). Completed:
 * the next link is enqueued (due at now + its delayMs), or the chain completes after its last link. But when
 * the chain's batch was cancelled, or the next link's unique key is held by another job (a chain cannot
 * continue past a link that never runs), the next and later links are stored as cancelled and the chain
 * ends `cancelled`. Failed: later links cancelled, `catch` enqueued, chain `failed`. Cancelled: later links
 * cancelled, chain `cancelled`. Does nothing for a link that is not the chain's current one (for example a
 * failed link of an already failed chain that `retryFailed` ran again).
 */
export function advanceChain(ctx: Context, job: StoredJob, now: number): void {
  const chain = job.chainId === null ? undefined : ctx.chains.get(job.chainId);
  if (chain === undefined || chain.state !== 'running' || chain.jobIds[chain.position] !== job.id) return;
  const next = chain.position + 1;
  if (job.state === 'failed') {
    cancelLinks(ctx, chain, next, now);
    end(chain, 'failed', now);
    for (const callback of chain.catchJobs) enqueue(ctx, callback, placementOf(callback), now);
    return;
  }
  if (job.state !== 'completed') {
    cancelLinks(ctx, chain, next, now);
    end(chain, 'cancelled', now);
    return;
  }
  if (next >= chain.links.length) {
    end(chain, 'completed', now);
    return;
  }
  const batch = chain.batchId === null ? undefined : ctx.batches.get(chain.batchId);
  if (batch === undefined || batch.cancelledAt === null) {
    const link = chain.links[next]!;
    const outcome = enqueue(ctx, link, { batchId: chain.batchId, chainId: chain.id, chainIndex: next }, now);
    if (outcome.outcome === 'added') {
      chain.position = next;
      batch?.members.add(link.id);
      return;
    }
  }
  cancelLinks(ctx, chain, next, now);
  end(chain, 'cancelled', now);
}

/**
 * Adds links after the last one (`append`) or right after the current one (`prepend`), counting them in the
 * chain's batch total. False when the chain is unknown or not running.
 */
export function extendChain(
  ctx: Context,
  chainId: string,
  links: NewJob[],
  position: 'append' | 'prepend',
): boolean {
  const chain = ctx.chains.get(chainId);
  if (chain === undefined || chain.state !== 'running') return false;
  const added = links.map(cloneSpec);
  const at = position === 'append' ? chain.links.length : chain.position + 1;
  chain.links = [...chain.links.slice(0, at), ...added, ...chain.links.slice(at)];
  chain.jobIds = chain.links.map((link) => link.id);
  const batch = chain.batchId === null ? undefined : ctx.batches.get(chain.batchId);
  if (batch !== undefined && added.length > 0) {
    batch.total += added.length;
    ctx.touched.add(batch);
  }
  return true;
}
