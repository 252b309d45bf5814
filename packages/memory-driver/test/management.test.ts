import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../src/index.js';
import { batch, chain, collect, completed, failed, job, runNext, take } from './fixtures.js';

describe('cancel', () => {
  it('cancels waiting jobs at once and leaves finished ones alone', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('p'), job('d', { delayMs: 10 })] }, 0);
    expect(await driver.cancel('p', 1)).toEqual({ state: 'cancelled', batch: null });
    expect(await driver.cancel('d', 2)).toEqual({ state: 'cancelled', batch: null });
    expect(await driver.get('d')).toMatchObject({ state: 'cancelled', finishedAt: 2 });
    expect(await driver.cancel('d', 3)).toEqual({ state: 'cancelled', batch: null });
    expect(await driver.cancel('missing', 3)).toBeNull();
    expect(await take(driver, 100)).toEqual([]);
  });

  it('asks a processing job to cancel and tells its worker', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a')] }, 0);
    await take(driver, 0, { token: 't' });
    const { events } = await collect(driver);
    expect(await driver.cancel('a', 5)).toEqual({ state: 'processing', batch: null });
    expect(await driver.get('a')).toMatchObject({ state: 'processing', cancelRequested: true });
    expect(events).toEqual([{ type: 'cancel', jobId: 'a', queue: 'default' }]);
    const [settled] = await driver.settle([{ jobId: 'a', token: 't', outcome: { type: 'cancelled' } }], 6);
    expect(settled).toMatchObject({ ok: true, state: 'cancelled' });
  });
});

describe('introspection', () => {
  it('lists newest first with filters, limit and offset', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a'), job('b', { name: 'Other' })] }, 10);
    await driver.push({ jobs: [job('c', { queue: 'q2' }), job('d')] }, 20);
    await runNext(driver, 30, completed()); // a
    const ids = async (filter: Parameters<MemoryDriver['list']>[0]) =>
      (await driver.list(filter)).map((j) => j.id);
    expect(await ids({})).toEqual(['d', 'c', 'b', 'a']);
    expect(await ids({ queue: 'default' })).toEqual(['d', 'b', 'a']);
    expect(await ids({ state: 'pending' })).toEqual(['d', 'c', 'b']);
    expect(await ids({ queue: 'default', state: 'completed' })).toEqual(['a']);
    expect(await ids({ name: 'Other' })).toEqual(['b']);
    expect(await ids({ limit: 2, offset: 1 })).toEqual(['c', 'b']);
    expect(await ids({ queue: 'nope' })).toEqual([]);
  });

  it('lists 100 by default', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: Array.from({ length: 150 }, (_, i) => job(`j${i}`)) }, 0);
    const listed = await driver.list({});
    expect(listed.length).toBe(100);
    expect(listed[0]!.id).toBe('j149');
  });

  it('counts every state, per queue or over all, and lists every queue ever used', async () => {
    const driver = new MemoryDriver();
    const zero = {
      pending: 0,
      delayed: 0,
      processing: 0,
      retrying: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
    };
    expect(await driver.counts()).toEqual(zero);
    await driver.push(
      { jobs: [job('a', { queue: 'z' }), job('b', { queue: 'm', delayMs: 5 }), job('c', { queue: 'z' })] },
      0,
    );
    await runNext(driver, 0, failed(), ['z']);
    expect(await driver.counts()).toEqual({ ...zero, pending: 1, delayed: 1, failed: 1 });
    expect(await driver.counts('z')).toEqual({ ...zero, pending: 1, failed: 1 });
    expect(await driver.counts('nope')).toEqual(zero);
    await driver.remove(['a', 'b', 'c']);
    expect(await driver.queues()).toEqual(['m', 'z']);
  });
});

describe('retryFailed', () => {
  async function withFailures() {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a'), job('b'), job('c', { queue: 'q2' }), job('ok')] }, 0);
    await runNext(driver, 1, failed());
    await runNext(driver, 2, failed());
    await runNext(driver, 3, failed(), ['q2']);
    return driver;
  }

  it('moves failed jobs back to pending with attempts reset, keeping their errors', async () => {
    const driver = await withFailures();
    expect(await driver.retryFailed({ ids: ['a', 'ok', 'missing', 'a'] }, 10)).toEqual(['a']);
    expect(await driver.get('a')).toMatchObject({
      state: 'pending',
      attempts: 0,
      availableAt: 10,
      finishedAt: null,
      errors: [expect.objectContaining({ message: 'boom' })],
    });
    expect(await driver.retryFailed({ queue: 'q2' }, 11)).toEqual(['c']);
    expect(await driver.retryFailed({}, 12)).toEqual(['b']);
    expect((await driver.counts()).failed).toBe(0);
  });
});

describe('remove and clean', () => {
  it('removes jobs that are not processing and drops them from every index', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a'), job('b'), job('c', { delayMs: 10 })] }, 0);
    await take(driver, 0); // a processing
    expect(await driver.remove(['a', 'b', 'c', 'missing'])).toBe(2);
    expect(await driver.get('b')).toBeNull();
    expect(await driver.counts()).toMatchObject({ pending: 0, delayed: 0, processing: 1 });
    expect(await take(driver, 100)).toEqual([]);
    expect(await driver.list({})).toHaveLength(1);
  });

  it('removing a waiting batch member or chain link settles it so the batch can finish', async () => {
    const driver = new MemoryDriver();
    await driver.push(
      {
        jobs: [job('j1', { batchId: 'b' })],
        chains: [chain('ch', ['c1', 'c2'], { batchId: 'b' })],
        batch: batch('b', { allowFailures: true, finally: [job('fin')] }),
      },
      7,
    );
    expect(await driver.remove(['j1', 'c1'])).toBe(2);
    expect(await driver.getBatch('b')).toMatchObject({
      total: 3,
      cancelled: 3,
      finallyFired: true,
      finishedAt: 7,
    });
    expect(await driver.get('c2')).toMatchObject({ state: 'cancelled', finishedAt: 7 });
    expect((await driver.getChain('ch'))!.state).toBe('cancelled');
    expect((await driver.get('fin'))!.state).toBe('pending');
  });

  it('cleans finished jobs older than a time or beyond the newest `keep`, oldest first, up to a limit', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: Array.from({ length: 6 }, (_, i) => job(`j${i}`)) }, 0);
    for (let i = 0; i < 6; i += 1) await runNext(driver, 100 * (i + 1), completed()); // finished 100..600
    const request = { queue: 'default', state: 'completed' as const };
    expect(await driver.clean({ ...request, finishedBefore: 250, keep: 100, limit: 100 })).toBe(2); // 100, 200
    expect(await driver.clean({ ...request, finishedBefore: 0, keep: 1, limit: 2 })).toBe(2); // 300, 400
    expect((await driver.list({ state: 'completed' })).map((j) => j.id)).toEqual(['j5', 'j4']);
    expect(await driver.clean({ ...request, finishedBefore: 0, keep: 1, limit: 10 })).toBe(1);
    expect((await driver.list({})).map((j) => j.id)).toEqual(['j5']);
    expect(await driver.clean({ ...request, state: 'failed', finishedBefore: 1e9, keep: 0, limit: 10 })).toBe(
      0,
    );
    expect(await driver.clean({ ...request, queue: 'nope', finishedBefore: 1e9, keep: 0, limit: 10 })).toBe(
      0,
    );
  });
});
