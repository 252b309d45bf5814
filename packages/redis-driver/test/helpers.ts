import { randomUUID } from 'node:crypto';
import type { NewJob } from '@conveyor/core/driver';
import { Redis } from 'ioredis';
import { RedisDriver, type RedisDriverOptions } from '../src/index.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const T0 = 1_767_225_600_000;

/** A random key prefix for one test file. */
export const newPrefix = (): string => `t-${randomUUID()}`;

/** Drivers made by `makeDriver`, purged and closed by `cleanup`. */
const made = new Set<RedisDriver>();

export function makeDriver(prefix: string, options: RedisDriverOptions = {}): RedisDriver {
  const driver = new RedisDriver({ url: REDIS_URL, prefix, ...options });
  made.add(driver);
  return driver;
}

/** Deletes every key of `prefix` and closes every driver this file made. */
export async function cleanup(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  await Promise.all([...made].map((driver) => driver.close()));
  made.clear();
}

export function newJob(fields: Partial<NewJob> = {}): NewJob {
  return {
    id: randomUUID(),
    name: 'SendEmail',
    queue: 'default',
    payload: '{"to":"a@b.c"}',
    options: '{}',
    priority: 2,
    maxAttempts: 3,
    delayMs: 0,
    unique: null,
    batchId: null,
    ...fields,
  };
}

export const reserveAll = (driver: RedisDriver, now: number, queues = ['default'], max = 1_000) =>
  driver.reserve({ queues, max, leaseMs: 30_000, workerId: 'w', token: randomUUID(), now });
