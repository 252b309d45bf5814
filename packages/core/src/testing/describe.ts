import { inspect } from 'node:util';
import type { RecordedBatch, RecordedChain, RecordedJob } from './recorded.js';

/** Longest payload summary in a failure message. */
const MAX_PAYLOAD_CHARS = 120;
/** Most items a failure message lists (then "... and N more"). */
const MAX_LISTED = 20;

/**
 * Failure-message text for what the fake recorded: each job as its name, queue, payload summary and where it
 * came from (`SendEmail on "emails" { to: 'a@b.c' } · link 2/2 of a chain`).
 */
export class Describer {
  readonly #chains: ReadonlyMap<string, RecordedChain>;
  readonly #batches: ReadonlyMap<string, RecordedBatch>;

  constructor(chains: readonly RecordedChain[], batches: readonly RecordedBatch[]) {
    this.#chains = new Map(chains.map((chain) => [chain.id, chain]));
    this.#batches = new Map(batches.map((batch) => [batch.id, batch]));
  }

  job(job: RecordedJob): string {
    const notes: string[] = [];
    if (job.delayMs > 0) notes.push(`delayed ${formatDuration(job.delayMs)}`);
    if (job.chainId !== null) {
      const chain = this.#chains.get(job.chainId);
      notes.push(
        job.chainIndex === null || !chain
          ? 'added to a chain'
          : `link ${job.chainIndex + 1}/${chain.links.length} of a chain`,
      );
    }
    if (job.batchId !== null) notes.push(`in ${this.#batchName(job.batchId)}`);
    if (job.connection !== null) notes.push(`on connection ${JSON.stringify(job.connection)}`);
    return `${job.name} on ${JSON.stringify(job.queue)} ${summarize(job.data)}${notes.length ? ` · ${notes.join(', ')}` : ''}`;
  }

  /** A numbered list, one job per line, indented. */
  jobs(jobs: readonly RecordedJob[]): string {
    return list(jobs.map((job) => this.job(job)));
  }

  chain(chain: RecordedChain): string {
    const queue = chain.queue === null ? '' : ` on ${JSON.stringify(chain.queue)}`;
    const where = chain.batchId === null ? '' : ` · in ${this.#batchName(chain.batchId)}`;
    const name = chain.name === null ? '' : `${JSON.stringify(chain.name)} `;
    return `${name}[${chain.links.map((link) => `${link.name} ${summarize(link.data)}`).join(', ')}]${queue}${where}`;
  }

  chains(chains: readonly RecordedChain[]): string {
    return list(chains.map((chain) => this.chain(chain)));
  }

  batch(batch: RecordedBatch): string {
    const name = batch.name === null ? 'unnamed batch' : `batch ${JSON.stringify(batch.name)}`;
    const inChains = new Set(batch.chains.flatMap((chain) => chain.links.map((link) => link.id)));
    const items = [
      ...batch.members.filter((m) => !inChains.has(m.id)).map((m) => m.name),
      ...batch.chains.map((chain) => `[${chain.links.map((link) => link.name).join(' → ')}]`),
    ];
    const count = batch.members.length;
    const callbacks = (['then', 'catch', 'finally'] as const)
      .filter((on) => batch[on].length > 0)
      .map((on) => `${on}: ${batch[on].map((job) => job.name).join(', ')}`);
    const options = [
      ...(batch.queue === null ? [] : [`on ${JSON.stringify(batch.queue)}`]),
      ...(batch.allowFailures ? ['allowFailures'] : []),
      ...callbacks,
    ];
    const content = count === 0 ? 'with no jobs' : `with ${plural(count, 'job')}: ${items.join(', ')}`;
    return `${name} ${content}${options.length ? ` · ${options.join(', ')}` : ''}`;
  }

  batches(batches: readonly RecordedBatch[]): string {
    return list(batches.map((batch) => this.batch(batch)));
  }

  #batchName(batchId: string): string {
    const name = this.#batches.get(batchId)?.name ?? null;
    return name === null ? 'a batch' : `batch ${JSON.stringify(name)}`;
  }
}

/** The payload, printed compactly on one line and cut at `MAX_PAYLOAD_CHARS`. */
export function summarize(data: unknown): string {
  const text = inspect(data, {
    depth: 3,
    breakLength: Number.POSITIVE_INFINITY,
    compact: true,
    maxArrayLength: 10,
    maxStringLength: 80,
    sorted: false,
  });
  return text.length > MAX_PAYLOAD_CHARS ? `${text.slice(0, MAX_PAYLOAD_CHARS - 1)}…` : text;
}

/** `3d`, `5m`, `90s`, `1500ms`: the largest unit that divides it. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** `n job(s)`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

function list(lines: string[]): string {
  const shown = lines.slice(0, MAX_LISTED).map((line, i) => `  ${i + 1}. ${line}`);
  if (lines.length > MAX_LISTED) shown.push(`  ... and ${lines.length - MAX_LISTED} more`);
  return shown.join('\n');
}
