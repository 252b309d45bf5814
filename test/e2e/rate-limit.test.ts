/**
 * Limits shared by worker processes on one Redis: three processes of `fixtures/limits-process.ts` run the jobs
 * of `fixtures/limits-jobs.ts`.
 *
 * - A queue rate limit (`Queue.limit`) of N per window: every job's `startedAt` (the reservation time the driver
 *   counted it in) is counted per fixed window; no window may hold more than N.
 * - The `rateLimited` middleware: every hit the driver allowed is recorded with its time by the processes; no
 *   window may hold more than N, and each job passed exactly once.
 * - `withoutOverlapping`: handlers count themselves in and out in Redis; none ever starts while another runs.
 * - A holder that is SIGKILLed keeps its lock until `expireAfter`; then the waiting jobs run.
 */
import { fileURLToPath } from 'node:url';
import { Conveyor } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Exclusive,
  HOG_EXPIRE_MS,
  Hog,
  limitKeys,
  limitsJobs,
  MiddlewareRated,
  PER_WINDOW,
  QueueRated,
  WINDOW_MS,
} from './fixtures/limits-jobs.js';
import {
  adminClient,
  assertRedisAnswers,
  cleanupPrefix,
  killAllWorkers,
  randomPrefix,
  redisUrl,
  spawnWorker,
  type WorkerProcess,
  waitUntil,
} from './support.js';

const PREFIX = randomPrefix('limits');
const SCRIPT = fileURLToPath(new URL('./fixtures/limits-process.ts', import.meta.url));
const PROCESSES = 3;
const JOBS = 40;
const keys = limitKeys(PREFIX);

/** Jobs per fixed window (`floor(t / WINDOW_MS)`), in window order. */
function perWindow(times: number[]): Array<[window: number, count: number]> {
  const counts = new Map<number, number>();
  for (const t of times) {
    const window = Math.floor(t / WINDOW_MS);
    counts.set(window, (counts.get(window) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}

function describeWindows(windows: Array<[number, number]>): string {
  const first = windows[0]?.[0] ?? 0;
  return windows.map(([window, count]) => `+${window - first}:${count}`).join(' ');
}

describe('e2e limits: rate limits and overlap locks hold across three worker processes', () => {
  let conveyor: Conveyor;
  let admin: Redis;

  beforeAll(async () => {
    await assertRedisAnswers();
    conveyor = new Conveyor({
      driver: new RedisDriver({ url: redisUrl(), prefix: PREFIX }),
      jobs: limitsJobs,
    });
    admin = adminClient();
    await admin.connect();
  });

  afterAll(async () => {
    await killAllWorkers();
    await conveyor?.close();
    admin?.disconnect();
    await cleanupPrefix(PREFIX);
  });

  async function startWorkers(queue: string, settings: { concurrency?: number; lease?: number } = {}) {
    const workers: WorkerProcess[] = Array.from({ length: PROCESSES }, (_, i) =>
      spawnWorker({
        script: SCRIPT,
        prefix: PREFIX,
        name: `${queue}-w${i}`,
        queues: [queue],
        concurrency: settings.concurrency ?? 10,
        lease: settings.lease ?? 2_000,
        stalledInterval: 300,
      }),
    );
    await Promise.all(workers.map((w) => w.ready));
    return workers;
  }

  const stderrOf = (workers: WorkerProcess[]) =>
    workers.map((w) => `--- ${w.name}\n${w.stderr().slice(-2_000)}`).join('\n');

  async function waitForCompleted(queue: string, count: number, workers: WorkerProcess[], timeout: number) {
    await waitUntil(async () => (await conveyor.counts(queue)).completed >= count, {
      timeout,
      what: `${count} completed jobs on ${queue}`,
      describe: async () => `${JSON.stringify(await conveyor.counts(queue))}\n${stderrOf(workers)}`,
    });
  }

  async function runsPerWorker(ids: string[]): Promise<Map<string, number>> {
    const ranBy = await admin.hgetall(keys.ranBy);
    const counts = new Map<string, number>();
    for (const id of ids) {
      const worker = ranBy[id] ?? 'unknown';
      counts.set(worker, (counts.get(worker) ?? 0) + 1);
    }
    return counts;
  }

  it(`a queue rate limit of ${PER_WINDOW} per ${WINDOW_MS} ms holds across ${PROCESSES} processes`, {
    timeout: 60_000,
  }, async () => {
    await conveyor.limit('rated', { limit: PER_WINDOW, per: WINDOW_MS });
    const workers = await startWorkers('rated');
    const handles = await Promise.all(
      Array.from({ length: JOBS }, (_, n) => conveyor.dispatch(new QueueRated(n)).dispatch()),
    );
    await waitForCompleted('rated', JOBS, workers, 30_000);
    await Promise.all(workers.map((w) => w.stop()));

    const records = await conveyor.list({ queue: 'rated', status: 'completed', limit: 1_000 });
    const windows = perWindow(records.map((r) => r.startedAt!));
    const byWorker = await runsPerWorker(handles.map((h) => h.id));
    console.log(
      `queue rate limit (${PER_WINDOW}/${WINDOW_MS} ms): starts per window ${describeWindows(windows)}; ` +
        `per process: ${[...byWorker].map(([w, n]) => `${w}=${n}`).join(', ')}`,
    );

    expect(records).toHaveLength(JOBS);
    expect(records.every((r) => r.attempts === 1)).toBe(true);
    expect(Math.max(...windows.map(([, count]) => count))).toBeLessThanOrEqual(PER_WINDOW);
    expect(windows.length).toBeGreaterThanOrEqual(JOBS / PER_WINDOW);
    expect(byWorker.size).toBeGreaterThanOrEqual(2); // the processes competed for the same windows
  });

  it(`the rateLimited middleware (${PER_WINDOW} per ${WINDOW_MS} ms) holds across ${PROCESSES} processes`, {
    timeout: 60_000,
  }, async () => {
    const workers = await startWorkers('mw-rated');
    const handles = await Promise.all(
      Array.from({ length: JOBS }, (_, n) => conveyor.dispatch(new MiddlewareRated(n)).dispatch()),
    );
    await waitForCompleted('mw-rated', JOBS, workers, 30_000);
    await Promise.all(workers.map((w) => w.stop()));

    const hits = (await admin.lrange(keys.hits, 0, -1)).map((line) => {
      const [at, worker] = line.split(' ');
      return { at: Number(at), worker: worker! };
    });
    const windows = perWindow(hits.map((hit) => hit.at));
    const records = await conveyor.list({ queue: 'mw-rated', status: 'completed', limit: 1_000 });
    const byWorker = await runsPerWorker(handles.map((h) => h.id));
    console.log(
      `rateLimited middleware (${PER_WINDOW}/${WINDOW_MS} ms): allowed hits per window ${describeWindows(windows)}; ` +
        `per process: ${[...byWorker].map(([w, n]) => `${w}=${n}`).join(', ')}`,
    );

    expect(records).toHaveLength(JOBS);
    expect(hits).toHaveLength(JOBS); // each job passed the limiter once
    expect(records.every((r) => r.attempts === 1)).toBe(true); // releases used no attempt
    expect(Math.max(...windows.map(([, count]) => count))).toBeLessThanOrEqual(PER_WINDOW);
    expect(byWorker.size).toBeGreaterThanOrEqual(2);
  });

  it('withoutOverlapping never runs two jobs with one key at once across processes', {
    timeout: 60_000,
  }, async () => {
    const workers = await startWorkers('exclusive', { concurrency: 5 });
    const count = 30;
    await Promise.all(
      Array.from({ length: count }, (_, n) =>
        conveyor.dispatch(new Exclusive(n, 5 + Math.floor(Math.random() * 20))).dispatch(),
      ),
    );
    await waitForCompleted('exclusive', count, workers, 40_000);
    await Promise.all(workers.map((w) => w.stop()));

    const intervals = (await admin.lrange(keys.intervals, 0, -1))
      .map((line) => {
        const [start, end, worker] = line.split(' ');
        return { start: Number(start), end: Number(end), worker: worker! };
      })
      .sort((a, b) => a.start - b.start);
    const overlaps = Number((await admin.get(keys.overlaps)) ?? 0);
    const perWorker = new Map<string, number>();
    for (const { worker } of intervals) perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
    const touching = intervals.filter((run, i) => i > 0 && run.start < intervals[i - 1]!.end);
    console.log(
      `withoutOverlapping: ${intervals.length} runs, ${overlaps} overlaps; per process: ` +
        `${[...perWorker].map(([w, n]) => `${w}=${n}`).join(', ')}; ` +
        `span ${intervals.at(-1)!.end - intervals[0]!.start} ms`,
    );

    expect(intervals).toHaveLength(count);
    expect(overlaps).toBe(0);
    expect(touching).toEqual([]);
    expect(perWorker.size).toBeGreaterThanOrEqual(2);
  });

  it(`a crashed holder's lock expires after expireAfter (${HOG_EXPIRE_MS} ms), and not before`, {
    timeout: 60_000,
  }, async () => {
    const workers = await startWorkers('hog', { concurrency: 2, lease: 1_000 });
    const hog = await conveyor.dispatch(new Hog(60_000));
    const [heldAt, holderName] = await waitUntil(
      async () => {
        const [line] = await admin.lrange(keys.hogStarts, 0, 0);
        return line ? (line.split(' ') as [string, string]) : null;
      },
      { timeout: 15_000, what: 'the hog to start', describe: () => stderrOf(workers) },
    );
    const followers = await Promise.all(
      Array.from({ length: 3 }, () => conveyor.dispatch(new Hog(0)).maxAttempts(5).dispatch()),
    );
    const holder = workers.find((w) => w.name === holderName)!;
    await holder.crash();
    const crashedAt = Date.now();
    const survivors = workers.filter((w) => w !== holder);

    await waitUntil(
      async () => (await Promise.all(followers.map((f) => f.status()))).every((s) => s === 'completed'),
      { timeout: 20_000, what: 'the followers to complete', describe: () => stderrOf(survivors) },
    );
    await Promise.all(survivors.map((w) => w.stop()));

    const starts = (await admin.lrange(keys.hogStarts, 1, -1)).map((line) => Number(line.split(' ')[0]));
    const firstFollower = Math.min(...starts);
    const lockedFor = firstFollower - Number(heldAt);
    console.log(
      `withoutOverlapping after a crash: holder ${holderName} killed ${crashedAt - Number(heldAt)} ms after taking ` +
        `the lock; the first waiting job ran ${lockedFor} ms after it was taken (expireAfter ${HOG_EXPIRE_MS} ms); ` +
        `the hog itself: ${await hog.status()}`,
    );

    expect(starts).toHaveLength(3);
    // The lock was taken just before `heldAt` (the handler records its start after taking it).
    expect(lockedFor).toBeGreaterThanOrEqual(HOG_EXPIRE_MS - 100);
    expect(lockedFor).toBeLessThan(HOG_EXPIRE_MS + 5_000);
    expect(await hog.status()).toBe('failed'); // stalled on its only attempt
  });
});
