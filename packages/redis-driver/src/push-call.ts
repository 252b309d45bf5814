import type { NewBatch, NewJob, PushInput, PushOutcome, PushResult } from '@conveyor/core/driver';
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
  const { templateCount, templateArgs, runCount, runArgs } = jobRuns(jobs);
  args.push(runCount, chains.length, templateCount);
  for (const arg of templateArgs) args.push(arg);
  for (const arg of runArgs) args.push(arg);
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

/** A job's template key: the fields jobs of one dispatch usually share (see push.lua). */
function templateKey(job: NewJob): string {
  const unique = job.unique;
  return `${job.name}\u0000${job.queue}\u0000${job.priority}\u0000${job.maxAttempts}\u0000${job.delayMs}\u0000${unique?.ttlMs ?? ''}\u0000${unique?.until ?? ''}\u0000${job.batchId ?? ''}\u0000${job.options}`;
}

/** True when `b` has the template of `a` (compared field by field: no key built). */
function sameTemplate(a: NewJob, b: NewJob): boolean {
  return (
    a.options === b.options &&
    a.name === b.name &&
    a.queue === b.queue &&
    a.priority === b.priority &&
    a.maxAttempts === b.maxAttempts &&
    a.delayMs === b.delayMs &&
    a.batchId === b.batchId &&
    (a.unique?.ttlMs ?? '') === (b.unique?.ttlMs ?? '') &&
    (a.unique?.until ?? '') === (b.unique?.until ?? '')
  );
}

/**
 * The jobs as templates (what they share, once) and runs of consecutive jobs of one template (see push.lua):
 * a run of jobs without a unique key sends its ids concatenated when they have one length and are ASCII (UUIDs
 * are) and its payloads joined; so a 10,000-job batch is a few arguments instead of 40,000.
 */
function jobRuns(jobs: readonly NewJob[]): {
  templateCount: number;
  templateArgs: ScriptArg[];
  runCount: number;
  runArgs: ScriptArg[];
} {
  const templates = new Map<string, number>();
  const templateArgs: ScriptArg[] = [];
  const runArgs: ScriptArg[] = [];
  let runCount = 0;
  let start = 0;
  while (start < jobs.length) {
    const head = jobs[start]!;
    const unique = head.unique !== null;
    const idLength = head.id.length;
    let end = start + 1;
    while (end < jobs.length) {
      const job = jobs[end]!;
      if ((job.unique !== null) !== unique || !sameTemplate(head, job)) break;
      if (!unique && job.id.length !== idLength) break;
      end++;
    }
    const key = templateKey(head);
    let template = templates.get(key);
    if (template === undefined) {
      template = templates.size + 1;
      templates.set(key, template);
      templateArgs.push(
        head.name,
        head.queue,
        head.options,
        head.priority,
        head.maxAttempts,
        head.delayMs,
        head.unique?.ttlMs ?? '',
        head.unique?.until ?? '',
        head.batchId ?? '',
      );
    }
    const n = end - start;
    runCount++;
    if (unique) {
      runArgs.push('u', template, n);
      for (let i = start; i < end; i++) {
        const job = jobs[i]!;
        runArgs.push(job.id, job.payload, job.unique!.key);
      }
    } else {
      const ids = new Array<string>(n);
      const payloads = new Array<string>(n + 1);
      let newline = false;
      for (let i = start; i < end; i++) {
        const job = jobs[i]!;
        ids[i - start] = job.id;
        payloads[i - start] = job.payload;
        if (!newline && job.payload.includes('\n')) newline = true;
      }
      const joinedIds = ids.join('');
      // equal lengths in UTF-16 units and in bytes: every id is ASCII, so Lua can cut them by byte offsets
      if (idLength > 0 && Buffer.byteLength(joinedIds) === n * idLength) {
        runArgs.push('f', template, n, idLength, joinedIds);
      } else {
        runArgs.push('i', template, n);
        for (const id of ids) runArgs.push(id);
      }
      // one argument for all the payloads, each followed by a newline, unless one holds a newline (JSON text
      // never does: it escapes them)
      if (newline) {
        runArgs.push('a');
        for (let i = 0; i < n; i++) runArgs.push(payloads[i]!);
      } else {
        payloads[n] = '';
        runArgs.push('j', payloads.join('\n'));
      }
    }
    start = end;
  }
  return { templateCount: templates.size, templateArgs, runCount, runArgs };
}
