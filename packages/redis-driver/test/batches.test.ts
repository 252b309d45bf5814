// biome-ignore-all lint/suspicious/noThenProperty: `then` is the batch threshold named by the driver contract
import { randomUUID } from 'node:crypto';
import type { NewBatch } from '@conveyor/core/driver';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, makeDriver, newJob, newPrefix, reserveAll, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

const batchOf = (fields: Partial<NewBatch> = {}): NewBatch => ({
  id: randomUUID(),
  allowFailures: false,
  then: [newJob({ queue: 'callbacks', name: 'Then' })],
  catch: [newJob({ queue: 'callbacks', name: 'Catch' })],
  finally: [newJob({ queue: 'callbacks', name: 'Finally' })],
  options: '{}',
  ...fields,
});

describe('batches and chains across queues', () => {
  it('crosses then and finally exactly once when the last members settle in one pipelined call', async () => {
    const driver = makeDriver(prefix);
    const batch = batchOf();
    const members = Array.from({ length: 30 }, (_, i) => newJob({ queue: `q${i % 3}`, batchId: batch.id }));
    await driver.push({ jobs: members, batch }, T0);
    const { jobs } = await reserveAll(driver, T0, ['q0', 'q1', 'q2']);

    const results = await driver.settle(
      jobs.map((job) => ({ jobId: job.id, token: job.token, outcome: { type: 'completed', result: null } })),
      T0 + 1,
    );

    const crossed = results.map((result) => (result.ok ? result.batch?.crossed : undefined));
    expect(crossed.filter((c) => c?.then)).toHaveLength(1);
    expect(crossed.filter((c) => c?.finally)).toHaveLength(1);
    expect(crossed.at(-1)).toEqual({ then: true, catch: false, finally: true });
    const callbacks = await reserveAll(driver, T0 + 2, ['callbacks']);
    expect(callbacks.jobs.map((job) => job.name)).toEqual(['Then', 'Finally']);
  });

  it('a failing chain link inside a batch cancels the rest of the chain and the waiting members', async () => {
    const driver = makeDriver(prefix);
    const batch = batchOf();
    const links = [newJob({ queue: 'a' }), newJob({ queue: 'b' }), newJob({ queue: 'c' })];
    const chain = { id: randomUUID(), links, catch: [], options: '{}', batchId: batch.id };
    const other = newJob({ queue: 'z', batchId: batch.id });
    await driver.push({ jobs: [other], chains: [chain], batch }, T0);
    const [link] = (await reserveAll(driver, T0, ['a'])).jobs;

    const [result] = await driver.settle(
      [
        {
          jobId: link!.id,
          token: link!.token,
          outcome: { type: 'failed', error: { name: 'Error', message: 'x', attempt: 1, at: T0 } },
        },
      ],
      T0 + 1,
    );

    expect(result).toMatchObject({
      ok: true,
      state: 'failed',
      batch: {
        batch: { total: 4, failed: 1, cancelled: 3, processed: 0, finishedAt: T0 + 1 },
        crossed: { then: false, catch: true, finally: true },
      },
    });
    expect((await driver.get(links[2]!.id))?.state).toBe('cancelled');
    expect((await driver.get(other.id))?.state).toBe('cancelled');
    expect((await driver.getChain(chain.id))?.state).toBe('failed');
  });

  it('cancelBatch cancels waiting members, lets running ones finish, and refuses later additions', async () => {
    const driver = makeDriver(prefix);
    const batch = batchOf({ allowFailures: true });
    const members = [newJob({ batchId: batch.id, queue: 'cb' }), newJob({ batchId: batch.id, queue: 'cb' })];
    await driver.push({ jobs: members, batch }, T0);
    const { jobs } = await reserveAll(driver, T0, ['cb'], 1);

    const change = await driver.cancelBatch(batch.id, T0 + 1);

    expect(change?.batch).toMatchObject({ cancelled: 1, cancelledAt: T0 + 1, finallyFired: false });
    expect(await driver.addToBatch(batch.id, { jobs: [newJob({ batchId: batch.id })] }, T0 + 2)).toBeNull();
    const [done] = await driver.settle(
      [{ jobId: jobs[0]!.id, token: jobs[0]!.token, outcome: { type: 'completed', result: null } }],
      T0 + 3,
    );
    expect(done).toMatchObject({
      ok: true,
      batch: { crossed: { then: false, catch: false, finally: true } },
    });
    expect(await driver.cancelBatch('no-such-batch', T0)).toBeNull();
  });

  it('addToBatch counts new members atomically with the total', async () => {
    const driver = makeDriver(prefix);
    const batch = batchOf();
    await driver.push({ jobs: [newJob({ batchId: batch.id, queue: 'add' })], batch }, T0);

    const added = await driver.addToBatch(
      batch.id,
      { jobs: [newJob({ batchId: batch.id, queue: 'add' })], chains: [] },
      T0 + 1,
    );

    expect(added?.jobs[0]?.outcome).toBe('added');
    expect((await driver.getBatch(batch.id))?.total).toBe(2);
  });
});

describe('bounded growth', () => {
  it('expires a finished batch and chain after groupRetentionMs, and keeps running ones', async () => {
    const driver = makeDriver(prefix, { groupRetentionMs: 60_000 });
    const batch = batchOf({ then: [], catch: [], finally: [] });
    const chain = {
      id: randomUUID(),
      links: [newJob({ queue: 'gc' })],
      catch: [],
      options: '{}',
      batchId: null,
    };
    const running = {
      id: randomUUID(),
      links: [newJob({ queue: 'gc-2' })],
      catch: [],
      options: '{}',
      batchId: null,
    };
    await driver.push(
      { jobs: [newJob({ queue: 'gc', batchId: batch.id })], chains: [chain, running], batch },
      T0,
    );
    const { jobs } = await reserveAll(driver, T0, ['gc']);
    await driver.settle(
      jobs.map((job) => ({ jobId: job.id, token: job.token, outcome: { type: 'completed', result: null } })),
      T0 + 1,
    );

    const ttl = (key: string) => driver.redis.pttl(key);
    expect(await ttl(driver.keys.batch(batch.id))).toBeGreaterThan(50_000);
    expect(await ttl(driver.keys.batchOutcomes(batch.id))).toBeGreaterThan(50_000);
    expect(await ttl(driver.keys.chain(chain.id))).toBeGreaterThan(50_000);
    expect(await ttl(driver.keys.chainLinks(chain.id))).toBeGreaterThan(50_000);
    expect(await ttl(driver.keys.chain(running.id))).toBe(-1);
  });
});
