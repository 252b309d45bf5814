// The signup flow of docs/testing.md: registerUser() dispatches a chain, a batch and a delayed job.
// Not a script (the examples smoke test runs only examples/*.ts): test/testing/signup-guide.test.ts tests it.
import { type Conveyor, Job, Queue } from '@conveyor/core';

export type Plan = 'free' | 'team';

/** What the jobs talk to: the app wires real clients at startup, tests wire in-memory ones. */
export interface Services {
  accounts: {
    create(userId: string, email: string, plan: Plan): Promise<void>;
    markOnboarded(userId: string): Promise<void>;
  };
  mailer: { send(to: string, template: string): Promise<void> };
  crm: { upsert(email: string, plan: Plan): Promise<void> };
  workspaces: { provision(userId: string): Promise<void> };
}

let services: Services | undefined;

/** Called once at startup (and by tests), before any worker runs a job. */
export function provideServices(wired: Services): void {
  services = wired;
}

function use(): Services {
  if (!services) throw new Error('provideServices() was not called before a job ran');
  return services;
}

export class CreateAccount extends Job {
  static jobName = 'signup.create-account';

  constructor(
    public userId: string,
    public email: string,
    public plan: Plan,
  ) {
    super();
  }

  async handle() {
    await use().accounts.create(this.userId, this.email, this.plan);
  }
}

export class SendWelcomeEmail extends Job {
  static jobName = 'signup.welcome-email';
  static queue = 'emails';
  static maxAttempts = 3;
  static backoff = [60_000, 300_000]; // a minute, then five

  constructor(
    public userId: string,
    public email: string,
  ) {
    super();
  }

  async handle() {
    await use().mailer.send(this.email, 'welcome');
  }
}

export class SyncToCrm extends Job {
  static jobName = 'signup.sync-to-crm';

  constructor(
    public email: string,
    public plan: Plan,
  ) {
    super();
  }

  async handle() {
    await use().crm.upsert(this.email, this.plan);
  }
}

export class ProvisionWorkspace extends Job {
  static jobName = 'signup.provision-workspace';

  constructor(public userId: string) {
    super();
  }

  async handle() {
    await use().workspaces.provision(this.userId);
  }
}

export class SendTip extends Job {
  static jobName = 'signup.send-tip';
  static queue = 'emails';

  constructor(
    public email: string,
    public tip: string,
  ) {
    super();
  }

  async handle() {
    await use().mailer.send(this.email, `tip:${this.tip}`);
  }
}

/** Three days after signup: how is it going? */
export class SendCheckIn extends Job {
  static jobName = 'signup.check-in';
  static queue = 'emails';

  constructor(
    public userId: string,
    public email: string,
  ) {
    super();
  }

  async handle() {
    await use().mailer.send(this.email, 'check-in');
  }
}

/** The batch's `then` job: runs once every onboarding job completed. */
export class MarkOnboarded extends Job {
  static jobName = 'signup.mark-onboarded';

  constructor(public userId: string) {
    super();
  }

  async handle() {
    await use().accounts.markOnboarded(this.userId);
  }
}

/** Every job class of the signup flow: the list a worker (or a test's conveyor) registers. */
export const signupJobs = [
  CreateAccount,
  SendWelcomeEmail,
  SyncToCrm,
  ProvisionWorkspace,
  SendTip,
  SendCheckIn,
  MarkOnboarded,
];

export interface NewUser {
  id: string;
  email: string;
  plan: Plan;
}

/**
 * Registers a user: the account first, then the welcome email (a chain); onboarding jobs in parallel, marked
 * done when all completed (a batch); and a check-in email three days later. `queue` defaults to the app's
 * `Queue`; tests may pass their own `Conveyor`.
 */
export async function registerUser(user: NewUser, queue: Conveyor = Queue) {
  const account = await queue
    .dispatch(new CreateAccount(user.id, user.email, user.plan))
    .chain([new SendWelcomeEmail(user.id, user.email)]);

  const onboarding: Job[] = [
    new SyncToCrm(user.email, user.plan),
    new SendTip(user.email, 'import-contacts'),
  ];
  if (user.plan === 'team') onboarding.push(new ProvisionWorkspace(user.id));
  const batch = await queue
    .batch(onboarding)
    .name(`onboarding:${user.id}`)
    .then(new MarkOnboarded(user.id))
    .dispatch();

  await queue.dispatch(new SendCheckIn(user.id, user.email)).delay('3d');
  return { chainId: account.id, batchId: batch.id };
}
