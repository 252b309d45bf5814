import type { Redis } from 'ioredis';
import type { JobLocator } from './job-locator.js';
import type { Keys } from './keys.js';
import type { Scripts } from './scripts.js';

/** What the driver's parts share: the command connection, the key layout, the scripts and the job locator. */
export interface DriverContext {
  redis: Redis;
  keys: Keys;
  scripts: Scripts;
  locator: JobLocator;
}

/** Groups ids by the queue the locator found for them (ids not found are left out). */
export function byQueue(ids: string[], located: Map<string, string>): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const queue = located.get(id);
    if (queue === undefined) continue;
    const group = groups.get(queue);
    if (group) group.push(id);
    else groups.set(queue, [id]);
  }
  return groups;
}
