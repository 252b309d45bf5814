/**
 * Where the benchmark runs: the Redis it uses (REDIS_URL, default redis://127.0.0.1:6379) on a database index
 * of its own (BENCH_REDIS_DB, default 13), with a fresh key prefix per run, deleted after the run. The bench never
 * flushes a database: it deletes only keys under its own `bench-` prefixes.
 */
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const BENCH_DB = Number(process.env.BENCH_REDIS_DB ?? 13);
/** Every key the bench writes starts with this. */
export const BENCH_PREFIX = 'bench-';

/** The Redis URL with the bench's database index. */
export function benchUrl(): string {
  const url = new URL(REDIS_URL);
  url.pathname = `/${BENCH_DB}`;
  return url.toString();
}

/** Connection options for BullMQ (which opens and duplicates its own ioredis connections). */
export function bullConnection(): {
  host: string;
  port: number;
  db: number;
  password?: string;
  username?: string;
  maxRetriesPerRequest: null;
} {
  const url = new URL(REDIS_URL);
  const options: ReturnType<typeof bullConnection> = {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 6379),
    db: BENCH_DB,
    maxRetriesPerRequest: null,
  };
  if (url.password) options.password = decodeURIComponent(url.password);
  if (url.username) options.username = decodeURIComponent(url.username);
  return options;
}

/** A plain connection to the bench database (setup, cleanup, stats). */
export function adminClient(): Redis {
  return new Redis(benchUrl(), { maxRetriesPerRequest: 3 });
}

/** Deletes every key whose name starts with `prefix` in the bench database (SCAN + UNLINK). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  if (!prefix.startsWith(BENCH_PREFIX))
    throw new Error(`refusing to delete keys outside ${BENCH_PREFIX}*: ${prefix}`);
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A fresh prefix for one run of one library. */
export function runPrefix(lib: string, scenario: string): string {
  return `${BENCH_PREFIX}${lib}-${scenario}-${process.pid}-${Date.now().toString(36)}`;
}
