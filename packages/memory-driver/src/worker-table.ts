import type { WorkerRecord } from '@conveyor/core/driver';

/**
 * The worker registry: one heartbeat record per worker id. Expiry follows only the `now` callers pass to
 * `list`: a record with `expiresAt <= now` is dropped there, as the Redis driver drops it.
 */
export class WorkerTable {
  private readonly workers = new Map<string, WorkerRecord>();

  save(record: WorkerRecord): void {
    this.workers.set(record.id, { ...record });
  }

  remove(workerId: string): void {
    this.workers.delete(workerId);
  }

  /** Drops the records expired at `now`; returns the others, soonest to expire first (then by id). */
  list(now: number): WorkerRecord[] {
    const live: WorkerRecord[] = [];
    for (const [id, record] of this.workers) {
      if (record.expiresAt <= now) this.workers.delete(id);
      else live.push({ ...record });
    }
    return live.sort((a, b) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
