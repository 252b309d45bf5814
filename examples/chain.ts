// Chains on the in-memory driver: links run one after another, a link adds more, and a failure fires catch.
// expect-output: onboarding chain: completed after 4 links; import chain: failed, catch ran once
import { Chain, Job, type JobContext, Queue, Worker } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';

class CreateAccount extends Job<string> {
  static jobName = 'CreateAccount';

  constructor(public email: string) {
    super();
  }

  async handle(ctx: JobContext) {
    // A running link can add links to its own chain: append runs last, prepend runs next.
    await ctx.chain?.append(new SendEmail(this.email, 'Your first week'));
    return `account for ${this.email}`;
  }
}

class SendEmail extends Job<string> {
  static jobName = 'SendEmail';

  constructor(
    public to: string,
    public subject: string,
  ) {
    super();
  }

  async handle() {
    return `sent "${this.subject}" to ${this.to}`;
  }
}

class ImportContacts extends Job {
  static jobName = 'ImportContacts';

  constructor(public file: string) {
    super();
  }

  async handle() {
    throw new Error(`${this.file}: line 3 is not CSV`);
  }
}

// A chain's catch job: stored with the chain, run once by any worker when a link fails.
class AlertOps extends Job {
  static jobName = 'AlertOps';

  async handle(ctx: JobContext) {
    const chain = await ctx.chain!.info();
    console.log(`AlertOps: chain ${chain?.name} ${chain?.state} at link ${chain?.position}`);
  }
}

Queue.use(new MemoryDriver());
const worker = new Worker({ jobs: [CreateAccount, SendEmail, ImportContacts, AlertOps] });
worker.on('completed', (job, result) => console.log(`completed ${job.name}: ${JSON.stringify(result)}`));
worker.on('failed', (job, error) => console.log(`failed    ${job.name}: ${error.message}`));
await worker.start();
let catches = 0;
let caught: () => void = () => {};
const caughtHere = new Promise<void>((resolve) => (caught = resolve));
const alerted = new Promise((resolve) =>
  worker.on('completed', (job) => job.name === 'AlertOps' && resolve(job)),
);

// Laravel style: dispatch one job, then chain more after it.
const onboarding = await Queue.dispatch(new CreateAccount('ada@example.com'))
  .chain([new SendEmail('ada@example.com', 'Welcome'), new SendEmail('ada@example.com', 'Tips')])
  .name('onboarding');

const imports = await Chain.of([
  new ImportContacts('contacts.csv'),
  new SendEmail('ada@example.com', 'Imported'),
])
  .name('import')
  .catch(new AlertOps()) // durable: a job
  .catch((chain, error) => {
    // in this process only, while it lives
    catches++;
    console.log(`catch function: chain ${chain.name} failed: ${error.message}`);
    caught();
  })
  .dispatch();

const done = await onboarding.wait({ timeout: '10s' });
const failed = await imports.wait({ timeout: '10s' });
await Promise.all([alerted, caughtHere]);
const statuses = await Promise.all((await imports.jobs()).map((link) => link.status()));
console.log(`import links: ${statuses.join(', ')}`);
console.log(
  `onboarding chain: ${done.state} after ${done.jobIds.length} links; import chain: ${failed.state}, catch ran ${catches === 1 ? 'once' : `${catches} times`}`,
);

await worker.close();
await Queue.close();
