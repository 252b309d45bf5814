/**
 * The `conveyor` command end to end on Redis: `conveyor work` processes with the example config
 * (examples/cli/conveyor.config.ts), stopped by SIGTERM mid-run and restarted; `stats --json` against
 * `counts()`; `failed retry all`; `batch <id> --watch`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conveyor } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs as exampleJobs, SendWelcomeEmail } from '../../examples/cli/jobs.js';
import { FailsWhileMarked } from './fixtures/cli/jobs.js';
import { assertRedisAnswers, cleanupPrefix, ROOT, randomPrefix, redisUrl, waitUntil } from './support.js';

const EXAMPLE_CONFIG = 'examples/cli/conveyor.config.ts';
const FIXTURE_CONFIG = 'test/e2e/fixtures/cli/conveyor.config.ts';
const GRACE_MS = 5_000;

interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

/** `conveyor <args>` from source, as `bin/conveyor.js` runs it in this repository. */
function conveyor(args: string[], prefix: string): CliProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@conveyor/source',
      '--import',
      'tsx',
      'packages/cli/src/main.ts',
      ...args,
      '--prefix',
      prefix,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: redisUrl() } },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs a short command to its end; fails the test with its stderr when it takes over 30 s. */
async function conveyorRun(args: string[], prefix: string) {
  const run = conveyor(args, prefix);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
  const { code } = await run.exited;
  clearTimeout(timer);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Log lines of `conveyor work --log json`. */
function logs(run: CliProcess): Array<{ event: string; [key: string]: unknown }> {
  return run
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event: string });
}

async function startWorker(config: string, prefix: string, extra: string[] = []): Promise<CliProcess> {
  const run = conveyor(
    ['work', '--config', config, '--timeout', `${GRACE_MS}ms`, '--log', 'json', '--lease', '5s', ...extra],
    prefix,
  );
  await waitUntil(
    async () => {
      if (run.child.exitCode !== null) throw new Error(`conveyor work exited early:\n${run.stderr()}`);
      return logs(run).some((line) => line.event === 'worker.started');
    },
    { timeout: 30_000, what: 'conveyor work to start', describe: () => run.stderr() },
  );
  return run;
}

describe('e2e: the conveyor CLI on Redis', () => {
  const prefix = randomPrefix('cli');
  let app: Conveyor;
  let markerDir: string;

  beforeAll(async () => {
    await assertRedisAnswers();
    app = new Conveyor({
      driver: new RedisDriver({ url: redisUrl(), prefix }),
      jobs: [...exampleJobs, FailsWhileMarked],
    });
    markerDir = mkdtempSync(join(tmpdir(), 'conveyor-cli-e2e-'));
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await app?.close();
    await cleanupPrefix(prefix);
    rmSync(markerDir, { recursive: true, force: true });
  });

  it('work: SIGTERM mid-run exits 0 within the grace period; a restarted worker completes every job', async () => {
    const first = await startWorker(EXAMPLE_CONFIG, prefix);
    const ids: string[] = [];
    for (let n = 0; n < 200; n++)
      ids.push((await app.dispatch(new SendWelcomeEmail(n, 100 + (n % 5) * 50))).id);

    await waitUntil(async () => (await app.counts('emails')).completed >= 40, {
      timeout: 30_000,
      what: '40 jobs completed',
      describe: async () => JSON.stringify(await app.counts('emails')),
    });
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    const { code, signal } = await first.exited;
    const tookMs = Date.now() - stoppedAt;
    expect({ code, signal, stderr: first.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(tookMs).toBeLessThan(GRACE_MS + 2_000);
    const stopping = logs(first).find((line) => line.event === 'worker.stopping');
    expect(stopping).toMatchObject({ reason: 'SIGTERM' });
    expect(stopping!.running).toBeGreaterThan(0); // the signal came with jobs in flight
    const events = logs(first).map((line) => line.event);
    expect(events).toContain('worker.stopping');
    expect(events.at(-1)).toBe('worker.stopped');
    const midRun = await app.counts('emails');
    expect(midRun.completed).toBeLessThan(200); // it really stopped mid-run
    expect(midRun.processing).toBe(0); // finished or handed back: nothing left owned by the stopped worker

    const second = await startWorker(EXAMPLE_CONFIG, prefix);
    await waitUntil(async () => (await app.counts('emails')).completed === 200, {
      timeout: 60_000,
      what: 'all 200 jobs completed',
      describe: async () => JSON.stringify(await app.counts('emails')),
    });
    const states = await Promise.all(ids.map(async (id) => (await app.getJob(id))?.state));
    expect(new Set(states)).toEqual(new Set(['completed']));
    expect(await app.counts('emails')).toMatchObject({ completed: 200, failed: 0, pending: 0, retrying: 0 });

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('stats --json matches counts(), per queue and over all', async () => {
    await app.dispatch(new SendWelcomeEmail(1_000)).delay('1h');
    const { code, stdout, stderr } = await conveyorRun(
      ['stats', '--json', '--config', EXAMPLE_CONFIG],
      prefix,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout) as {
      counts: Record<string, number>;
      queues: Array<{ queue: string; counts: Record<string, number>; completed: number; jobs: object }>;
      workers: unknown[];
    };
    expect(report.counts).toEqual(await app.counts());
    for (const queue of report.queues) expect(queue.counts).toEqual(await app.counts(queue.queue));
    const emails = report.queues.find((q) => q.queue === 'emails')!;
    expect(emails.completed).toBeGreaterThanOrEqual(200); // per-minute metrics flushed by the workers
    expect(Object.keys(emails.jobs)).toContain('SendWelcomeEmail');
    expect(report.workers).toEqual([]); // both workers left the registry on their clean stop
  });

  it('failed retry all brings failed jobs back, and they complete', async () => {
    const marker = join(markerDir, 'fail');
    writeFileSync(marker, 'fail while this exists');
    const worker = await startWorker(FIXTURE_CONFIG, prefix, ['--queue', 'default']);
    const failing = await Promise.all(
      Array.from({ length: 5 }, (_, n) => app.dispatch(new FailsWhileMarked(marker, n))),
    );
    await waitUntil(async () => (await app.counts('default')).failed === 5, {
      timeout: 30_000,
      what: '5 failed jobs',
      describe: async () => JSON.stringify(await app.counts('default')),
    });

    const listed = await conveyorRun(['failed', 'list', '--json', '--config', FIXTURE_CONFIG], prefix);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(5);
    rmSync(marker);
    const retried = await conveyorRun(['failed', 'retry', 'all', '--config', FIXTURE_CONFIG], prefix);
    expect(retried).toMatchObject({ code: 0, stdout: 'Retried 5 failed job(s).\n', stderr: '' });

    await waitUntil(
      async () => (await Promise.all(failing.map((job) => job.status()))).every((s) => s === 'completed'),
      { timeout: 30_000, what: 'retried jobs completed' },
    );
    expect((await app.counts('default')).failed).toBe(0);
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
  });

  it('batch <id> --watch ends when the batch finishes', async () => {
    // The batch waits for a worker, so the watcher starts on an unfinished batch.
    const batch = await app
      .batch(Array.from({ length: 30 }, (_, n) => new SendWelcomeEmail(2_000 + n, 100)))
      .name('welcome-wave')
      .dispatch();
    const watcher = conveyor(
      ['batch', batch.id, '--watch', '--interval', '100ms', '--config', FIXTURE_CONFIG],
      prefix,
    );
    await waitUntil(() => /0\/30 settled/.test(watcher.stderr()), {
      timeout: 30_000,
      what: 'the progress bar',
      describe: () => watcher.stderr(),
    });
    expect(watcher.child.exitCode).toBeNull();

    const worker = await startWorker(FIXTURE_CONFIG, prefix);
    const timer = setTimeout(() => watcher.child.kill('SIGKILL'), 30_000);
    const { code } = await watcher.exited;
    clearTimeout(timer);
    expect({ code, stderr: watcher.stderr() }).toMatchObject({ code: 0 });
    expect(watcher.stdout()).toMatch(/status\s+finished\n/);
    expect(watcher.stdout()).toMatch(/30 completed, 0 failed, 0 cancelled, 0 pending, of 30/);
    expect(watcher.stderr()).toMatch(/30\/30 settled/); // the bar's last frame
    expect(await batch.progress()).toMatchObject({ finished: true, processed: 30 });
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
  });

  it('a config that does not load: one line on stderr, non-zero exit', async () => {
    const dir = mkdtempSync(join(ROOT, 'test/e2e/fixtures/cli/.tmp-'));
    try {
      writeFileSync(join(dir, 'broken.config.mjs'), 'export default {');
      const { code, stdout, stderr } = await conveyorRun(
        ['stats', '--config', join(dir, 'broken.config.mjs')],
        prefix,
      );
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^conveyor: Cannot load config .*broken\.config\.mjs: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
