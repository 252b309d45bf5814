/**
 * Helpers for the end-to-end suites: real worker processes against a real Redis.
 *
 * - `redisUrl()` / `assertRedisAnswers()`: the Redis under test (REDIS_URL, default redis://127.0.0.1:6379).
 *   The suites never skip: a Redis that does not answer fails them with a message that says how to start one.
 * - `spawnWorker()`: a child process running `fixtures/worker-process.ts` with the given settings.
 * - `waitUntil()`: polls the system under test until a condition holds, with a deadline (no fixed sleeps).
 * - `cleanupPrefix()`: deletes every key under a test's prefix (SCAN + UNLINK).
 * - `startRedisServer()`: a test-owned redis-server on a free port with appendonly on, restartable in place (also
 *   used by the Redis driver's SCRIPT FLUSH test, so it never flushes the shared server's scripts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Conveyor, Job } from '@conveyor/core';
import { Redis, type RedisOptions } from 'ioredis';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_PROCESS = fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url));

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A random key prefix for one test file, e.g. `e2e-crash-3f9a1c2b`. */
export function randomPrefix(name: string): string {
  return `e2e-${name}-${randomBytes(4).toString('hex')}`;
}

/** A plain ioredis client for the test's own reads and writes (never the system under test). */
export function adminClient(url = redisUrl(), options: RedisOptions = {}): Redis {
  return new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, ...options });
}

/** Fails (never skips) when the Redis under test does not answer within 5 s. */
export async function assertRedisAnswers(url = redisUrl()): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis at ${url} does not answer (${(error as Error).message}): the e2e suites need a real Redis. ` +
        'Start one (redis-server) or set REDIS_URL.',
    );
  } finally {
    client.disconnect();
  }
}

/** Deletes every key that starts with `prefix`; returns how many. */
export async function cleanupPrefix(prefix: string, url = redisUrl()): Promise<number> {
  const client = adminClient(url);
  client.on('error', () => {});
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) removed += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return removed;
}

export interface WaitOptions {
  /** Give up after this many ms (the deadline is what makes the wait bounded). */
  timeout: number;
  /** Pause between probes. Default 100 ms. */
  interval?: number;
  /** Named in the timeout error. */
  what: string;
  /** Appended to the timeout error (e.g. the latest counts). */
  describe?: () => string | Promise<string>;
}

/**
 * Calls `probe` until it returns a value other than `false`/`undefined`/`null` and returns that value. A probe
 * that throws (Redis briefly unreachable) is tried again; the last error is reported at the deadline.
 */
export async function waitUntil<T>(
  probe: () => Promise<T | false | null | undefined> | T | false | null | undefined,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== false && value !== null && value !== undefined) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      let detail = '';
      try {
        detail = options.describe ? ` (${await options.describe()})` : '';
      } catch {}
      const cause = lastError ? `; last probe error: ${(lastError as Error).message}` : '';
      throw new Error(`Timed out after ${options.timeout} ms waiting for ${options.what}${detail}${cause}`);
    }
    await sleep(options.interval ?? 100);
  }
}

export interface WorkerSettings {
  redisUrl?: string;
  prefix: string;
  /** Written into every run record, so a test can tell which process ran an attempt. */
  name: string;
  queues?: string[];
  concurrency?: number;
  /** Lease in ms. */
  lease?: number;
  /** Stalled-job check interval in ms. */
  stalledInterval?: number;
  /** Another worker script taking the same settings (default `fixtures/worker-process.ts`). */
  script?: string;
}

export interface WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the process printed `ready`; rejects if it exits first or takes over 30 s. */
  readonly ready: Promise<void>;
  /** Resolves when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stderr (its last 20,000 characters). */
  stderr(): string;
  /** SIGKILL: no cleanup, no graceful shutdown. */
  crash(): Promise<void>;
  /** SIGTERM and wait for exit (SIGKILL after `timeout` ms); returns the exit code. */
  stop(timeout?: number): Promise<number | null>;
}

const running = new Set<WorkerProcess>();

/** Starts `fixtures/worker-process.ts` in its own Node process. Await `ready` before counting on it. */
export function spawnWorker(settings: WorkerSettings): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@conveyor/source', '--import', 'tsx', settings.script ?? WORKER_PROCESS],
    {
      cwd: ROOT,
      // stdin is a lifeline: the worker exits when it closes, so a test runner killed hard leaves no orphan.
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        REDIS_URL: settings.redisUrl ?? redisUrl(),
        PREFIX: settings.prefix,
        WORKER_NAME: settings.name,
        QUEUES: (settings.queues ?? ['default']).join(','),
        CONCURRENCY: String(settings.concurrency ?? 20),
        LEASE_MS: String(settings.lease ?? 2_000),
        STALLED_INTERVAL_MS: String(settings.stalledInterval ?? 500),
      },
    },
  );
  let stderr = '';
  child.on('error', (error) => {
    stderr += `\nspawn failed: ${error.message}`;
  });
  child.stdin!.on('error', () => {});
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<void>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`worker ${settings.name} not ready after 30 s; stderr:\n${stderr}`)),
      30_000,
    );
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
      if (/^ready$/m.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`worker ${settings.name} exited (code ${code}, signal ${signal}) before ready:\n${stderr}`),
      );
    });
  });
  ready.catch(() => {});
  const handle: WorkerProcess = {
    name: settings.name,
    child,
    ready,
    exited,
    stderr: () => stderr,
    async crash() {
      child.kill('SIGKILL');
      await exited;
      running.delete(handle);
    },
    async stop(timeout = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
      const { code } = await exited;
      clearTimeout(timer);
      running.delete(handle);
      return code;
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** SIGKILLs every worker process still running (for `afterAll`, whatever state a failed test left). */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...running].map((w) => w.crash()));
}

/** A free TCP port on 127.0.0.1 (bound and released, so another process could take it: good enough here). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server owned by one test: appendonly with fsync on every write, so a restart keeps everything. */
export interface OwnedRedis {
  readonly port: number;
  readonly url: string;
  /** SHUTDOWN (flushing the AOF), then start again on the same port and directory. */
  restart(): Promise<void>;
  /** Stops the server and deletes its directory. */
  destroy(): Promise<void>;
}

export async function startRedisServer(): Promise<OwnedRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-e2e-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server = child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) =>
        reject(
          new Error(
            `Cannot start redis-server (${error.message}): tests that own a server (connection loss, SCRIPT FLUSH) need the redis-server ` +
              'binary on PATH (apt-get install redis-server).',
          ),
        ),
      );
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      log = (log + chunk).slice(-10_000);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-10_000);
    });
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${log}`);
        const probe = new Redis(url, {
          lazyConnect: true,
          retryStrategy: () => null,
          maxRetriesPerRequest: 0,
        });
        probe.on('error', () => {});
        try {
          await probe.connect();
          // A server still loading its AOF answers PING with a LOADING error, so this waits it out.
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      { timeout: 15_000, interval: 50, what: `redis-server on port ${port}`, describe: () => log },
    );
  };

  const stop = async (command: 'SHUTDOWN' | 'SHUTDOWN NOSAVE') => {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const admin = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    admin.on('error', () => {});
    try {
      await admin.connect();
      // The server closes the connection instead of answering.
      await admin.call(...(command.split(' ') as [string, ...string[]])).catch(() => {});
    } catch {
      child.kill('SIGTERM');
    } finally {
      admin.disconnect();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url,
    async restart() {
      await stop('SHUTDOWN');
      await start();
    },
    async destroy() {
      await stop('SHUTDOWN NOSAVE');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `n` as a percentage of `total`, for summary lines. */
export function percent(n: number, total: number): string {
  return `${((100 * n) / Math.max(1, total)).toFixed(1)}%`;
}

/** Dispatches `count` jobs, `inFlight` at a time; returns their ids in order. */
export async function dispatchMany(
  conveyor: Conveyor,
  count: number,
  make: (n: number) => Job,
  inFlight = 500,
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += inFlight) {
    const chunk = Array.from({ length: Math.min(inFlight, count - start) }, (_, i) =>
      conveyor.dispatch(make(start + i)).dispatch(),
    );
    for (const handle of await Promise.all(chunk)) ids.push(handle.id);
  }
  return ids;
}

/** Jobs in a finished state (`completed`, `failed` or `cancelled`), from `conveyor.counts()`. */
export async function finishedCount(conveyor: Conveyor, queue?: string): Promise<number> {
  const counts = await conveyor.counts(queue);
  return counts.completed + counts.failed + counts.cancelled;
}

/** The end of each worker's stderr, for timeout messages. */
export function stderrTails(workers: readonly WorkerProcess[], chars = 600): string {
  return workers
    .map((w) => {
      const tail = w.stderr().slice(-chars).trim();
      return tail ? `\n--- ${w.name} stderr ---\n${tail}` : '';
    })
    .join('');
}
