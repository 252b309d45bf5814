import type { Driver, NewChain, NewJob } from '@conveyor/core/driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverFactory } from '../describe-driver.js';
import {
  cancelled,
  completed,
  failNext,
  jobError,
  newChain,
  newJob,
  releasedUntil,
  reserveIds,
  reserveOne,
  retryAt,
  runNext,
  SECOND,
  settle,
  stateOf,
  statesOf,
  T0,
} from './fixtures.js';

export function chainsSuite(factory: DriverFactory): void {
  describe('chains', () => {
    let driver: Driver;
    beforeEach(async () => {
      driver = await factory.create();
    });
    afterEach(async () => {
      await factory.destroy(driver);
    });

    /** Pushes a chain of `links` (three fresh jobs by default) with one catch job on queue `alerts`. */
    async function pushChain(links: NewJob[] = [newJob(), newJob(), newJob()]): Promise<NewChain> {
      const chain = newChain(links, { catch: [newJob({ name: 'AlertOps', queue: 'alerts' })] });
      const result = await driver.push({ chains: [chain] }, T0);
      expect(result).toEqual({ jobs: [], chains: [{ outcome: 'added', id: links[0]!.id }] });
      return chain;
    }
    const ids = (chain: NewChain) => chain.links.map((link) => link.id);

    it('enqueues only the first link at push and records every link', async () => {
      const chain = await pushChain();

      expect(await driver.get(chain.links[0]!.id)).toMatchObject({
        state: 'pending',
        chainId: chain.id,
        chainIndex: 0,
        batchId: null,
      });
      expect(await driver.getChain(chain.id)).toEqual({
        id: chain.id,
        state: 'running',
        jobIds: ids(chain),
        position: 0,
        batchId: null,
        options: chain.options,
        createdAt: T0,
        finishedAt: null,
      });
      expect(await reserveIds(driver, T0 + 60 * SECOND)).toEqual([chain.links[0]!.id]);
    });

    it('runs links one after another: each completing settle enqueues the next', async () => {
      const chain = await pushChain();

      for (const [index, link] of chain.links.entries()) {
        const job = await reserveOne(driver, T0 + index);
        expect(job).toMatchObject({ id: link.id, chainId: chain.id, chainIndex: index });
        expect((await driver.getChain(chain.id))?.position).toBe(index);
        expect(await reserveIds(driver, T0 + index)).toEqual([]);
        await settle(driver, job, completed(), T0 + index);
      }

      expect(await driver.getChain(chain.id)).toMatchObject({ state: 'completed', finishedAt: T0 + 2 });
      expect(await statesOf(driver, ids(chain))).toEqual(['completed', 'completed', 'completed']);
    });

    it('does not advance on a retry or a release, only on completion', async () => {
      const chain = await pushChain();
      const first = await reserveOne(driver, T0);
      await settle(driver, first, retryAt(T0 + SECOND, jobError(1, T0)), T0);
      expect(await reserveIds(driver, T0 + SECOND - 1)).toEqual([]);
      const again = await reserveOne(driver, T0 + SECOND);
      await settle(driver, again, releasedUntil(T0 + 2 * SECOND), T0 + SECOND);
      expect(await driver.getChain(chain.id)).toMatchObject({ state: 'running', position: 0 });

      await runNext(driver, T0 + 2 * SECOND);

      expect(await reserveIds(driver, T0 + 2 * SECOND)).toEqual([chain.links[1]!.id]);
    });

    it("counts a link's delay from when the previous link completes", async () => {
      const chain = await pushChain([newJob({ delayMs: 2 * SECOND }), newJob({ delayMs: 5 * SECOND })]);
      expect(await driver.get(chain.links[0]!.id)).toMatchObject({
        state: 'delayed',
        availableAt: T0 + 2 * SECOND,
      });

      await runNext(driver, T0 + 10 * SECOND);

      expect(await driver.get(chain.links[1]!.id)).toMatchObject({
        state: 'delayed',
        availableAt: T0 + 15 * SECOND,
        chainIndex: 1,
      });
      expect(await reserveIds(driver, T0 + 15 * SECOND - 1)).toEqual([]);
      expect(await reserveIds(driver, T0 + 15 * SECOND)).toEqual([chain.links[1]!.id]);
    });

    it('on a final failure, stores the remaining links as cancelled and enqueues the catch jobs', async () => {
      const chain = await pushChain();
      await runNext(driver, T0);

      const { result } = await failNext(driver, T0 + SECOND);

      expect(result).toMatchObject({ ok: true, state: 'failed' });
      expect(await statesOf(driver, ids(chain))).toEqual(['completed', 'failed', 'cancelled']);
      expect(await driver.get(chain.links[2]!.id)).toMatchObject({ chainId: chain.id, chainIndex: 2 });
      expect(await driver.get(chain.catch[0]!.id)).toMatchObject({ state: 'pending', queue: 'alerts' });
      expect(await driver.getChain(chain.id)).toMatchObject({ state: 'failed', finishedAt: T0 + SECOND });
    });

    it('does not treat a retried link as a failure', async () => {
      const chain = await pushChain();
      await runNext(driver, T0, retryAt(T0 + SECOND, jobError(1, T0)));

      expect(await driver.getChain(chain.id)).toMatchObject({ state: 'running', position: 0 });
      expect(await driver.get(chain.catch[0]!.id)).toBeNull();
    });

    it('when a waiting link is cancelled, cancels the rest and enqueues no catch job', async () => {
      const chain = await pushChain();

      expect(await driver.cancel(chain.links[0]!.id, T0 + 1)).toMatchObject({ state: 'cancelled' });

      expect(await statesOf(driver, ids(chain))).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect(await driver.get(chain.catch[0]!.id)).toBeNull();
      expect(await driver.getChain(chain.id)).toMatchObject({ state: 'cancelled', finishedAt: T0 + 1 });
      expect(await reserveIds(driver, T0 + 1, { queues: ['default', 'alerts'] })).toEqual([]);
    });

    it('when a running link settles as cancelled, cancels the rest and enqueues no catch job', async () => {
      const chain = await pushChain();
      await runNext(driver, T0);

      await runNext(driver, T0 + 1, cancelled());

      expect(await statesOf(driver, ids(chain))).toEqual(['completed', 'cancelled', 'cancelled']);
      expect(await stateOf(driver, chain.catch[0]!.id)).toBeNull();
      expect((await driver.getChain(chain.id))?.state).toBe('cancelled');
    });

    it('extendChain append: adds links after the last one', async () => {
      const [a, b, extra] = [newJob(), newJob(), newJob()];
      const chain = await pushChain([a, b]);
      await runNext(driver, T0);

      expect(await driver.extendChain(chain.id, [extra], 'append', T0 + 1)).toBe(true);

      expect((await driver.getChain(chain.id))?.jobIds).toEqual([a.id, b.id, extra.id]);
      const order = [];
      for (let i = 0; i < 2; i++) order.push((await runNext(driver, T0 + 2 + i)).job);
      expect(order.map((job) => [job.id, job.chainIndex])).toEqual([
        [b.id, 1],
        [extra.id, 2],
      ]);
      expect((await driver.getChain(chain.id))?.state).toBe('completed');
    });

    it('extendChain prepend: adds links right after the running one', async () => {
      const [a, b, x, y] = [newJob(), newJob(), newJob(), newJob()];
      const chain = await pushChain([a, b]);
      const running = await reserveOne(driver, T0);

      expect(await driver.extendChain(chain.id, [x, y], 'prepend', T0 + 1)).toBe(true);
      await settle(driver, running, completed(), T0 + 2);

      expect((await driver.getChain(chain.id))?.jobIds).toEqual([a.id, x.id, y.id, b.id]);
      const order = [];
      for (let i = 0; i < 3; i++) order.push((await runNext(driver, T0 + 3 + i)).job);
      expect(order.map((job) => [job.id, job.chainIndex])).toEqual([
        [x.id, 1],
        [y.id, 2],
        [b.id, 3],
      ]);
    });

    it('extendChain refuses a chain that is not running, or unknown', async () => {
      const chain = await pushChain([newJob()]);
      await runNext(driver, T0);

      expect(await driver.extendChain(chain.id, [newJob()], 'append', T0 + 1)).toBe(false);
      expect(await driver.extendChain('no-such-chain', [newJob()], 'append', T0 + 1)).toBe(false);
      expect((await driver.getChain(chain.id))?.jobIds).toEqual(ids(chain));
    });

    it('returns null for an unknown chain', async () => {
      expect(await driver.getChain('no-such-chain')).toBeNull();
    });
  });
}
