import { Job } from '../../src/index.js';

/** Job classes the testing-module tests dispatch (none of them ever runs: the fake records them). */
export class SendEmail extends Job {
  static queue = 'emails';
  constructor(
    public to: string,
    public subject = 'Hi',
  ) {
    super();
  }
  handle() {}
}

export class CreateAccount extends Job {
  constructor(public email: string) {
    super();
  }
  handle() {}
}

export class SendWelcomeEmail extends Job {
  static queue = 'emails';
  constructor(public userId: string) {
    super();
  }
  handle() {}
}

export class ImportContacts extends Job {
  constructor(
    public userId: string,
    public source: string,
  ) {
    super();
  }
  handle() {}
}

export class MarkOnboarded extends Job {
  constructor(public userId: string) {
    super();
  }
  handle() {}
}

export class AlertOps extends Job {
  handle() {}
}

/** Stored under another name than its class name, as bundled code should be. */
export class Renamed extends Job {
  static jobName = 'billing.renamed';
  constructor(public at: Date) {
    super();
  }
  handle() {}
}
