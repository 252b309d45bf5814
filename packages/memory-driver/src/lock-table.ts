interface Lock {
  owner: string;
  /** Null: never expires. */
  expiresAt: number | null;
}

/**
 * Owner-checked locks with an optional TTL. Time comes only from the `now` the caller passes; an expired lock
 * is treated as free and dropped when next looked at.
 */
export class LockTable {
  private readonly locks = new Map<string, Lock>();

  /** The live owner of `key`, or null when it is free or expired. */
  holder(key: string, now: number): string | null {
    const lock = this.locks.get(key);
    if (lock === undefined) return null;
    if (lock.expiresAt !== null && lock.expiresAt <= now) {
      this.locks.delete(key);
      return null;
    }
    return lock.owner;
  }

  /**
   * Takes `key` for `owner` when free or expired. The current owner taking it again succeeds and renews the
   * TTL (so a job re-run after a crash can take back its own lock).
   */
  acquire(key: string, owner: string, ttlMs: number | null, now: number): boolean {
    const holder = this.holder(key, now);
    if (holder !== null && holder !== owner) return false;
    this.locks.set(key, { owner, expiresAt: ttlMs === null ? null : now + ttlMs });
    return true;
  }

  /** Releases `key` only if `owner` holds it. */
  release(key: string, owner: string): boolean {
    const lock = this.locks.get(key);
    if (lock === undefined || lock.owner !== owner) return false;
    this.locks.delete(key);
    return true;
  }
}
