import type { Driver } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import { completed, LEASE_MS, newChain, newJob, reserveOne, reserveRequest, SECOND, T0 } from './fixtures.js';

/**
 * `settleAndReserve`: the settles, then the reserve, with everything the settles did visible to the reserve.
 * Each case runs on one queue and on two (Redis: one script call when they share a hash tag, else two).
 */
export function settleAndReserveSuite(factory: DriverFactory): void {
  describe('settleAndReserve', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    for (const queues of [['default'], ['other', 'default']]) {
      it(`settles, then reserves from ${queues.join(' and ')}: results in order, the jobs leased at the reserve's now`, async () => {
        const [a, b, c] = [newJob(), newJob(), newJob({ queue: queues[0] })];
        await driver.push({ jobs: [a, b] }, T0);
        const first = await reserveOne(driver, T0);
        const second = await reserveOne(driver, T0);
        await driver.push({ jobs: [c] }, T0);

        const { settled, reserved } = await driver.settleAndReserve(
          [
            { jobId: first.id, token: first.token, outcome: completed('{"json":1}') },
            { jobId: second.id, token: 'stale', outcome: completed() },
          ],
          T0 + SECOND,
          reserveRequest(T0 + 2 * SECOND, { queues, token: 'tok-next' }),
        );

        expect(settled).toEqual([{ ok: true, state: 'completed', batch: null }, { ok: false }]);
        expect(reserved.jobs.map((job) => job.id)).toEqual([c.id]);
        expect(reserved.jobs[0]).toMatchObject({
          token: 'tok-next',
          attempts: 1,
          startedAt: T0 + 2 * SECOND,
          leaseExpiresAt: T0 + 2 * SECOND + LEASE_MS,
        });
        expect(await driver.get(first.id)).toMatchObject({ state: 'completed', finishedAt: T0 + SECOND });
        // the stale settle changed nothing
        expect(await driver.get(second.id)).toMatchObject({
          state: 'processing',
          leaseExpiresAt: T0 + LEASE_MS,
        });
      });
    }

    it("the reserve takes the chain's next link that the settle enqueued", async () => {
      const [one, two] = [newJob(), newJob()];
      await driver.push({ chains: [newChain([one, two])] }, T0);
      const running = await reserveOne(driver, T0);
      expect(running.id).toBe(one.id);

      const { settled, reserved } = await driver.settleAndReserve(
        [{ jobId: one.id, token: running.token, outcome: completed() }],
        T0 + SECOND,
        reserveRequest(T0 + SECOND),
      );

      expect(settled).toEqual([{ ok: true, state: 'completed', batch: null }]);
      expect(reserved.jobs.map((job) => job.id)).toEqual([two.id]);
      expect((await driver.get(two.id))?.state).toBe('processing');
    });

    it('the reserve takes the slot the settle freed in a queue capped at concurrency 1', async () => {
      await driver.setQueueSettings('default', { concurrency: 1 });
      const [a, b] = [newJob(), newJob()];
      await driver.push({ jobs: [a, b] }, T0);
      const running = await reserveOne(driver, T0);

      const { reserved } = await driver.settleAndReserve(
        [{ jobId: running.id, token: running.token, outcome: completed() }],
        T0 + SECOND,
        reserveRequest(T0 + SECOND),
      );

      expect(reserved.jobs.map((job) => job.id)).toEqual([b.id]);
    });

    it('with nothing to settle it is a reserve; with nothing ready the reserve is empty', async () => {
      const job = newJob();
      await driver.push({ jobs: [job] }, T0);
      const first = await driver.settleAndReserve([], T0, reserveRequest(T0));
      expect(first.settled).toEqual([]);
      expect(first.reserved.jobs.map((j) => j.id)).toEqual([job.id]);

      const second = await driver.settleAndReserve(
        [{ jobId: job.id, token: first.reserved.jobs[0]!.token, outcome: completed() }],
        T0 + SECOND,
        reserveRequest(T0 + SECOND),
      );
      expect(second.settled).toEqual([{ ok: true, state: 'completed', batch: null }]);
      expect(second.reserved).toEqual({ jobs: [], nextAvailableAt: null });
    });
  });
}
