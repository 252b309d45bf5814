// Cron schedules on the in-memory driver: defined in code, created at run time, listed, paused and resumed.
// expect-output: done: heartbeat ran [1-9]\d* times, cleanup ran [1-9]\d* times
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type JobContext, Queue, Schedule, ScheduledJob, Worker } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';

const started = Date.now();
const log = (line: string) => console.log(`${String(Date.now() - started).padStart(5)} ms  ${line}`);
const ran = { heartbeat: 0, cleanup: 0 };

class Heartbeat extends Job {
  static jobName = 'Heartbeat';

  handle(ctx: JobContext) {
    ran.heartbeat++;
    // Every scheduled job knows its schedule and the occurrence it runs for.
    log(`heartbeat for ${new Date(ctx.meta.scheduledAt as number).toISOString()}`);
  }
}

class CleanupTmp extends Job {
  static jobName = 'CleanupTmp';

  constructor(public dir: string) {
    super();
  }

  handle() {
    ran.cleanup++;
    log(`cleaned ${this.dir}`);
  }
}

class DailyReport extends Job {
  static jobName = 'DailyReport';

  handle() {}
}

Queue.use(new MemoryDriver());

// Defined in code, Laravel style: saved to the driver when a scheduler starts (every worker runs one).
Schedule.job(new Heartbeat()).everySecond().name('heartbeat');
Schedule.job(new DailyReport()).dailyAt('02:00').timezone('Europe/Paris').withoutOverlapping();

// Created at run time and persisted by the driver: every process sharing it runs the schedule.
await Queue.schedules.create(
  new ScheduledJob(new CleanupTmp('/tmp/uploads')).everySeconds(2).name('cleanup'),
);

const worker = new Worker({ jobs: [Heartbeat, CleanupTmp, DailyReport], concurrency: 2 });
await worker.start();

for (const schedule of await Queue.schedules.list()) {
  const next = schedule.nextRunAt === null ? 'never' : new Date(schedule.nextRunAt).toISOString();
  log(`schedule ${JSON.stringify(schedule.name)} next runs at ${next}`);
}

await sleep(2_000);
await Queue.schedules.pause('heartbeat');
log('paused heartbeat');
await sleep(1_100);
await Queue.schedules.resume('heartbeat');
log('resumed heartbeat');
await sleep(1_100);
await Queue.schedules.delete('cleanup');

await worker.close({ timeout: '5s' });
await Queue.close();
console.log(`done: heartbeat ran ${ran.heartbeat} times, cleanup ran ${ran.cleanup} times`);
