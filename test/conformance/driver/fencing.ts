import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  completed,
  failedWith,
  jobError,
  LEASE_MS,
  newJob,
  newToken,
  reserve,
  reserveOne,
  retryAt,
  SECOND,
  settle,
  T0,
} from './fixtures.js';

/** Every settle carries the lease token; a stale one changes nothing. */
export function fencingSuite(factory: DriverFactory): void {
  describe('fencing', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    it('refuses a settle with the wrong token and changes nothing', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const reserved = await reserveOne(driver, T0);
      const before = await driver.get(job.id);

      const results = await Promise.all([
        settle(driver, { id: job.id, token: 'forged' }, completed('"x"'), T0 + 1),
        settle(driver, { id: job.id, token: 'forged' }, failedWith(jobError(1, T0 + 1)), T0 + 1),
        settle(driver, { id: job.id, token: 'forged' }, { type: 'cancelled' }, T0 + 1),
      ]);

      expect(results).toEqual([{ ok: false }, { ok: false }, { ok: false }]);
      expect(await driver.get(job.id)).toEqual(before);
      expect(await settle(driver, reserved, completed(), T0 + 2)).toMatchObject({
        ok: true,
        state: 'completed',
      });
    });

    it('refuses a settle for a job that does not exist', async () => {
      expect(await settle(driver, { id: 'no-such-job', token: newToken() }, completed(), T0)).toEqual({
        ok: false,
      });
    });

    it('a settle that names its queue: the job’s settles it, another queue’s is stale and changes nothing', async () => {
      const mail = newJob({ queue: 'mail' });
      const other = newJob({ queue: 'mail' });
      await driver.push({ jobs: [mail, other] }, T0);
      const [first, second] = (await reserve(driver, T0, { queues: ['mail'], max: 2 })).jobs;
      const before = await driver.get(second!.id);

      const results = await driver.settle(
        [
          { jobId: first!.id, token: first!.token, outcome: completed('"sent"'), queue: 'mail' },
          { jobId: second!.id, token: second!.token, outcome: completed(), queue: 'default' },
        ],
        T0 + 1,
      );

      expect(results).toEqual([{ ok: true, state: 'completed', batch: null }, { ok: false }]);
      expect(await driver.get(first!.id)).toMatchObject({ state: 'completed', result: '"sent"' });
      expect(await driver.get(second!.id)).toEqual(before);
      expect(await settle(driver, second!, completed(), T0 + 2)).toMatchObject({ ok: true });
    });

    it('refuses a second settle with the same token: a job completes once', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const reserved = await reserveOne(driver, T0);

      const first = await settle(driver, reserved, completed('"first"'), T0 + 1);
      const second = await settle(driver, reserved, completed('"second"'), T0 + 2);

      expect(first).toEqual({ ok: true, state: 'completed', batch: null });
      expect(second).toEqual({ ok: false });
      expect(await driver.get(job.id)).toMatchObject({ result: '"first"', finishedAt: T0 + 1 });
    });

    it('refuses the token of an earlier attempt once the job was reserved again', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const first = await reserveOne(driver, T0);
      await settle(driver, first, retryAt(T0 + 1, jobError(1, T0)), T0);
      const second = await reserveOne(driver, T0 + 1);

      expect(await settle(driver, first, completed(), T0 + 2)).toEqual({ ok: false });
      expect(await driver.get(job.id)).toMatchObject({ state: 'processing', attempts: 2 });
      expect(await settle(driver, second, completed(), T0 + 2)).toMatchObject({ ok: true });
    });

    it('after recoverStalled, refuses the old token everywhere and accepts the new one', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const old = await reserveOne(driver, T0);
      const now = T0 + LEASE_MS + SECOND;
      const [recovered] = await driver.recoverStalled(['default'], now, LEASE_MS, newToken(), 1);
      if (!recovered) throw new Error('expected the stalled job back');

      expect(await settle(driver, old, completed('"late"'), now)).toEqual({ ok: false });
      expect(await driver.setProgress({ jobId: job.id, token: old.token }, '50', now)).toBe(false);
      expect(await driver.extendLeases([{ jobId: job.id, token: old.token }], LEASE_MS, now)).toEqual([
        job.id,
      ]);
      expect(await driver.get(job.id)).toMatchObject({ state: 'processing', result: null, progress: null });

      expect(await settle(driver, recovered, completed('"ok"'), now + 1)).toMatchObject({ ok: true });
      expect(await driver.get(job.id)).toMatchObject({ state: 'completed', result: '"ok"' });
    });

    it('settles each item of a call on its own, results in request order', async () => {
      const jobs = [newJob(), newJob(), newJob()];
      await driver.push({ jobs }, T0);
      const { jobs: reserved } = await reserve(driver, T0);
      const [a, b, c] = reserved as [(typeof reserved)[0], (typeof reserved)[0], (typeof reserved)[0]];

      const results = await driver.settle(
        [
          { jobId: c.id, token: c.token, outcome: failedWith(jobError(1, T0 + 1)) },
          { jobId: b.id, token: 'stale', outcome: completed() },
          { jobId: a.id, token: a.token, outcome: completed() },
        ],
        T0 + 1,
      );

      expect(results).toEqual([
        { ok: true, state: 'failed', batch: null },
        { ok: false },
        { ok: true, state: 'completed', batch: null },
      ]);
      expect((await driver.get(b.id))?.state).toBe('processing');
    });
  });
}
