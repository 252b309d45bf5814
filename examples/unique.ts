// Uniqueness locks on the in-memory driver: duplicates get the holder's handle, uniqueId(), until 'started', a TTL.
// expect-output: 10 dispatches stored 1 report \(9 duplicates\); sync 42 deduplicated by uniqueId; import queued while one ran; TTL let a new job in
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type JobContext, Queue, Worker } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';

const started = Date.now();
const log = (line: string) => console.log(`${String(Date.now() - started).padStart(5)} ms  ${line}`);

// Unique per payload: the key is the job name plus a hash of its payload, so two reports of one month share a
// lock until the first one completes (until: 'completed', the default).
class MonthlyReport extends Job<string> {
  static jobName = 'MonthlyReport';
  static unique = true;

  constructor(public month: string) {
    super();
  }

  async handle() {
    await sleep(50);
    return `report for ${this.month}`;
  }
}

// Unique per account, whatever else the payload says: uniqueId() supplies the key (`SyncAccount:42`).
class SyncAccount extends Job {
  static jobName = 'SyncAccount';
  static unique = { for: '1h' }; // the lock outlives a vanished job by one hour at most

  constructor(
    public accountId: number,
    public reason: string,
  ) {
    super();
  }

  uniqueId() {
    return this.accountId;
  }

  handle() {
    log(`synced account ${this.accountId} (${this.reason})`);
  }
}

// until: 'started': the lock goes as soon as a worker starts the job, so one more can queue while it runs.
class ImportFeed extends Job {
  static jobName = 'ImportFeed';
  static unique = { until: 'started' } as const;

  async handle(ctx: JobContext) {
    log(`import ${ctx.id.slice(0, 8)} running`);
    await sleep(100);
  }
}

class Plain extends Job {
  static jobName = 'Plain';
  handle() {}
}

Queue.use(new MemoryDriver());
// A duplicate is not an error: the dispatch returns the holder's handle, and the conveyor says so.
let duplicateEvents = 0;
Queue.on('duplicate', (d) => {
  if (duplicateEvents++ === 0) log(`duplicate of ${d.name}: key ${d.key} is held by job ${d.id.slice(0, 8)}`);
});

// 1. Ten dispatches at once: one job stored, nine handles pointing at it with duplicate: true.
const handles = await Promise.all(
  Array.from({ length: 10 }, () => Queue.dispatch(new MonthlyReport('2026-01'))),
);
const reports = (await Queue.list({ name: 'MonthlyReport' })).length;
const duplicates = handles.filter((handle) => handle.duplicate).length;

// 2. uniqueId(): a second sync of account 42 is turned away, account 7 is not.
const sync = await Queue.dispatch(new SyncAccount(42, 'signup'));
const again = await Queue.dispatch(new SyncAccount(42, 'plan change'));
await Queue.dispatch(new SyncAccount(7, 'signup'));

// 3. until: 'started': held while the import waits...
const firstImport = await Queue.dispatch(new ImportFeed());
const whileWaiting = await Queue.dispatch(new ImportFeed());
const worker = new Worker({ jobs: [MonthlyReport, SyncAccount, ImportFeed, Plain], concurrency: 5 });
const importRunning = new Promise<void>((resolve) =>
  worker.on('processing', (job) => job.id === firstImport.id && resolve()),
);
await worker.start();
await importRunning;
// ...and free once a worker started it.
const secondImport = await Queue.dispatch(new ImportFeed());

log(`report: ${await handles[0]!.wait()}`);
await Promise.all([sync.wait(), firstImport.wait(), secondImport.wait()]);
// Completed: the report's key is free again, so the same month may be dispatched once more.
const rerun = await Queue.dispatch(new MonthlyReport('2026-01'));

// 4. A TTL (`for`) bounds the lock: after 200 ms a new job gets in even though the holder has not run yet.
const holder = await Queue.dispatch(new Plain()).unique({ key: 'nightly', for: '200ms' }).delay('1h');
const tooSoon = await Queue.dispatch(new Plain()).unique({ key: 'nightly', for: '200ms' });
await sleep(250);
const afterTtl = await Queue.dispatch(new Plain()).unique({ key: 'nightly', for: '200ms' });

await rerun.wait();
await afterTtl.wait();
await worker.close();
await Queue.close();

log(
  `${duplicateEvents} duplicate events; the report dispatched again after it completed: duplicate ${rerun.duplicate}`,
);
console.log(
  `${handles.length} dispatches stored ${reports} report (${duplicates} duplicates); ` +
    `sync 42 ${again.duplicate && again.id === sync.id ? 'deduplicated by uniqueId' : 'NOT deduplicated'}; ` +
    `import ${whileWaiting.duplicate && !secondImport.duplicate ? 'queued while one ran' : 'NOT queued'}; ` +
    `TTL ${tooSoon.duplicate && tooSoon.id === holder.id && !afterTtl.duplicate ? 'let a new job in' : 'did not expire'}`,
);
