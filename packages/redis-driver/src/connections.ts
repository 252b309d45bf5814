import { Redis, type RedisOptions } from 'ioredis';

/**
 * Options for connections the driver creates (merged under the caller's `redisOptions`):
 * - `maxRetriesPerRequest: 3` and `connectTimeout: 2000`: with Redis unreachable a call rejects after about a
 *   second instead of hanging (ioredis' default is 20 retries);
 * - `retryStrategy`: reconnect forever with backoff (100 ms doubling to 2 s), so workers recover by themselves;
 * - `commandTimeout: 5000`: a server that accepts connections but never answers (a stuck proxy, a frozen
 *   Redis) rejects a call after 5 s instead of hanging it forever (set on the main connection only: blocking
 *   waits and the subscriber have their own bounds);
 * - `lazyConnect`: constructing a driver opens nothing; the first call connects;
 * - `enableAutoPipelining`: commands issued in the same tick share one write.
 */
export const DEFAULT_REDIS_OPTIONS: RedisOptions = {
  lazyConnect: true,
  maxRetriesPerRequest: 3,
  connectTimeout: 2_000,
  commandTimeout: 5_000,
  enableAutoPipelining: true,
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
};

/** Options for the blocking and subscriber connections (duplicates of the main one). */
const SIDE_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableAutoPipelining: false,
  commandTimeout: undefined,
};

export interface Connections {
  /** Runs every command and script. */
  main: Redis;
  /** True when the driver created `main` (and so must close it). */
  owned: boolean;
  /** Where Redis is, for error messages. */
  target: string;
  /** A new connection like `main`, owned by the driver. */
  duplicate(): Redis;
}

export function openConnections(options: {
  url?: string;
  connection?: Redis;
  redisOptions?: RedisOptions;
}): Connections {
  if (options.connection) {
    const main = options.connection;
    return {
      main,
      owned: false,
      target: `${main.options.host ?? '127.0.0.1'}:${main.options.port ?? 6379}`,
      duplicate: () => main.duplicate(SIDE_OPTIONS),
    };
  }
  const url = options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const main = new Redis(url, { ...DEFAULT_REDIS_OPTIONS, ...options.redisOptions });
  main.on('error', () => {
    // connection errors surface as rejected calls (bounded by maxRetriesPerRequest); no unhandled 'error'
  });
  return { main, owned: true, target: redact(url), duplicate: () => main.duplicate(SIDE_OPTIONS) };
}

/** Closes a connection the driver owns: QUIT when connected (bounded), else drop it. */
export async function closeConnection(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    const timer = setTimeout(() => connection.disconnect(), 1_000);
    try {
      await connection.quit();
    } catch {
      connection.disconnect();
    } finally {
      clearTimeout(timer);
    }
  } else {
    connection.disconnect();
  }
}

/** The url without its password. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
