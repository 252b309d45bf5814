// The tests of docs/testing.md: the guide's code blocks are excerpts of this file and of examples/signup/app.ts.
import { Conveyor, FakeClock } from '@conveyor/core';
import { fake, Queue, type QueueFake } from '@conveyor/core/testing';
import { MemoryDriver } from '@conveyor/memory-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CreateAccount,
  MarkOnboarded,
  type Plan,
  ProvisionWorkspace,
  provideServices,
  registerUser,
  SendCheckIn,
  SendTip,
  SendWelcomeEmail,
  type Services,
  SyncToCrm,
  signupJobs,
} from '../../examples/signup/app.js';

describe('registerUser, with Queue.fake()', () => {
  let queue: QueueFake;

  beforeEach(() => {
    queue = Queue.fake(); // record dispatches on Queue instead of storing them
  });

  afterEach(() => {
    queue.restore(); // put the real driver back
  });

  it('creates the account, then sends the welcome email', async () => {
    await registerUser({ id: 'u-1', email: 'ada@example.com', plan: 'free' });

    queue.assertChained([new CreateAccount('u-1', 'ada@example.com', 'free'), SendWelcomeEmail]);
    queue.assertDispatchedOn('emails', SendWelcomeEmail, (job) => job.email === 'ada@example.com');
  });

  it('starts the onboarding batch, marked done when it completes', async () => {
    await registerUser({ id: 'u-1', email: 'ada@example.com', plan: 'team' });

    queue.assertBatchCount(1);
    queue.assertBatched(
      (batch) =>
        batch.name === 'onboarding:u-1' &&
        batch.has(SyncToCrm, (job) => job.plan === 'team') &&
        batch.has(ProvisionWorkspace) &&
        batch.then.some(({ job }) => job instanceof MarkOnboarded),
    );
  });

  it('provisions a workspace for teams only', async () => {
    await registerUser({ id: 'u-2', email: 'solo@example.com', plan: 'free' });

    queue.assertNotDispatched(ProvisionWorkspace);
  });

  it('checks in three days later', async () => {
    await registerUser({ id: 'u-1', email: 'ada@example.com', plan: 'free' });

    queue.assertDispatched(
      SendCheckIn,
      (job, dispatch) => job.userId === 'u-1' && dispatch.delayMs === 3 * 24 * 3_600_000,
    );
    queue.assertDispatchedTimes(SendCheckIn, 1);
  });

  it('says what was dispatched when an assertion fails', async () => {
    await registerUser({ id: 'u-1', email: 'ada@example.com', plan: 'free' });

    expect(() => queue.assertDispatched(SendTip, (job) => job.tip === 'import-calendar')).toThrow(
      [
        'Expected signup.send-tip matching the predicate to be dispatched, but the only signup.send-tip job dispatched does not match:',
        `  1. signup.send-tip on "emails" { email: 'ada@example.com', tip: 'import-contacts' } · in batch "onboarding:u-1"`,
      ].join('\n'),
    );
    expect(() => queue.assertNothingDispatched()).toThrow(
      [
        'Expected nothing to be dispatched, but 5 jobs were:',
        `  1. signup.create-account on "default" { userId: 'u-1', email: 'ada@example.com', plan: 'free' } · link 1/2 of a chain`,
        `  2. signup.welcome-email on "emails" { userId: 'u-1', email: 'ada@example.com' } · link 2/2 of a chain`,
        `  3. signup.sync-to-crm on "default" { email: 'ada@example.com', plan: 'free' } · in batch "onboarding:u-1"`,
        `  4. signup.send-tip on "emails" { email: 'ada@example.com', tip: 'import-contacts' } · in batch "onboarding:u-1"`,
        `  5. signup.check-in on "emails" { userId: 'u-1', email: 'ada@example.com' } · delayed 3d`,
      ].join('\n'),
    );
  });
});

/** In-memory stand-ins for the app's services, recording what the jobs did. */
function inMemoryServices() {
  const accounts = new Map<string, { email: string; plan: Plan; onboarded: boolean }>();
  const sent: Array<{ to: string; template: string }> = [];
  /** Templates the mailer fails to send, with how many more times. */
  const failing = new Map<string, number>();
  const services: Services = {
    accounts: {
      async create(userId, email, plan) {
        accounts.set(userId, { email, plan, onboarded: false });
      },
      async markOnboarded(userId) {
        accounts.get(userId)!.onboarded = true;
      },
    },
    mailer: {
      async send(to, template) {
        const failures = failing.get(template) ?? 0;
        if (failures > 0) {
          failing.set(template, failures - 1);
          throw new Error('mailer unavailable');
        }
        sent.push({ to, template });
      },
    },
    crm: { async upsert() {} },
    workspaces: { async provision() {} },
  };
  const failMailer = (template: string, times: number) => failing.set(template, times);
  return { services, accounts, sent, failMailer };
}

describe('registerUser, run on the memory driver', () => {
  let clock: FakeClock;
  let conveyor: Conveyor;
  let app: ReturnType<typeof inMemoryServices>;

  beforeEach(() => {
    clock = new FakeClock(new Date('2026-03-02T09:00:00Z'));
    conveyor = new Conveyor({ driver: new MemoryDriver(), clock, jobs: signupJobs });
    app = inMemoryServices();
    provideServices(app.services);
  });

  afterEach(async () => {
    await conveyor.close();
  });

  it('creates the account, welcomes the user and completes onboarding', async () => {
    const { chainId, batchId } = await registerUser(
      { id: 'u-1', email: 'ada@example.com', plan: 'team' },
      conveyor,
    );

    await conveyor.drain(); // runs everything due now, with the worker code production runs

    expect(app.accounts.get('u-1')).toEqual({ email: 'ada@example.com', plan: 'team', onboarded: true });
    expect(app.sent).toContainEqual({ to: 'ada@example.com', template: 'welcome' });
    expect(await (await conveyor.findChain(chainId))?.status()).toBe('completed');
    expect(await (await conveyor.findBatch(batchId))?.progress()).toMatchObject({ total: 3, finished: true });
  });

  it('retries the welcome email a minute after the mailer failed', async () => {
    app.failMailer('welcome', 1);
    await registerUser({ id: 'u-1', email: 'ada@example.com', plan: 'free' }, conveyor);

    await conveyor.drain();
    expect(app.sent.map((mail) => mail.template)).not.toContain('welcome');

    await clock.advance('1m'); // the backoff is over: the retry is due
    await conveyor.drain();
    expect(app.sent.map((mail) => mail.template)).toContain('welcome');
  });

  it('checks in three days later', async () => {
    await registerUser({ id: 'u-1', email: 'ada@example.com', plan: 'free' }, conveyor);

    await conveyor.drain({ advance: true }); // moves the clock to each next due job until none is left

    expect(app.sent.at(-1)).toEqual({ to: 'ada@example.com', template: 'check-in' });
    expect(new Date(clock.now()).toISOString()).toBe('2026-03-05T09:00:00.000Z');
  });

  it('runs the signup for real, and only records the check-in', async () => {
    const checkIns = fake(conveyor, { only: [SendCheckIn] }); // other jobs go to the memory driver
    await registerUser({ id: 'u-1', email: 'ada@example.com', plan: 'free' }, conveyor);

    await conveyor.drain({ advance: true });

    expect(app.accounts.get('u-1')?.onboarded).toBe(true);
    expect(app.sent.map((mail) => mail.template)).not.toContain('check-in');
    checkIns.assertDispatched(SendCheckIn, (_job, dispatch) => dispatch.delayMs === 3 * 24 * 3_600_000);
    checkIns.restore();
  });
});
