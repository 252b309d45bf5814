import {
  ConfigurationError,
  type Conveyor,
  type DuplicateInfo,
  Job,
  type JobContext,
  type ScheduleInfo,
  Scheduler,
} from '@conveyor/core';
import { describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  collect,
  deferred,
  eventFor,
  MINUTE,
  nextEvent,
  recordOf,
  SECOND,
  useHarness,
  within,
} from './fixtures.js';

/** A report for one team; unique per payload (the default key: job name + a hash of the payload). */
class Report extends Job<string> {
  static unique = true;
  constructor(public team: string) {
    super();
  }
  handle() {
    return `report for ${this.team}`;
  }
}

/** Unique by `uniqueId()`: one sync per account, whatever else the payload holds. */
class SyncAccount extends Job {
  static unique = { for: '1h' };
  constructor(
    public accountId: number,
    public reason: string,
  ) {
    super();
  }
  uniqueId() {
    return this.accountId;
  }
  handle() {}
}

/** Not unique unless the dispatch says so. */
class Plain extends Job {
  constructor(public n = 1) {
    super();
  }
  handle() {}
}

/**
 * Uniqueness locks through the public API (DESIGN.md section 3): `.unique()` and `static unique`, the default key,
 * `until` modes, TTL, owner-only release, and every way a job enters (dispatch, chain, batch, schedule).
 */
export function uniquenessApiSuite(factory: DriverFactory): void {
  describe('api: uniqueness', () => {
    const h = useHarness(factory);
    const jobsNamed = async (conveyor: Conveyor, name: string) => conveyor.list({ name, limit: 1_000 });

    it('100 concurrent duplicate dispatches store exactly one job; the others get the holder, duplicate: true', async () => {
      const conveyor = h.conveyor([Report]);
      const duplicates = collect(conveyor, 'duplicate');

      const handles = await Promise.all(
        Array.from({ length: 100 }, () => conveyor.dispatch(new Report('ops'))),
      );

      const holders = handles.filter((handle) => !handle.duplicate);
      expect(holders).toHaveLength(1);
      const holder = holders[0]!;
      expect(handles.every((handle) => handle.id === holder.id)).toBe(true);
      expect(await jobsNamed(conveyor, 'Report')).toHaveLength(1);
      expect(duplicates).toHaveLength(99);
      expect(duplicates[0]![0]).toEqual<DuplicateInfo>({
        id: holder.id,
        name: 'Report',
        queue: 'default',
        key: expect.stringMatching(/^Report:[0-9a-f]{40}$/),
      });
      await conveyor.drain();
      expect(await holder.result()).toBe('report for ops');
    });

    it('the default key hashes the payload: equal payloads collide whatever their property order, others do not', async () => {
      const conveyor = h.conveyor([Plain]);
      const a = Object.assign(new Plain(), { x: 1, y: { b: 2, a: [1, 2] } });
      const b = Object.assign(new Plain(), { y: { a: [1, 2], b: 2 }, x: 1 });
      const c = Object.assign(new Plain(), { x: 1, y: { b: 2, a: [2, 1] } });

      const first = await conveyor.dispatch(a).unique();
      const same = await conveyor.dispatch(b).unique();
      const other = await conveyor.dispatch(c).unique();

      expect(same).toMatchObject({ id: first.id, duplicate: true });
      expect(other.duplicate).toBe(false);
    });

    it('uniqueId() supplies the key (scoped to the job name); an explicit key is used as given', async () => {
      const conveyor = h.conveyor([SyncAccount, Plain]);
      const duplicates = collect(conveyor, 'duplicate');
      const first = await conveyor.dispatch(new SyncAccount(7, 'signup'));
      const again = await conveyor.dispatch(new SyncAccount(7, 'billing change'));
      const otherAccount = await conveyor.dispatch(new SyncAccount(8, 'signup'));
      expect(again).toMatchObject({ id: first.id, duplicate: true });
      expect(otherAccount.duplicate).toBe(false);
      expect(duplicates.map(([d]) => d.key)).toEqual(['SyncAccount:7']);

      // A key given to .unique() is shared by every class naming it.
      const keyed = await conveyor.dispatch(new Plain(1)).unique({ key: 'account:9' });
      const otherClass = await conveyor.dispatch(new SyncAccount(9, 'x')).unique({ key: 'account:9' });
      expect(otherClass).toMatchObject({ id: keyed.id, duplicate: true });
    });

    it('the builder overrides static unique field by field, and .unique(false) turns it off', async () => {
      const conveyor = h.conveyor([Report]);
      const first = await conveyor.dispatch(new Report('ops'));
      const notUnique = await conveyor.dispatch(new Report('ops')).unique(false);
      expect(notUnique.duplicate).toBe(false);

      const keyed = await conveyor.dispatch(new Report('ops')).unique({ key: 'reports', until: 'started' });
      expect(keyed.duplicate).toBe(false);
      expect(keyed.id).not.toBe(first.id);
      expect(await conveyor.dispatch(new Report('sales')).unique({ key: 'reports' })).toMatchObject({
        id: keyed.id,
        duplicate: true,
      });
      expect((await jobsNamed(conveyor, 'Report')).length).toBe(3);
    });

    it("until 'completed' (default): held while pending, running and retrying; freed when it completes", async () => {
      let fail = true;
      class Flaky extends Job {
        static unique = true;
        static maxAttempts = 2;
        static backoff = 30 * SECOND;
        handle() {
          if (fail) throw new Error('not yet');
        }
      }
      const conveyor = h.conveyor([Flaky]);
      const first = await conveyor.dispatch(new Flaky());
      expect(await conveyor.dispatch(new Flaky())).toMatchObject({ id: first.id, duplicate: true });

      await conveyor.drain(); // attempt 1 fails: retrying for 30 s
      expect(await first.status()).toBe('retrying');
      expect((await conveyor.dispatch(new Flaky())).duplicate).toBe(true);

      fail = false;
      await h.clock.advance(30 * SECOND);
      await conveyor.drain();
      expect(await first.status()).toBe('completed');
      const next = await conveyor.dispatch(new Flaky());
      expect(next.duplicate).toBe(false);
      expect(next.id).not.toBe(first.id);
    });

    it("until 'completed': freed when the job fails finally, and when it is cancelled", async () => {
      class Doomed extends Job {
        static unique = true;
        handle() {
          throw new Error('always');
        }
      }
      const conveyor = h.conveyor([Doomed, Report]);
      const doomed = await conveyor.dispatch(new Doomed());
      await conveyor.drain();
      expect(await doomed.status()).toBe('failed');
      expect((await conveyor.dispatch(new Doomed())).duplicate).toBe(false);

      const waiting = await conveyor.dispatch(new Report('ops')).delay('1h');
      expect((await conveyor.dispatch(new Report('ops'))).duplicate).toBe(true);
      await waiting.cancel();
      expect((await conveyor.dispatch(new Report('ops'))).duplicate).toBe(false);
    });

    it("until 'started': freed as soon as a worker starts the job, so the next one may queue while it runs", async () => {
      const gate = deferred();
      class Import extends Job {
        static unique = { until: 'started' } as const;
        async handle() {
          await gate.promise;
        }
      }
      const conveyor = h.conveyor([Import]);
      const first = await conveyor.dispatch(new Import());
      expect((await conveyor.dispatch(new Import())).duplicate).toBe(true);

      const worker = h.worker(conveyor);
      const started = eventFor(worker, 'processing', first.id);
      await worker.start();
      await started;
      const queuedWhileRunning = await conveyor.dispatch(new Import());
      expect(queuedWhileRunning.duplicate).toBe(false);
      // ...and that one holds the key until it starts in turn.
      expect(await conveyor.dispatch(new Import())).toMatchObject({
        id: queuedWhileRunning.id,
        duplicate: true,
      });
      gate.resolve();
      await within(queuedWhileRunning.wait(), 'the queued job');
    });

    it("'for' bounds the lock: once it passed, a new job gets in though the holder never ran", async () => {
      const conveyor = h.conveyor([Report]);
      const holder = await conveyor.dispatch(new Report('ops')).unique({ for: '10m' });

      await h.clock.advance(10 * MINUTE - 1);
      expect(await conveyor.dispatch(new Report('ops'))).toMatchObject({ id: holder.id, duplicate: true });
      await h.clock.advance(2);
      const after = await conveyor.dispatch(new Report('ops')).unique({ for: '10m' });
      expect(after.duplicate).toBe(false);
      expect(await holder.status()).toBe('pending');
    });

    it('only the owner releases: a retried job whose lock expired never frees the newer holder', async () => {
      let attempts = 0;
      class Slow extends Job {
        static unique = { key: 'slow', for: '1m' };
        static maxAttempts = 2;
        static backoff = 5 * MINUTE;
        handle(ctx: JobContext) {
          attempts++;
          if (ctx.attempt === 1) throw new Error('first attempt fails');
        }
      }
      const conveyor = h.conveyor([Slow]);
      const old = await conveyor.dispatch(new Slow());
      await conveyor.drain(); // fails; retried in 5 min, its lock expires after 1 min
      await h.clock.advance(2 * MINUTE);
      const newer = await conveyor.dispatch(new Slow()).unique({ for: '1h' }).delay('1h');
      expect(newer.duplicate).toBe(false);

      await h.clock.advance(3 * MINUTE);
      await conveyor.drain(); // the old job's second attempt completes: the lock is not its to free
      expect(await old.status()).toBe('completed');
      expect(attempts).toBe(2);
      expect(await conveyor.dispatch(new Slow())).toMatchObject({ id: newer.id, duplicate: true });
    });

    it('applies to batch members: a duplicate member is not stored, not counted, and reported', async () => {
      const conveyor = h.conveyor([Report]);
      const outside = await conveyor.dispatch(new Report('ops'));
      const duplicates = collect(conveyor, 'duplicate');

      const batch = await conveyor
        .batch([new Report('ops'), new Report('sales'), new Report('sales'), new Report('hr')])
        .dispatch();

      expect(duplicates.map(([d]) => d.name)).toEqual(['Report', 'Report']);
      expect(duplicates[0]![0].id).toBe(outside.id);
      expect(await batch.progress()).toMatchObject({ total: 2, pending: 2 });
      await conveyor.drain();
      expect(await batch.progress()).toMatchObject({ total: 2, processed: 2, finished: true });
      expect(await outside.status()).toBe('completed');
    });

    it('applies to chain links: a chain whose first link is held stores nothing and says so', async () => {
      const conveyor = h.conveyor([Report, Plain]);
      const holder = await conveyor.dispatch(new Report('ops'));
      const duplicates = collect(conveyor, 'duplicate');

      const chain = await conveyor.chain([new Report('ops'), new Plain()]);

      expect(chain).toMatchObject({ duplicate: true, duplicateOf: holder.id });
      expect(await chain.info()).toBeNull();
      expect(duplicates.map(([d]) => d.id)).toEqual([holder.id]);
      expect(await jobsNamed(conveyor, 'Plain')).toEqual([]);
    });

    it('applies to a later chain link when it is enqueued: a held link ends the chain as cancelled', async () => {
      const conveyor = h.conveyor([Report, Plain]);
      const holder = await conveyor.dispatch(new Report('ops')).delay('1h');
      const chain = await conveyor.chain([new Plain(), new Report('ops'), new Plain(2)]);
      expect(chain.duplicate).toBe(false);

      await conveyor.drain();

      expect(await chain.status()).toBe('cancelled');
      const [first, second, third] = (await chain.info())!.jobIds;
      expect((await recordOf(h.driver, first!)).state).toBe('completed');
      expect((await recordOf(h.driver, second!)).state).toBe('cancelled');
      expect((await recordOf(h.driver, third!)).state).toBe('cancelled');
      expect(await holder.status()).toBe('delayed');
    });

    it("applies to scheduled jobs: an occurrence whose job's class lock is held is skipped", async () => {
      const conveyor = h.conveyor([Report]);
      conveyor.schedule(new Report('ops')).everyMinute().name('reports');
      const scheduler = new Scheduler({ conveyor });
      const skipped = collect(conveyor, 'duplicate');
      const runs: string[] = [];
      scheduler.on('dispatched', () => runs.push('dispatched'));
      scheduler.on('skipped', (run) => runs.push(run.outcome));
      try {
        await scheduler.start();
        expect(((await conveyor.schedules.get('reports')) as ScheduleInfo).unique).toMatchObject({
          key: expect.stringMatching(/^Report:/),
          until: 'completed',
        });
        const tick = async () => {
          await h.clock.advance(MINUTE);
          await scheduler.idle();
        };
        await tick();
        await tick(); // the first run is still pending
        expect(runs).toEqual(['dispatched', 'overlapping']);
        expect(skipped).toHaveLength(1);
        await conveyor.drain();
        await tick();
        expect(runs).toEqual(['dispatched', 'overlapping', 'dispatched']);
      } finally {
        await scheduler.close();
      }
    });

    it('a duplicate is not an error and emits no dispatched event', async () => {
      const conveyor = h.conveyor([Report]);
      await conveyor.dispatch(new Report('ops'));
      const dispatched = collect(conveyor, 'dispatched');
      const duplicate = nextEvent(conveyor, 'duplicate');
      await conveyor.dispatch(new Report('ops'));
      await duplicate;
      expect(dispatched).toEqual([]);
    });

    describe('bad input', () => {
      const conveyor = () => h.conveyor([Plain]);
      it.each([
        [{ until: 'finished' }, '"finished"'],
        [{ for: '-1s' }, '"-1s"'],
        [{ for: 0 }, '0'],
        [{ for: 'soon' }, '"soon"'],
        [{ key: '' }, '""'],
        [{ key: 42 }, '42'],
        [{ ttl: '1h' }, '"ttl"'],
        ['yes', '"yes"'],
      ])('.unique(%j) is a ConfigurationError quoting the value', (options, quoted) => {
        expect(() =>
          conveyor()
            .dispatch(new Plain())
            .unique(options as never),
        ).toThrow(ConfigurationError);
        expect(() =>
          conveyor()
            .dispatch(new Plain())
            .unique(options as never),
        ).toThrow(quoted);
      });

      it('a bad static unique or uniqueId() fails the dispatch with a ConfigurationError, storing nothing', async () => {
        class BadStatic extends Job {
          static unique = { until: 'never' } as never;
          handle() {}
        }
        class BadId extends Job {
          static unique = true;
          uniqueId() {
            return '';
          }
          handle() {}
        }
        const c = h.conveyor([BadStatic, BadId]);
        await expect(c.dispatch(new BadStatic()).dispatch()).rejects.toThrow(/"never"/);
        await expect(c.dispatch(new BadId()).dispatch()).rejects.toThrow(ConfigurationError);
        await expect(c.dispatch(new BadId()).dispatch()).rejects.toThrow(/uniqueId\(\).*""/);
        expect(await c.list()).toEqual([]);
      });

      it('a bad unique option inside a batch fails the whole batch before anything is stored', async () => {
        class BadStatic extends Job {
          static unique = { for: -5 } as never;
          handle() {}
        }
        const c = h.conveyor([BadStatic, Plain]);
        await expect(c.batch([new Plain(), new BadStatic()]).dispatch()).rejects.toThrow(ConfigurationError);
        expect(await c.list()).toEqual([]);
      });
    });
  });
}
