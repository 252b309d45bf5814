import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../src/index.js';
import { drainIds, error, job, take } from './fixtures.js';

describe('push and reserve', () => {
  it('has the memory name and needs no constructor arguments', () => {
    expect(new MemoryDriver().name).toBe('memory');
  });

  it('stores pending jobs due now and delayed jobs due after their delay', async () => {
    const driver = new MemoryDriver();
    const result = await driver.push({ jobs: [job('a'), job('b', { delayMs: 500 })] }, 1_000);
    expect(result).toEqual({
      jobs: [
        { outcome: 'added', id: 'a' },
        { outcome: 'added', id: 'b' },
      ],
      chains: [],
    });
    const a = await driver.get('a');
    expect(a).toMatchObject({ state: 'pending', availableAt: 1_000, createdAt: 1_000, attempts: 0 });
    expect(await driver.get('b')).toMatchObject({ state: 'delayed', availableAt: 1_500 });
    expect(a).toMatchObject({
      startedAt: null,
      finishedAt: null,
      errors: [],
      chainId: null,
      chainIndex: null,
    });
  });

  it('orders by priority desc, then availableAt asc, then insertion order', async () => {
    const driver = new MemoryDriver();
    await driver.push(
      { jobs: [job('low', { priority: 1 }), job('n1'), job('crit', { priority: 4 }), job('n2')] },
      100,
    );
    // Became ready earlier (its delay ended at 50) than n1/n2 (ready at 100), though inserted later.
    await driver.push({ jobs: [job('early', { delayMs: 50 })] }, 0);
    expect(await drainIds(driver, 200)).toEqual(['crit', 'early', 'n1', 'n2', 'low']);
  });

  it('puts a retried job by the time it became ready, not by its dispatch', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('r')] }, 0);
    const [r] = await take(driver, 0);
    await driver.settle(
      [{ jobId: 'r', token: r!.token, outcome: { type: 'retry', availableAt: 300, error: error('x') } }],
      10,
    );
    await driver.push({ jobs: [job('before')] }, 200);
    await driver.push({ jobs: [job('after')] }, 400);
    expect(await drainIds(driver, 500)).toEqual(['before', 'r', 'after']);
  });

  it('takes queues in strict order', async () => {
    const driver = new MemoryDriver();
    await driver.push(
      { jobs: [job('l1', { queue: 'low', priority: 4 }), job('h1', { queue: 'high', priority: 1 })] },
      0,
    );
    await driver.push({ jobs: [job('h2', { queue: 'high' })] }, 0);
    expect(await drainIds(driver, 0, ['high', 'low'])).toEqual(['h2', 'h1', 'l1']);
  });

  it('respects max and leaves the rest pending', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a'), job('b'), job('c')] }, 0);
    expect((await take(driver, 0, { max: 2 })).map((j) => j.id)).toEqual(['a', 'b']);
    expect((await driver.counts()).pending).toBe(1);
    expect((await take(driver, 0, { max: 0 })).length).toBe(0);
  });

  it('never hands out a delayed job before availableAt and reports the next due time', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('d1', { delayMs: 100 }), job('d2', { delayMs: 50, queue: 'other' })] }, 0);
    await driver.push({ jobs: [job('d3', { delayMs: 40, queue: 'unrelated' })] }, 0);
    const request = { queues: ['default', 'other'], max: 5, leaseMs: 1_000, workerId: 'w', token: 't' };
    let result = await driver.reserve({ ...request, now: 49 });
    expect(result).toEqual({ jobs: [], nextAvailableAt: 50 });
    result = await driver.reserve({ ...request, now: 99 });
    expect(result.jobs.map((j) => j.id)).toEqual(['d2']);
    expect(result.nextAvailableAt).toBe(100);
    result = await driver.reserve({ ...request, now: 100 });
    expect(result.jobs.map((j) => j.id)).toEqual(['d1']);
    expect(result.nextAvailableAt).toBeNull();
  });

  it('promotes every due job of the requested queues even beyond max', async () => {
    const driver = new MemoryDriver();
    await driver.push(
      { jobs: [job('a', { delayMs: 10 }), job('b', { delayMs: 10 }), job('c', { delayMs: 10 })] },
      0,
    );
    await take(driver, 10, { max: 1 });
    expect(await driver.counts()).toMatchObject({ processing: 1, pending: 2, delayed: 0 });
  });

  it('marks reserved jobs processing with attempt, start, worker, lease and token', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a')] }, 0);
    const [reserved] = await take(driver, 1_000, { leaseMs: 5_000, token: 'tok', workerId: 'w-9' });
    expect(reserved).toMatchObject({
      id: 'a',
      state: 'processing',
      attempts: 1,
      startedAt: 1_000,
      workerId: 'w-9',
      leaseExpiresAt: 6_000,
      token: 'tok',
    });
    const stored = await driver.get('a');
    expect(stored).toMatchObject({ state: 'processing', attempts: 1, leaseExpiresAt: 6_000 });
    expect(stored).not.toHaveProperty('token');
    expect(await driver.counts('default')).toMatchObject({ pending: 0, processing: 1 });
  });

  it('returns copies: editing a returned record changes nothing stored', async () => {
    const driver = new MemoryDriver();
    const spec = job('a');
    await driver.push({ jobs: [spec] }, 0);
    spec.payload = 'changed';
    const [reserved] = await take(driver, 0);
    reserved!.state = 'completed';
    reserved!.errors.push(error('x'));
    const got = await driver.get('a');
    got!.attempts = 99;
    expect(await driver.get('a')).toMatchObject({
      state: 'processing',
      attempts: 1,
      errors: [],
      payload: '{"id":"a"}',
    });
  });

  it('rejects a job id that is already in use, storing nothing of that push', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a')] }, 0);
    await expect(driver.push({ jobs: [job('b'), job('a')] }, 0)).rejects.toThrow(/"a" is already in use/);
    await expect(driver.push({ jobs: [job('c'), job('c')] }, 0)).rejects.toThrow(/already in use/);
    expect(await driver.get('b')).toBeNull();
    expect(await driver.get('c')).toBeNull();
  });
});
