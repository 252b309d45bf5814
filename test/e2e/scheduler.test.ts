/**
 * Scheduler exactly-once across processes: three processes run the same every-second schedule on one Redis for
 * about ten seconds. Every occurrence must be dispatched by exactly one of them (one job per occurrence, no
 * occurrence skipped between the first and the last), because each occurrence is claimed atomically in Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RedisDriver } from '@conveyor/redis-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRedisAnswers, cleanupPrefix, ROOT, randomPrefix, redisUrl } from './support.js';

const PREFIX = randomPrefix('scheduler');
const PROCESSES = 3;
const DURATION_MS = 10_000;
const SCHEDULER_PROCESS = fileURLToPath(new URL('./fixtures/scheduler-process.ts', import.meta.url));

interface Dispatch {
  process: string;
  at: number;
  jobId?: string;
  skipped?: string;
}

interface Finished {
  name: string;
  code: number | null;
  lines: Dispatch[];
  stderr: string;
}

const children = new Set<ChildProcess>();

/** Runs one scheduler process to its end; resolves with what it printed. */
function runSchedulerProcess(name: string): Promise<Finished> {
  const child = spawn(
    process.execPath,
    ['--conditions=@conveyor/source', '--import', 'tsx', SCHEDULER_PROCESS],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        REDIS_URL: redisUrl(),
        PREFIX,
        PROCESS_NAME: name,
        DURATION_MS: String(DURATION_MS),
      },
    },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      children.delete(child);
      const lines = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Dispatch);
      resolve({ name, code, lines, stderr });
    });
  });
}

describe('e2e scheduler: an every-second schedule in three processes', () => {
  let driver: RedisDriver;

  beforeAll(async () => {
    await assertRedisAnswers();
    driver = new RedisDriver({ url: redisUrl(), prefix: PREFIX });
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await driver?.close();
    await cleanupPrefix(PREFIX);
  });

  it('dispatches each occurrence exactly once', { timeout: 90_000 }, async () => {
    const finished = await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) => runSchedulerProcess(`p${i}`)),
    );
    for (const f of finished) expect(f.code, `${f.name} exited with ${f.code}:\n${f.stderr}`).toBe(0);

    const claims = finished.flatMap((f) => f.lines);
    const dispatched = claims.filter((c) => c.jobId !== undefined);
    const jobs = await driver.list({ name: 'Tick', limit: 100_000 });
    const jobOccurrence = new Map(
      jobs.map((job) => [
        job.id,
        (JSON.parse(job.options) as { json: { meta: { scheduledAt: number } } }).json.meta.scheduledAt,
      ]),
    );
    const perOccurrence = new Map<number, number>();
    for (const at of jobOccurrence.values()) perOccurrence.set(at, (perOccurrence.get(at) ?? 0) + 1);
    const occurrences = [...perOccurrence.keys()].sort((a, b) => a - b);
    const expected = Array.from(
      { length: (occurrences.at(-1)! - occurrences[0]!) / 1_000 + 1 },
      (_, i) => occurrences[0]! + i * 1_000,
    );
    const [schedule] = await driver.listSchedules();

    console.log(
      `scheduler e2e: ${occurrences.length} occurrences claimed, ${jobs.length} jobs dispatched ` +
        `(${new Date(occurrences[0]!).toISOString()} .. ${new Date(occurrences.at(-1)!).toISOString()}); ` +
        `per process: ${finished.map((f) => `${f.name}=${f.lines.filter((l) => l.jobId).length}`).join(', ')}; ` +
        `skipped: ${claims.length - dispatched.length}`,
    );

    expect(occurrences.length).toBeGreaterThanOrEqual(DURATION_MS / 1_000 - 1);
    expect([...perOccurrence.values()].every((n) => n === 1)).toBe(true); // no occurrence dispatched twice
    expect(occurrences).toEqual(expected); // none skipped in between
    expect(claims.filter((c) => c.skipped)).toEqual([]);
    // What the processes say they dispatched is exactly what Redis holds.
    expect(dispatched.map((c) => c.jobId).sort()).toEqual([...jobOccurrence.keys()].sort());
    expect(dispatched.map((c) => c.at).sort((a, b) => a - b)).toEqual(occurrences);
    expect(schedule).toMatchObject({ name: 'every-second', lastRunAt: occurrences.at(-1) });
  });
});
