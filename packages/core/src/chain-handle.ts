import type { Conveyor } from './conveyor.js';
import type { ChainRecord, ChainState } from './driver.js';
import { type Duration, toMs } from './duration.js';
import { ConfigurationError, quote, WaitTimeoutError } from './errors.js';
import { decodeGroupOptions } from './group-options.js';
import { JobHandle } from './handle.js';
import { waitUntil } from './wait-until.js';

/** A chain as stored: its state and its links in order. */
export interface ChainInfo {
  id: string;
  /** The name given with `.name()`, or null. */
  name: string | null;
  /** `running` until the last link completes (`completed`), a link fails (`failed`) or is cancelled. */
  state: ChainState;
  /** Every link's job id, in order (including links added by `ctx.chain.append/prepend`). */
  jobIds: string[];
  /** Index of the link running or next to run; once the chain is over, the last link that ran. */
  position: number;
  /** The batch the chain belongs to, or null. */
  batchId: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export function toChainInfo(record: ChainRecord): ChainInfo {
  return {
    id: record.id,
    name: decodeGroupOptions(record.options).name ?? null,
    state: record.state,
    jobIds: record.jobIds,
    position: record.position,
    batchId: record.batchId,
    createdAt: record.createdAt,
    finishedAt: record.finishedAt,
  };
}

/** A reference to a dispatched chain (from `Chain.of(...).dispatch()`, `.chain([...])` or `Chain.find(id)`). */
export class ChainHandle {
  readonly id: string;
  /**
   * True when the first link's uniqueness lock was held by another job: nothing of the chain was stored (the
   * chain is unknown to the driver) and `duplicateOf` is the holder's job id.
   */
  readonly duplicate: boolean;
  readonly duplicateOf: string | null;
  readonly #conveyor: Conveyor;

  constructor(conveyor: Conveyor, id: string, duplicateOf: string | null = null) {
    this.#conveyor = conveyor;
    this.id = id;
    this.duplicate = duplicateOf !== null;
    this.duplicateOf = duplicateOf;
  }

  /** The chain's stored record, or null if the driver does not know it. */
  record(): Promise<ChainRecord | null> {
    return this.#conveyor.driver.getChain(this.id);
  }

  /** The chain decoded (state, name, link ids, position), or null. */
  async info(): Promise<ChainInfo | null> {
    const record = await this.record();
    return record ? toChainInfo(record) : null;
  }

  /** `running`, `completed`, `failed` or `cancelled`; null for an unknown chain. */
  async status(): Promise<ChainState | null> {
    return (await this.record())?.state ?? null;
  }

  /**
   * A handle for every link, in order. Links that have not run yet are already stored by the driver; after a
   * failure, the links that never ran are `cancelled`.
   */
  async jobs(): Promise<JobHandle[]> {
    const record = await this.record();
    return (record?.jobIds ?? []).map((id) => new JobHandle(this.#conveyor, id));
  }

  /**
   * Waits until the chain is over and returns it. Resolves (does not reject) for a `failed` or `cancelled`
   * chain: check `state`. Rejects with `WaitTimeoutError` after `timeout` (default: no limit). Follows the
   * driver's job events, so it needs no polling and works across processes.
   */
  async wait(options: { timeout?: Duration } = {}): Promise<ChainInfo> {
    const timeoutMs = options.timeout === undefined ? undefined : toMs(options.timeout, 'wait timeout');
    // Job events of the chain's links wake the wait; while a read is in flight every job event does, so a
    // link appended after the last read cannot slip through.
    let links = new Set<string>();
    let reading = false;
    const info = await waitUntil(
      this.#conveyor,
      (event) => event.type === 'job' && (reading || links.has(event.jobId)),
      async () => {
        reading = true;
        try {
          const record = await this.record();
          if (!record)
            throw new ConfigurationError(`Cannot wait for chain ${quote(this.id)}: no such chain.`);
          links = new Set(record.jobIds);
          return record.state === 'running' ? undefined : toChainInfo(record);
        } finally {
          reading = false;
        }
      },
      timeoutMs,
    );
    if (!info) throw new WaitTimeoutError(`Chain ${this.id} did not finish within ${timeoutMs} ms.`);
    return info;
  }
}
