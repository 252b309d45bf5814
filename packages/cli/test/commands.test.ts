import { Conveyor, Job, type JobContext } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatsReport } from '../src/commands/stats.js';
import { fakeControl, manualWatch, runOn } from './helpers.js';

let fail = true;
class Hello extends Job {
  static override jobName = 'Hello';
  handle() {}
}
class Flaky extends Job {
  static override jobName = 'Flaky';
  handle() {
    if (fail) throw new Error('flaky says no');
  }
}
let release: () => void = () => {};
class Waits extends Job {
  static override jobName = 'Waits';
  handle(ctx: JobContext) {
    return new Promise<void>((resolve) => {
      release = resolve;
      ctx.signal.addEventListener('abort', () => resolve());
    });
  }
}
const jobs = [Hello, Flaky, Waits];

let conveyor: Conveyor;
beforeEach(() => {
  fail = true;
  conveyor = new Conveyor({ driver: new MemoryDriver(), jobs });
});
afterEach(async () => {
  await conveyor.close();
});

const lines = (text: string) => text.trimEnd().split('\n');

describe('read commands', () => {
  it('jobs list: a table, or JSON with --json; filters by status, queue and name', async () => {
    const cli = runOn(conveyor);
    const a = await conveyor.dispatch(new Hello());
    await conveyor.dispatch(new Hello()).onQueue('other');
    await conveyor.dispatch(new Flaky());
    await conveyor.drain();

    const table = await cli('jobs', 'list');
    expect(table.code).toBe(0);
    expect(lines(table.stdout)[0]).toMatch(/^ID\s+NAME\s+QUEUE\s+STATE\s+ATTEMPTS/);
    expect(lines(table.stdout)).toHaveLength(4);
    expect(table.stdout).toContain('Error: flaky says no');

    const json = JSON.parse(
      (await cli('jobs', 'list', '--json', '--status', 'completed', '--queue', 'default')).stdout,
    );
    expect(json.map((job: { id: string }) => job.id)).toEqual([a.id]);
    const named = JSON.parse((await cli('jobs', 'list', '--json', '--name', 'Flaky')).stdout);
    expect(named).toHaveLength(1);
    expect(
      JSON.parse((await cli('jobs', 'list', '--json', '--limit', '1', '--offset', '1')).stdout),
    ).toHaveLength(1);
  });

  it('job <id>: state, attempts, progress and every error; an unknown id is one line, exit 1', async () => {
    const cli = runOn(conveyor);
    const job = await conveyor.dispatch(new Flaky()).maxAttempts(2);
    await conveyor.drain();
    await conveyor.drain();

    const shown = await cli('job', job.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/state\s+failed/);
    expect(shown.stdout).toMatch(/attempts\s+2 of 2/);
    expect(shown.stdout).toContain('Errors (2):');
    expect(shown.stdout).toMatch(/attempt 1 at .*: Error: flaky says no/);
    expect(JSON.parse((await cli('job', job.id, '--json')).stdout)).toMatchObject({
      id: job.id,
      state: 'failed',
    });

    const missing = await cli('job', 'nope');
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'conveyor: No job "nope".\n' });
  });

  it('stats --json: counts per queue and in all that match conveyor.counts(), with figures per job name', async () => {
    const cli = runOn(conveyor);
    await conveyor.dispatch(new Hello());
    await conveyor.dispatch(new Hello()).onQueue('emails');
    await conveyor.dispatch(new Flaky());
    await conveyor.dispatch(new Hello()).delay('1h');
    await conveyor.drain();
    await conveyor.flushMetrics();

    const { code, stdout } = await cli('stats', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as StatsReport;
    expect(report.counts).toEqual(await conveyor.counts());
    for (const queue of report.queues) expect(queue.counts).toEqual(await conveyor.counts(queue.queue));
    const byQueue = Object.fromEntries(report.queues.map((q) => [q.queue, q]));
    expect(byQueue.default).toMatchObject({
      submitted: 3,
      completed: 1,
      failed: 1,
      dead: 1,
      depth: 1,
      paused: false,
    });
    expect(byQueue.default!.jobs.Hello).toMatchObject({ submitted: 2, completed: 1 });
    expect(report.totals).toMatchObject({ submitted: 4, completed: 2, successRate: 0.6667 });

    const text = await cli('stats');
    expect(text.stdout).toMatch(/^QUEUE\s+PENDING\s+DELAYED\s+PROCESSING/m);
    expect(text.stdout).toMatch(/^default\s+Hello\s+2\s+1/m);
    expect(text.stdout).toMatch(/^Workers: 0 /m);
  });

  it('stats --watch reports until stopped; with --json one line per report', async () => {
    const watch = manualWatch();
    const cli = runOn(conveyor, {}, { watch });
    const running = cli('stats', '--watch', '--json', '--interval', '10ms');
    await new Promise((resolve) => setTimeout(resolve, 60));
    watch.stop();
    const { code, stdout } = await running;
    expect(code).toBe(0);
    const reports = lines(stdout).map((line) => JSON.parse(line) as StatsReport);
    expect(reports.length).toBeGreaterThan(1);
  });

  it('workers and health', async () => {
    const cli = runOn(conveyor);
    const worker = conveyor.worker({ jobs, id: 'w-cli' });
    await worker.start();
    const listed = JSON.parse((await cli('workers', '--json')).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: 'w-cli', healthy: true })]);
    expect((await cli('workers')).stdout).toMatch(/^w-cli\s/m);
    const health = await cli('health');
    expect(health).toMatchObject({ code: 0 });
    expect(health.stdout).toMatch(/^status\s+ok/m);
    await worker.close();
    await conveyor.dispatch(new Hello());
    const degraded = await cli('health', '--json');
    expect(degraded.code).toBe(1);
    expect(JSON.parse(degraded.stdout)).toMatchObject({ status: 'degraded' });
  });

  it('schedule list|pause|resume|delete', async () => {
    const cli = runOn(conveyor);
    await conveyor.schedules.create(conveyor.schedule(new Hello()).dailyAt('02:00').name('nightly'));

    expect((await cli('schedule', 'list')).stdout).toMatch(
      /^nightly\s+0 2 \* \* \*\s+UTC\s+Hello\s+default\s+active/m,
    );
    expect(await cli('schedule', 'pause', 'nightly')).toMatchObject({
      code: 0,
      stdout: 'Paused schedule nightly.\n',
    });
    expect(JSON.parse((await cli('schedule', 'list', '--json')).stdout)).toEqual([
      expect.objectContaining({ name: 'nightly', paused: true }),
    ]);
    expect((await cli('schedule', 'resume', 'nightly')).code).toBe(0);
    expect((await cli('schedule', 'delete', 'nightly')).code).toBe(0);
    const missing = await cli('schedule', 'delete', 'nightly');
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toMatch(/^conveyor: No schedule named "nightly"/);
  });

  it('batch <id>: progress; --watch follows until it finishes; exit 1 if members failed', async () => {
    const watch = manualWatch();
    const cli = runOn(conveyor, {}, { watch });
    const batch = await conveyor
      .batch([new Hello(), new Hello(), new Flaky()])
      .allowFailures()
      .name('mixed')
      .dispatch();

    const before = await cli('batch', batch.id);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/status\s+running/);
    expect(before.stdout).toMatch(/0 completed, 0 failed, 0 cancelled, 3 pending, of 3/);

    const watching = cli('batch', batch.id, '--watch', '--interval', '5ms');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await conveyor.drain();
    const after = await watching;
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/status\s+finished with failures/);

    const json = await cli('batch', batch.id, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: batch.id,
      name: 'mixed',
      processed: 2,
      failed: 1,
      finished: true,
    });
    expect((await cli('batch', 'nope')).stderr).toBe('conveyor: No batch "nope".\n');
  });
});

describe('write commands', () => {
  it('failed list | retry <id> | retry all | forget | flush', async () => {
    const cli = runOn(conveyor);
    const one = await conveyor.dispatch(new Flaky());
    const two = await conveyor.dispatch(new Flaky()).onQueue('other');
    const three = await conveyor.dispatch(new Flaky());
    const ok = await conveyor.dispatch(new Hello());
    await conveyor.drain();

    expect(JSON.parse((await cli('failed', 'list', '--json')).stdout)).toHaveLength(3);
    fail = false;
    expect(await cli('failed', 'retry', one.id)).toMatchObject({
      code: 0,
      stdout: 'Retried 1 failed job(s).\n',
    });
    const notFailed = await cli('failed', 'retry', ok.id);
    expect(notFailed).toMatchObject({
      code: 1,
      stderr: `conveyor: Job ${ok.id} is completed, not failed: nothing to retry.\n`,
    });
    expect(await cli('failed', 'retry', 'all', '--queue', 'other')).toMatchObject({
      stdout: 'Retried 1 failed job(s).\n',
    });
    await conveyor.drain();
    expect(await one.status()).toBe('completed');
    expect(await two.status()).toBe('completed');

    expect((await cli('failed', 'forget', ok.id)).stderr).toMatch(/is completed, not failed: not deleted/);
    expect(await cli('failed', 'forget', three.id)).toMatchObject({
      code: 0,
      stdout: `Deleted failed job ${three.id}.\n`,
    });
    expect(await three.status()).toBeNull();

    fail = true;
    await conveyor.dispatch(new Flaky());
    await conveyor.dispatch(new Flaky()).onQueue('other');
    await conveyor.drain();
    expect(JSON.parse((await cli('failed', 'flush', '--queue', 'other', '--json')).stdout)).toEqual({
      deleted: 1,
    });
    expect((await cli('failed', 'flush')).stdout).toBe('Deleted 1 failed job(s).\n');
    expect((await cli('failed', 'list')).stdout).toBe('No failed jobs.\n');
  });

  it('queue pause | resume | clear', async () => {
    const cli = runOn(conveyor);
    await conveyor.dispatch(new Hello());
    await conveyor.dispatch(new Hello()).delay('1h');

    expect(await cli('queue', 'pause', 'default')).toMatchObject({
      code: 0,
      stdout: 'Paused queue default.\n',
    });
    expect((await conveyor.driver.getQueueSettings('default')).paused).toBe(true);
    expect(await conveyor.drain()).toBe(0);
    expect(await cli('queue', 'resume', 'default', '--json')).toMatchObject({
      stdout: '{\n  "queue": "default",\n  "paused": false\n}\n',
    });
    expect(await conveyor.drain()).toBe(1);

    await conveyor.dispatch(new Hello());
    expect(await cli('queue', 'clear', 'default')).toMatchObject({
      code: 0,
      stdout: 'Removed 2 waiting job(s) from queue default.\n',
    });
    expect(await conveyor.counts('default')).toMatchObject({ pending: 0, delayed: 0, completed: 1 });
  });
});

describe('conveyor work', () => {
  it('runs every job and stops with --stop-when-empty, logging one JSON object per line', async () => {
    const cli = runOn(conveyor, { jobs, queues: ['default'] });
    for (let i = 0; i < 5; i++) await conveyor.dispatch(new Hello());
    await conveyor.dispatch(new Flaky()).maxAttempts(2);

    const { code, stdout, stderr } = await cli(
      'work',
      '--stop-when-empty',
      '--log',
      'json',
      '--concurrency',
      '3',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const logs = lines(stdout).map(
      (line) => JSON.parse(line) as { event: string; level: string; [k: string]: unknown },
    );
    expect(logs[0]).toMatchObject({
      event: 'worker.started',
      level: 'info',
      concurrency: 3,
      queues: ['default'],
    });
    expect(logs.filter((l) => l.event === 'job.completed')).toHaveLength(5);
    expect(logs.find((l) => l.event === 'job.retried')).toMatchObject({
      level: 'warn',
      name: 'Flaky',
      error: 'flaky says no',
    });
    expect(logs.find((l) => l.event === 'job.failed')).toMatchObject({
      level: 'error',
      error: 'Error: flaky says no',
    });
    expect(logs.at(-2)).toMatchObject({ event: 'worker.stopping', reason: 'empty' });
    expect(logs.at(-1)).toMatchObject({ event: 'worker.stopped', reason: 'empty', attempts: 7 });
    expect(await conveyor.counts()).toMatchObject({ completed: 5, failed: 1 });
    expect(await conveyor.workers()).toEqual([]); // gone from the registry
  });

  it('stops after --max-jobs attempts; text logs', async () => {
    const cli = runOn(conveyor, { jobs });
    for (let i = 0; i < 10; i++) await conveyor.dispatch(new Hello());
    const { code, stdout } = await cli('work', '--max-jobs', '3');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\S+ INFO {2}worker\.started worker=\S+ host=\S+ pid=\d+ queues=default/m);
    expect(stdout).toMatch(/INFO {2}worker\.stopping reason=max-jobs/);
    expect((await conveyor.counts()).completed).toBeGreaterThanOrEqual(3);
    expect((await conveyor.counts()).pending).toBeGreaterThan(0);
  });

  it('SIGTERM: takes no more work, waits for the running job, exits 0', async () => {
    const control = fakeControl();
    const cli = runOn(conveyor, { jobs }, { control });
    const running = conveyor.dispatch(new Waits());
    const started = new Promise<void>((resolve) => conveyor.once('processing', () => resolve()));
    const working = cli('work', '--timeout', '10s');
    await running;
    await started;
    control.send('SIGTERM');
    await conveyor.dispatch(new Hello());
    release();
    const { code, stdout } = await working;
    expect(code).toBe(0);
    expect(stdout).toMatch(/worker\.stopping reason=SIGTERM running=1/);
    expect(stdout).toMatch(/job\.completed .*name=Waits/);
    expect(await conveyor.counts()).toMatchObject({ completed: 1, pending: 1 });
  });

  it('a job still running at the end of --timeout goes back to its queue', async () => {
    const control = fakeControl();
    const cli = runOn(conveyor, { jobs }, { control });
    const job = await conveyor.dispatch(new Waits());
    const started = new Promise<void>((resolve) => conveyor.once('processing', () => resolve()));
    const working = cli('work', '--timeout', '50ms', '--log', 'json');
    await started;
    control.send('SIGINT');
    const { code, stdout } = await working;
    expect(code).toBe(0);
    expect(stdout).toContain('"event":"job.released"');
    expect(await job.status()).toBe('pending');
  });

  it('a second signal while stopping exits at once', async () => {
    const control = fakeControl();
    const cli = runOn(conveyor, { jobs }, { control });
    await conveyor.dispatch(new Waits());
    const started = new Promise<void>((resolve) => conveyor.once('processing', () => resolve()));
    const working = cli('work', '--timeout', '10s');
    await started;
    control.send('SIGTERM');
    expect(() => control.send('SIGTERM')).toThrow('exit 143');
    expect(control.exits).toEqual([143]);
    release();
    await working;
  });

  it('refuses to start with no jobs, in one line, exit 2', async () => {
    const { code, stderr } = await runOn(conveyor, {})('work');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^conveyor: No jobs to run: list the job classes in .*\n$/);
  });

  it('reports bad worker options from the config in one line', async () => {
    const { code, stderr } = await runOn(conveyor, { jobs, worker: { lease: 'forever' } })('work');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^conveyor: Invalid worker options: Invalid lease "forever"/);
  });
});
