import type { NewBatch, PushInput, PushOutcome, PushResult } from '@conveyor/core/driver';
import { jobJson } from './codec.js';
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
  // What jobs of one dispatch share (name, queue, options...) goes once, as a template; each job sends 4 fields.
  const templates = new Map<string, number>();
  const templateArgs: ScriptArg[] = [];
  const jobArgs: ScriptArg[] = [];
  for (const job of jobs) {
    const unique = job.unique;
    const ttl = unique?.ttlMs ?? '';
    const until = unique?.until ?? '';
    const batchId = job.batchId ?? '';
    const key = `${job.name}\u0000${job.queue}\u0000${job.priority}\u0000${job.maxAttempts}\u0000${job.delayMs}\u0000${ttl}\u0000${until}\u0000${batchId}\u0000${job.options}`;
    let template = templates.get(key);
    if (template === undefined) {
      template = templates.size + 1;
      templates.set(key, template);
      templateArgs.push(
        job.name,
        job.queue,
        job.options,
        job.priority,
        job.maxAttempts,
        job.delayMs,
        ttl,
        until,
        batchId,
      );
    }
    jobArgs.push(job.id, job.payload, template, unique?.key ?? '');
  }
  args.push(jobs.length, chains.length, templates.size);
  for (const arg of templateArgs) args.push(arg);
  for (const arg of jobArgs) args.push(arg);
  for (const chain of chains) {
    if (chain.links.length === 0) throw new TypeError(`redis driver: chain ${chain.id} has no links`);
    args.push(chain.id, chain.options, chain.batchId ?? '', JSON.stringify(chain.catch), chain.links.length);
    for (const link of chain.links) args.push(jobJson(link));
  }
  return { name: 'push', keys: [...slots], args };
}

/** The script's reply (the items a uniqueness lock turned away) to outcomes; null when an `add` was refused. */
export function parsePushReply(reply: unknown, input: Omit<PushInput, 'batch'>): PushResult | null {
  const flat = reply as Array<string | number>;
  if (flat[0] !== 1) return null;
  const jobs: PushOutcome[] = (input.jobs ?? []).map((job) => ({ outcome: 'added', id: job.id }));
  const chains: PushOutcome[] = (input.chains ?? []).map((chain) => ({
    outcome: 'added',
    id: chain.links[0]?.id ?? chain.id,
  }));
  for (let i = 1; i + 1 < flat.length; i += 2) {
    const position = Number(flat[i]);
    const duplicate: PushOutcome = { outcome: 'duplicate', id: String(flat[i + 1]) };
    if (position < jobs.length) jobs[position] = duplicate;
    else chains[position - jobs.length] = duplicate;
  }
  return { jobs, chains };
}
