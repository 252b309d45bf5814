// Job middleware and queue limits on the in-memory driver: a shared rate limit, an overlap lock, skipIf, a circuit breaker, a custom timer, Queue.limit.
// expect-output: rate limit: 6 sends, at most 2 per 1 s window; overlap: 4 syncs, never two at once; skipped 1 paid reminder; throttle: 2 failures opened it, \d+ calls waited, all 4 done; queue limit: at most 1 report at once
import {
  Job,
  type Middleware,
  Queue,
  rateLimited,
  skipIf,
  throttlesExceptions,
  Worker,
  withoutOverlapping,
} from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';

const started = Date.now();
const log = (line: string) => console.log(`${String(Date.now() - started).padStart(5)} ms  ${line}`);

// A custom middleware is a plain function: (job, ctx, next) => result. It runs the job with `await next()`.
const timed: Middleware = async (_job, ctx, next) => {
  const at = Date.now();
  try {
    return await next();
  } finally {
    log(`  ${ctx.name} took ${Date.now() - at} ms`);
  }
};

// At most 2 sends start per 1 s window, counted in the driver: every worker process shares the limit.
// A send over the limit is released until the window ends; that does not use up an attempt.
const sendStarts: number[] = [];
class SendNewsletter extends Job {
  static jobName = 'SendNewsletter';
  static middleware = [rateLimited('newsletter', { limit: 2, per: '1s' })];

  constructor(public to: string) {
    super();
  }

  handle() {
    sendStarts.push(Date.now());
    log(`sent the newsletter to ${this.to}`);
  }
}

// Never two syncs of one account at once (in any process): the others wait 50 ms and try again.
let syncing = 0;
let mostSyncing = 0;
class SyncAccount extends Job {
  static jobName = 'SyncAccount';
  // Outermost first: the lock is taken before `timed` runs, so only real runs are timed.
  static middleware = [
    withoutOverlapping((job: SyncAccount) => job.account, { releaseAfter: '50ms', expireAfter: '1m' }),
    timed,
  ];

  constructor(
    public account: string,
    public run: number,
  ) {
    super();
  }

  async handle() {
    mostSyncing = Math.max(mostSyncing, ++syncing);
    log(`sync ${this.run} of ${this.account}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    syncing--;
  }
}

// Skip the job (it completes without running) when the invoice is already paid.
const paid = new Set(['inv-2']);
let reminded = 0;
class SendReminder extends Job {
  static jobName = 'SendReminder';
  static middleware = [skipIf((job: SendReminder) => paid.has(job.invoice))];

  constructor(public invoice: string) {
    super();
  }

  handle() {
    reminded++;
    log(`reminded about ${this.invoice}`);
  }
}

// A circuit breaker: after 2 failures within a 1 s window, calls wait (released for 300 ms, attempts not used)
// instead of hammering a service that is down. The failed calls are retried the ordinary way.
let crmUp = false;
let crmFailures = 0;
let crmWaits = 0;
class CallCrm extends Job {
  static jobName = 'CallCrm';
  static maxAttempts = 3;
  static backoff = 1_000;
  static middleware = [throttlesExceptions(2, { per: '1s', backoff: '300ms' })];

  constructor(public n: number) {
    super();
  }

  handle() {
    if (!crmUp) {
      crmFailures++;
      if (crmFailures === 2) setTimeout(() => (crmUp = true), 200); // the service comes back
      throw new Error('CRM unavailable');
    }
    log(`CRM call ${this.n} done`);
  }
}

// Queue-level limits, shared by every worker: see Queue.limit() below.
let building = 0;
let mostBuilding = 0;
class BuildReport extends Job {
  static jobName = 'BuildReport';
  static queue = 'reports';

  async handle() {
    mostBuilding = Math.max(mostBuilding, ++building);
    await new Promise((resolve) => setTimeout(resolve, 30));
    building--;
  }
}

Queue.use(new MemoryDriver());
// At most one report builds at a time across all workers, and at most 10 start per minute.
await Queue.limit('reports', { concurrency: 1, limit: 10, per: '1m' });
const worker = new Worker({
  jobs: [SendNewsletter, SyncAccount, SendReminder, CallCrm, BuildReport],
  queues: ['default', 'reports'],
  concurrency: 5,
});
worker.on('released', (job, at) => {
  if (job.name === 'CallCrm') crmWaits++;
  if (job.name !== 'SyncAccount') log(`${job.name} ${job.id.slice(0, 8)} waits until +${at - started} ms`);
});
worker.on('retrying', (job, error) => log(`${job.name} attempt ${job.attempt} failed: ${error.message}`));

const handles = [];
for (const to of ['ada', 'grace', 'alan', 'edsger', 'barbara', 'donald']) {
  handles.push(await Queue.dispatch(new SendNewsletter(`${to}@example.com`)));
}
for (let run = 1; run <= 4; run++) handles.push(await Queue.dispatch(new SyncAccount('acme', run)));
for (const invoice of ['inv-1', 'inv-2']) handles.push(await Queue.dispatch(new SendReminder(invoice)));
for (let n = 1; n <= 4; n++) handles.push(await Queue.dispatch(new CallCrm(n)));
for (let n = 1; n <= 3; n++) handles.push(await Queue.dispatch(new BuildReport()));

await worker.start();
await Promise.all(handles.map((handle) => handle.wait({ timeout: '10s' })));
await worker.close();
await Queue.close();

const windows = new Map<number, number>();
for (const at of sendStarts)
  windows.set(Math.floor(at / 1_000), (windows.get(Math.floor(at / 1_000)) ?? 0) + 1);
console.log(
  `rate limit: ${sendStarts.length} sends, at most ${Math.max(...windows.values())} per 1 s window; ` +
    `overlap: 4 syncs, ${mostSyncing === 1 ? 'never two at once' : `${mostSyncing} at once!`}; ` +
    `skipped ${2 - reminded} paid reminder; ` +
    `throttle: ${crmFailures} failures opened it, ${crmWaits} calls waited, all 4 done; ` +
    `queue limit: at most ${mostBuilding} report at once`,
);
