import type { NewBatch, PushInput, PushOutcome, PushResult } from '@conveyor/core/driver';
import { jobArgs, jobJson } from './codec.js';
import type { Keys } from './keys.js';
import type { ScriptArg, ScriptCall } from './scripts.js';

/** Builds the `push` script call (see push.lua for the argument layout). */
export function pushCall(
  keys: Keys,
  input: Omit<PushInput, 'batch'>,
  now: number,
  batch: { mode: 'create'; record: NewBatch } | { mode: 'add'; id: string } | null,
): ScriptCall {
  const jobs = input.jobs ?? [];
  const chains = input.chains ?? [];
  const slots = new Set<string>();
  for (const job of jobs) slots.add(keys.queue(job.queue, 'seq'));
  for (const chain of chains) if (chain.links[0]) slots.add(keys.queue(chain.links[0].queue, 'seq'));

  const args: ScriptArg[] = [now];
  if (batch?.mode === 'create') {
    const b = batch.record;
    slots.add(keys.batch(b.id));
    args.push(
      'create',
      b.id,
      b.allowFailures ? '1' : '0',
      b.options,
      JSON.stringify(b.then),
      JSON.stringify(b.catch),
      JSON.stringify(b.finally),
    );
  } else if (batch?.mode === 'add') {
    slots.add(keys.batch(batch.id));
    args.push('add', batch.id, '', '', '', '', '');
  } else {
    args.push('', '', '', '', '', '', '');
  }
  args.push(jobs.length, chains.length);
  for (const job of jobs) jobArgs(job, args);
  for (const chain of chains) {
    if (chain.links.length === 0) throw new TypeError(`redis driver: chain ${chain.id} has no links`);
    args.push(chain.id, chain.options, chain.batchId ?? '', JSON.stringify(chain.catch), chain.links.length);
    for (const link of chain.links) args.push(jobJson(link));
  }
  return { name: 'push', keys: [...slots], args };
}

/** The script's flat reply to outcomes; null when an `add` was refused. */
export function parsePushReply(reply: unknown, input: Omit<PushInput, 'batch'>): PushResult | null {
  const flat = reply as Array<string | number>;
  if (flat[0] !== 1) return null;
  const outcome = (i: number): PushOutcome => ({
    outcome: flat[2 + 2 * i] === 1 ? 'added' : 'duplicate',
    id: String(flat[1 + 2 * i]),
  });
  const jobCount = input.jobs?.length ?? 0;
  return {
    jobs: Array.from({ length: jobCount }, (_, i) => outcome(i)),
    chains: Array.from({ length: input.chains?.length ?? 0 }, (_, i) => outcome(jobCount + i)),
  };
}
