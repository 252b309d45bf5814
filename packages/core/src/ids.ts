import { randomUUID } from 'node:crypto';

/** Job, batch and chain ids, and lease tokens: random UUIDs (core makes every id; drivers make none). */
export function newId(): string {
  return randomUUID();
}
