import { randomUUID } from 'node:crypto';
import {
  ConfigurationError,
  Conveyor,
  type Driver,
  FakeClock,
  Job,
  type JobRecord,
  ScheduledJob,
  type ScheduleInfo,
  type ScheduleRun,
  Scheduler,
  Worker,
} from '@conveyor/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** FakeClock's default start: 2026-01-01T00:00:00Z, a Thursday. */
const T0 = Date.UTC(2026, 0, 1);

class Report extends Job {
  constructor(public team = 'ops') {
    super();
  }
  handle() {}
}

/**
 * The scheduler through the public API, on the fake clock: occurrences dispatched on time, the missed policy,
 * pause/resume, runtime create/list/delete, exactly once across schedulers, and overlap protection.
 *
 * Time moves with `advance()`, which fires the schedulers' timers and then waits until their ticks are done (a
 * driver with real I/O finishes a tick after the fake clock moved on; the second round catches a timer such a
 * tick set for a time already reached).
 */
export function schedulesSuite(factory: DriverFactory): void {
  describe('api: schedules', () => {
    let driver: Driver;
    let clock: FakeClock;
    let schedulers: Scheduler[];
    let conveyor: Conveyor;

    const newConveyor = () => new Conveyor({ driver, clock, jobs: [Report] });
    const scheduler = (on = conveyor) => {
      const s = new Scheduler({ conveyor: on });
      schedulers.push(s);
      return s;
    };
    const advance = async (ms: number) => {
      await clock.advance(ms);
      for (const s of schedulers) await s.idle();
      await clock.advance(0);
      for (const s of schedulers) await s.idle();
    };
    const jobs = async (): Promise<JobRecord[]> =>
      (await driver.list({ name: 'Report', limit: 1_000 })).sort((a, b) => a.createdAt - b.createdAt);
    const scheduledAt = (record: JobRecord) =>
      (JSON.parse(record.options) as { json: { meta: { scheduledAt: number } } }).json.meta.scheduledAt;
    const info = async (name: string) => (await conveyor.schedules.get(name)) as ScheduleInfo;
    /** Finishes a job the way a worker would (reserve, then settle as completed). */
    const finish = async (job: JobRecord) => {
      const token = randomUUID();
      const reserved = await driver.reserve({
        queues: [job.queue],
        max: 1,
        leaseMs: 30_000,
        workerId: 'test-worker',
        token,
        now: clock.now(),
      });
      expect(reserved.jobs.map((j) => j.id)).toEqual([job.id]);
      await driver.settle(
        [{ jobId: job.id, token, outcome: { type: 'completed', result: null } }],
        clock.now(),
      );
    };

    beforeEach(async () => {
      driver = await factory.create();
      clock = new FakeClock();
      schedulers = [];
      conveyor = newConveyor();
    });
    afterEach(async () => {
      await Promise.all(schedulers.map((s) => s.close()));
      await factory.destroy(driver);
    });

    it('saves code-defined schedules when a scheduler starts and lists them with their next run time', async () => {
      conveyor.schedule(new Report()).dailyAt('02:00').timezone('Europe/Paris').name('nightly');
      conveyor.schedule(new Report('sales')).everyFiveMinutes();
      expect(await conveyor.schedules.list()).toEqual([]);

      await scheduler().start();

      expect(await conveyor.schedules.list()).toEqual([
        {
          name: 'Report */5 * * * * UTC',
          cron: '*/5 * * * *',
          timezone: 'UTC',
          job: 'Report',
          queue: 'default',
          paused: false,
          nextRunAt: T0 + 5 * MINUTE,
          lastRunAt: null,
          missed: 'once',
          unique: null,
          startsAt: null,
          endsAt: null,
          source: 'code',
        },
        expect.objectContaining({ name: 'nightly', cron: '0 2 * * *', nextRunAt: Date.UTC(2026, 0, 1, 1) }),
      ]);
    });

    it('dispatches each occurrence on time as the clock advances, with the stored options', async () => {
      conveyor
        .schedule(new Report('sales'))
        .everyFiveMinutes()
        .name('report')
        .onQueue('reports')
        .priority('high')
        .maxAttempts(3)
        .meta({ tenant: 't-1' });
      const s = scheduler();
      const runs: ScheduleRun[] = [];
      s.on('dispatched', (run) => runs.push(run));
      await s.start();

      await advance(5 * MINUTE - 1);
      expect(await jobs()).toEqual([]);
      await advance(1);
      const [first] = await jobs();
      expect(first).toMatchObject({
        queue: 'reports',
        priority: 3,
        maxAttempts: 3,
        state: 'pending',
        createdAt: T0 + 5 * MINUTE,
      });
      expect(JSON.parse(first!.payload)).toEqual({ json: { team: 'sales' } });
      expect(JSON.parse(first!.options).json.meta).toEqual({
        tenant: 't-1',
        schedule: 'report',
        scheduledAt: T0 + 5 * MINUTE,
      });

      for (let i = 0; i < 3; i++) await advance(5 * MINUTE);
      const all = await jobs();
      expect(all.map(scheduledAt)).toEqual([5, 10, 15, 20].map((m) => T0 + m * MINUTE));
      expect(all.map((j) => j.createdAt)).toEqual(all.map(scheduledAt));
      expect(runs.map((r) => [r.schedule, r.at, r.outcome])).toEqual(
        [5, 10, 15, 20].map((m) => ['report', T0 + m * MINUTE, 'dispatched']),
      );
      expect(await info('report')).toMatchObject({
        lastRunAt: T0 + 20 * MINUTE,
        nextRunAt: T0 + 25 * MINUTE,
      });
    });

    it('runs 6-field (every second) and timezone schedules at the right instants', async () => {
      conveyor.schedule(new Report()).everySecond().name('tick');
      // 09:00 in Paris is 08:00 UTC in January.
      conveyor.schedule(new Report()).weekdays().dailyAt('09:00').timezone('Europe/Paris').name('paris');
      await scheduler().start();

      for (let i = 0; i < 5; i++) await advance(SECOND);
      expect((await jobs()).map(scheduledAt)).toEqual([1, 2, 3, 4, 5].map((s) => T0 + s * SECOND));

      await conveyor.schedules.pause('tick');
      await advance(8 * HOUR - 5 * SECOND);
      const paris = (await jobs()).filter((j) => JSON.parse(j.options).json.meta.schedule === 'paris');
      expect(paris.map(scheduledAt)).toEqual([Date.UTC(2026, 0, 1, 8)]);
      // Thursday 1st, Friday 2nd, then Monday 5th (the weekend is skipped).
      expect((await info('paris')).nextRunAt).toBe(Date.UTC(2026, 0, 2, 8));
      await advance(Date.UTC(2026, 0, 2, 8) - clock.now());
      expect((await info('paris')).nextRunAt).toBe(Date.UTC(2026, 0, 5, 8));
    });

    it("missed 'once' (default): occurrences that passed while nothing ran are dispatched once on start", async () => {
      await conveyor.schedules.create(new ScheduledJob(new Report()).hourly().name('hourly'));
      await clock.advance(5 * HOUR + 30 * MINUTE); // no scheduler runs: 01:00 .. 05:00 are missed

      const s = scheduler();
      const runs: ScheduleRun[] = [];
      s.on('dispatched', (run) => runs.push(run));
      await s.start();

      expect(await jobs()).toHaveLength(1);
      expect(runs).toEqual([
        { schedule: 'hourly', at: T0 + HOUR, outcome: 'dispatched', jobId: expect.any(String) },
      ]);
      expect(await info('hourly')).toMatchObject({ lastRunAt: T0 + HOUR, nextRunAt: T0 + 6 * HOUR });

      await advance(30 * MINUTE);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + HOUR, T0 + 6 * HOUR]);
    });

    it("missed 'skip': nothing is dispatched for missed occurrences; the schedule resumes at the next one", async () => {
      await conveyor.schedules.create(new ScheduledJob(new Report()).hourly().missed('skip').name('hourly'));
      await clock.advance(5 * HOUR + 30 * MINUTE);

      const s = scheduler();
      const skipped: ScheduleRun[] = [];
      s.on('skipped', (run) => skipped.push(run));
      await s.start();

      expect(await jobs()).toEqual([]);
      expect(skipped).toEqual([{ schedule: 'hourly', at: T0 + HOUR, outcome: 'missed', jobId: null }]);
      expect(await info('hourly')).toMatchObject({ missed: 'skip', nextRunAt: T0 + 6 * HOUR });

      await advance(30 * MINUTE);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + 6 * HOUR]);
    });

    it("missed 'skip' still dispatches an occurrence reached within a minute of its time", async () => {
      await conveyor.schedules.create(new ScheduledJob(new Report()).everyMinute().missed('skip').name('m'));
      await clock.advance(MINUTE + 30 * SECOND);

      await scheduler().start();

      expect((await jobs()).map(scheduledAt)).toEqual([T0 + MINUTE]);
    });

    it('pauses and resumes a schedule in every scheduler; occurrences while paused are not dispatched', async () => {
      conveyor.schedule(new Report()).everyMinute().name('minutely');
      await scheduler().start();
      await advance(MINUTE);
      expect(await jobs()).toHaveLength(1);

      expect(await conveyor.schedules.pause('minutely')).toBe(true);
      expect(await info('minutely')).toMatchObject({ paused: true, nextRunAt: null });
      for (let i = 0; i < 3; i++) await advance(MINUTE);
      expect(await jobs()).toHaveLength(1);

      await advance(30 * SECOND);
      expect(await conveyor.schedules.resume('minutely')).toBe(true);
      expect(await info('minutely')).toMatchObject({ paused: false, nextRunAt: T0 + 5 * MINUTE });
      await advance(30 * SECOND);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + MINUTE, T0 + 5 * MINUTE]);

      expect(await conveyor.schedules.pause('no-such-schedule')).toBe(false);
      expect(await conveyor.schedules.resume('no-such-schedule')).toBe(false);
    });

    it('a paused code-defined schedule stays paused when a scheduler starts again', async () => {
      conveyor.schedule(new Report()).everyMinute().name('minutely');
      await scheduler().start();
      await conveyor.schedules.pause('minutely');

      const again = newConveyor();
      again.schedule(new Report()).everyMinute().name('minutely');
      await scheduler(again).start();
      await advance(2 * MINUTE);

      expect(await info('minutely')).toMatchObject({ paused: true });
      expect(await jobs()).toEqual([]);
    });

    it('creates, lists and deletes schedules at run time; running schedulers pick them up', async () => {
      const s = scheduler();
      await s.start();

      const created = await conveyor.schedules.create(
        new ScheduledJob(new Report('finance')).dailyAt('02:00').timezone('Europe/Paris').name('nightly'),
      );
      expect(created).toMatchObject({
        name: 'nightly',
        cron: '0 2 * * *',
        timezone: 'Europe/Paris',
        job: 'Report',
        source: 'runtime',
        nextRunAt: Date.UTC(2026, 0, 1, 1),
      });
      await conveyor.schedules.create(new ScheduledJob(new Report()).everyTenMinutes().name('ten'));
      expect((await conveyor.schedules.list()).map((i) => [i.name, i.nextRunAt])).toEqual([
        ['nightly', Date.UTC(2026, 0, 1, 1)],
        ['ten', T0 + 10 * MINUTE],
      ]);

      await advance(10 * MINUTE);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + 10 * MINUTE]);

      expect(await conveyor.schedules.delete('ten')).toBe(true);
      expect(await conveyor.schedules.delete('ten')).toBe(false);
      expect((await conveyor.schedules.list()).map((i) => i.name)).toEqual(['nightly']);
      await advance(49 * MINUTE);
      expect(await jobs()).toHaveLength(1);

      await advance(MINUTE);
      const last = (await jobs()).at(-1)!;
      expect(scheduledAt(last)).toBe(Date.UTC(2026, 0, 1, 1));
      expect(JSON.parse(last.payload)).toEqual({ json: { team: 'finance' } });
    });

    it('acts at once on changes made in its own process, without waiting for a refresh', async () => {
      const s = new Scheduler({ conveyor, refresh: '1h' });
      schedulers.push(s);
      await s.start();

      await conveyor.schedules.create(new ScheduledJob(new Report()).everyMinute().name('m'));
      await advance(MINUTE);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + MINUTE]);

      await conveyor.schedules.pause('m');
      await advance(2 * MINUTE + 30 * SECOND);
      await conveyor.schedules.resume('m');
      await advance(30 * SECOND);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + MINUTE, T0 + 4 * MINUTE]);
    });

    it('create() replaces a schedule of the same name, keeping its last run', async () => {
      await conveyor.schedules.create(new ScheduledJob(new Report()).everyMinute().name('r'));
      await scheduler().start();
      await advance(MINUTE);

      const replaced = await conveyor.schedules.create(
        new ScheduledJob(new Report()).everyFiveMinutes().name('r'),
      );
      expect(replaced).toMatchObject({
        cron: '*/5 * * * *',
        lastRunAt: T0 + MINUTE,
        nextRunAt: T0 + 5 * MINUTE,
      });
      await advance(4 * MINUTE);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + MINUTE, T0 + 5 * MINUTE]);
    });

    it('dispatches each occurrence exactly once however many schedulers run it', async () => {
      conveyor.schedule(new Report()).everySecond().name('every-second');
      const others = [newConveyor(), newConveyor()];
      for (const other of others) other.schedule(new Report()).everySecond().name('every-second');
      const all = [scheduler(), scheduler(others[0]), scheduler(others[1])];
      const runs: ScheduleRun[] = [];
      for (const s of all) s.on('dispatched', (run) => runs.push(run));
      await Promise.all(all.map((s) => s.start()));

      for (let i = 0; i < 10; i++) await advance(SECOND);

      const times = (await jobs()).map(scheduledAt);
      expect(times).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (i + 1) * SECOND));
      expect(runs.map((r) => r.at)).toEqual(times);
    });

    it('gives an occurrence to one of several schedulers ticking it at the same moment', async () => {
      await conveyor.schedules.create(new ScheduledJob(new Report()).everyMinute().name('m'));
      const all = Array.from({ length: 5 }, () => scheduler(newConveyor()));
      await clock.advance(MINUTE);

      const runs = (await Promise.all(all.map((s) => s.tick()))).flat();

      expect(runs).toEqual([
        { schedule: 'm', at: T0 + MINUTE, outcome: 'dispatched', jobId: expect.any(String) },
      ]);
      expect((await jobs()).map((j) => j.id)).toEqual([runs[0]!.jobId]);
    });

    it('withoutOverlapping() skips an occurrence while the previous run is unfinished', async () => {
      conveyor.schedule(new Report()).everyMinute().withoutOverlapping().name('slow');
      conveyor.schedule(new Report('other')).everyMinute().onQueue('other').name('overlaps');
      const s = scheduler();
      const skipped: ScheduleRun[] = [];
      s.on('skipped', (run) => skipped.push(run));
      await s.start();
      expect(await info('slow')).toMatchObject({
        unique: { key: 'schedule:slow', ttlMs: 24 * HOUR, until: 'completed' },
      });

      await advance(MINUTE);
      const [first] = (await jobs()).filter((j) => j.payload.includes('"ops"'));
      await advance(MINUTE); // the first run is still pending
      expect(skipped).toEqual([
        { schedule: 'slow', at: T0 + 2 * MINUTE, outcome: 'overlapping', jobId: first!.id },
      ]);

      await finish(first!);
      await advance(MINUTE);
      const slow = (await jobs()).filter((j) => j.payload.includes('"ops"'));
      expect(slow.map(scheduledAt)).toEqual([T0 + MINUTE, T0 + 3 * MINUTE]);
      // Without the option, runs overlap freely.
      expect((await jobs()).filter((j) => j.payload.includes('"other"'))).toHaveLength(3);
    });

    it('dispatches only between startsAt and endsAt', async () => {
      conveyor
        .schedule(new Report())
        .everyMinute()
        .between(new Date(T0 + 2 * MINUTE), new Date(T0 + 4 * MINUTE))
        .name('window');
      await scheduler().start();
      expect((await info('window')).nextRunAt).toBe(T0 + 2 * MINUTE);

      for (let i = 0; i < 6; i++) await advance(MINUTE);

      expect((await jobs()).map(scheduledAt)).toEqual([2, 3, 4].map((m) => T0 + m * MINUTE));
      expect(await info('window')).toMatchObject({ nextRunAt: null, lastRunAt: T0 + 4 * MINUTE });
    });

    it('never gets stuck on a stored next run that is not after the last claimed occurrence', async () => {
      await conveyor.schedules.create(new ScheduledJob(new Report()).everyMinute().name('m'));
      const [record] = await driver.listSchedules();
      // As a save from a stale read, or a process whose clock runs behind, may leave it.
      await driver.saveSchedule({ ...record!, lastRunAt: T0 + 2 * MINUTE, nextRunAt: T0 + MINUTE });
      await scheduler().start();

      await advance(2 * MINUTE);
      expect(await jobs()).toEqual([]);
      await advance(MINUTE);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + 3 * MINUTE]);
    });

    it('lists an unreadable stored schedule, reports it once, and runs the others', async () => {
      await conveyor.schedules.create(new ScheduledJob(new Report()).everyMinute().name('good'));
      await driver.saveSchedule({
        name: 'broken',
        definition: '{"v":99}',
        paused: false,
        nextRunAt: T0,
        lastRunAt: null,
      });
      const s = scheduler();
      const errors: Error[] = [];
      s.on('error', (error) => errors.push(error));
      await s.start();

      await advance(MINUTE);
      await advance(MINUTE);
      expect((await jobs()).map(scheduledAt)).toEqual([T0 + MINUTE, T0 + 2 * MINUTE]);
      expect(errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/Stored schedule "broken" is not a schedule/),
      ]);
      expect(await conveyor.schedules.get('broken')).toEqual({
        name: 'broken',
        paused: false,
        nextRunAt: T0,
        lastRunAt: null,
        error: expect.stringContaining('"broken"'),
      });
      expect(await conveyor.schedules.delete('broken')).toBe(true);
    });

    it('a scheduler dispatches persisted schedules whose job class it does not know', async () => {
      await conveyor.schedules.create(new ScheduledJob(new Report('x')).everyMinute().name('r'));
      const bare = new Conveyor({ driver, clock });
      await scheduler(bare).start();
      await advance(MINUTE);
      expect(await jobs()).toHaveLength(1);
    });

    it('refuses two code-defined schedules with one name', async () => {
      conveyor.schedule(new Report()).daily();
      conveyor.schedule(new Report('other')).daily();
      await expect(scheduler().start()).rejects.toThrow(ConfigurationError);
      await expect(scheduler().start()).rejects.toThrow(/Two schedules are named "Report 0 0 \* \* \* UTC"/);
    });

    it('runs inside a worker by default, and not with scheduler: false', async () => {
      const ran: string[] = [];
      class Ping extends Job {
        handle() {
          ran.push('ping');
        }
      }
      const withScheduler = new Conveyor({ driver, clock, jobs: [Ping] });
      withScheduler.schedule(new Ping()).everyMinute().name('ping');
      const worker = new Worker({ conveyor: withScheduler });
      const completed = new Promise((resolve) => worker.once('completed', resolve));
      try {
        await worker.start();
        expect((await withScheduler.schedules.get('ping'))?.nextRunAt).toBe(T0 + MINUTE);
        await clock.advance(MINUTE);
        await completed;
        expect(ran).toEqual(['ping']);
      } finally {
        await worker.close({ timeout: 0 });
      }
      await clock.advance(MINUTE);
      expect(ran).toEqual(['ping']); // closing the worker stopped its scheduler

      const without = new Conveyor({ driver, clock, jobs: [Ping] });
      without.schedule(new Ping()).everyMinute().name('ping');
      const quiet = new Worker({ conveyor: without, scheduler: false });
      try {
        await quiet.start();
        await clock.advance(2 * MINUTE);
        expect(await driver.list({ name: 'Ping', state: 'pending' })).toEqual([]);
      } finally {
        await quiet.close({ timeout: 0 });
      }
    });

    it('stops on close(): no timer left, nothing dispatched afterwards', async () => {
      conveyor.schedule(new Report()).everyMinute();
      const s = scheduler();
      await s.start();
      expect(s.running).toBe(true);
      await s.close();
      await s.close();
      expect(s.running).toBe(false);
      expect(clock.pendingTimers).toBe(0);
      await advance(5 * MINUTE);
      expect(await jobs()).toEqual([]);
    });
  });
}
