import { describe, expect, it } from 'vitest';
import { Conveyor, Job } from '../src/index.js';

class Plain extends Job {
  static queue = 'plain-q';
  static maxAttempts = 3;
  static timeout = '5s';
  constructor(readonly n = 0) {
    super();
  }
  handle() {}
}

class Other extends Job {
  static priority = 'high' as const;
  handle() {}
}

class WithRetryUntil extends Job {
  constructor(readonly at: number) {
    super();
  }
  retryUntil(): Date {
    return new Date(this.at);
  }
  handle() {}
}

const withoutId = ({ id: _id, ...rest }: { id: string }) => rest;

/** A preparer shares options per class: each record must equal what `prepare` makes for the same job. */
describe('conveyor.preparer', () => {
  it('prepares each job as prepare does, instance options, retryUntil and other classes included', () => {
    const conveyor = new Conveyor();
    const overridden = new Plain(2);
    (overridden as { queue?: string }).queue = 'elsewhere';
    (overridden as { maxAttempts?: number }).maxAttempts = 7;
    const jobs = [
      new Plain(1),
      overridden,
      new Plain(3),
      new Other(),
      new WithRetryUntil(1_900_000_000_000),
      new WithRetryUntil(1_900_000_000_001),
      new Plain(4),
    ];
    for (const options of [{}, { queue: 'batch-q' }, { priority: 'low' as const, meta: { t: 1 } }]) {
      const prepare = conveyor.preparer(options, 'batch-1');
      const records = jobs.map((job) => prepare(job));
      expect(records.map(withoutId)).toEqual(
        jobs.map((job) => withoutId(conveyor.prepare(job, options, 'batch-1'))),
      );
      expect(new Set(records.map((record) => record.id)).size).toBe(jobs.length);
    }
  });

  it('reads the statics again in a new preparer', () => {
    const conveyor = new Conveyor();
    class Mutable extends Job {
      static maxAttempts = 2;
      handle() {}
    }
    expect(conveyor.preparer({}, null)(new Mutable()).maxAttempts).toBe(2);
    Mutable.maxAttempts = 5;
    expect(conveyor.preparer({}, null)(new Mutable()).maxAttempts).toBe(5);
  });
});
