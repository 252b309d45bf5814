import type { NewBatch } from '@conveyor/core/driver';
import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../src/index.js';
import { batch, chain, collect, completed, crossed, error, failed, job, runNext, take } from './fixtures.js';

const callbacks = (): Partial<NewBatch> => {
  const then = [job('then-cb', { queue: 'callbacks' })];
  return {
    then,
    catch: [job('catch-cb', { queue: 'callbacks' })],
    finally: [job('finally-cb', { queue: 'callbacks' })],
  };
};

const member = (id: string) => job(id, { batchId: 'b' });

async function callbackStates(driver: MemoryDriver) {
  const states: Record<string, string | null> = {};
  for (const id of ['then-cb', 'catch-cb', 'finally-cb']) states[id] = (await driver.get(id))?.state ?? null;
  return states;
}

describe('batches', () => {
  it('an empty batch crosses then and finally at push', async () => {
    const driver = new MemoryDriver();
    const { events } = await collect(driver);
    await driver.push({ batch: batch('b', callbacks()) }, 100);
    expect(await driver.getBatch('b')).toEqual({
      id: 'b',
      options: '{}',
      allowFailures: false,
      total: 0,
      processed: 0,
      failed: 0,
      cancelled: 0,
      cancelledAt: null,
      createdAt: 100,
      finishedAt: 100,
      thenFired: true,
      catchFired: false,
      finallyFired: true,
      failedJobIds: [],
    });
    expect(await callbackStates(driver)).toEqual({
      'then-cb': 'pending',
      'catch-cb': null,
      'finally-cb': 'pending',
    });
    expect(events).toContainEqual({ type: 'batch', batchId: 'b', finished: true });
  });

  it('counts jobs and chain links; the last completion crosses then and finally once', async () => {
    const driver = new MemoryDriver();
    const members = {
      jobs: [member('j1'), member('j2')],
      chains: [chain('ch', ['c1', 'c2'], { batchId: 'b' })],
    };
    await driver.push({ ...members, batch: batch('b', callbacks()) }, 0);
    expect((await driver.getBatch('b'))!.total).toBe(4);
    const first = await runNext(driver, 1, completed());
    expect(first.result).toEqual({
      ok: true,
      state: 'completed',
      batch: {
        batch: expect.objectContaining({ processed: 1 }),
        crossed: crossed(false, false, false),
      },
    });
    await runNext(driver, 2, completed());
    await runNext(driver, 3, completed()); // c1, which enqueues c2
    expect(await driver.get('c2')).toMatchObject({ batchId: 'b', chainIndex: 1 });
    const last = await runNext(driver, 4, completed());
    expect(last.job.id).toBe('c2');
    expect(last.result).toMatchObject({ batch: { crossed: crossed(true, false, true) } });
    expect(await driver.getBatch('b')).toMatchObject({
      processed: 4,
      finishedAt: 4,
      thenFired: true,
      finallyFired: true,
    });
    expect(await callbackStates(driver)).toEqual({
      'then-cb': 'pending',
      'catch-cb': null,
      'finally-cb': 'pending',
    });
  });

  it('without allowFailures the first failure crosses catch and cancels every member not started', async () => {
    const driver = new MemoryDriver();
    const members = {
      jobs: [member('j1'), member('j2'), member('j3')],
      chains: [chain('ch', ['c1', 'c2'], { batchId: 'b' })],
    };
    await driver.push({ ...members, batch: batch('b', callbacks()) }, 0);
    const [j1, j2] = await take(driver, 0, { max: 2, token: 't' });
    expect([j1!.id, j2!.id]).toEqual(['j1', 'j2']);
    const [fail] = await driver.settle([{ jobId: 'j1', token: 't', outcome: failed() }], 10);
    expect(fail).toMatchObject({
      ok: true,
      state: 'failed',
      batch: {
        batch: { total: 5, failed: 1, cancelled: 3, processed: 0, cancelledAt: 10, failedJobIds: ['j1'] },
        crossed: crossed(false, true, false),
      },
    });
    for (const id of ['j3', 'c1', 'c2']) expect((await driver.get(id))!.state).toBe('cancelled');
    expect((await driver.getChain('ch'))!.state).toBe('cancelled');
    expect(await callbackStates(driver)).toEqual({
      'then-cb': null,
      'catch-cb': 'pending',
      'finally-cb': null,
    });
    const [done] = await driver.settle([{ jobId: 'j2', token: 't', outcome: completed() }], 20);
    expect(done).toMatchObject({ batch: { crossed: crossed(false, false, true) } });
    expect(await callbackStates(driver)).toEqual({
      'then-cb': null,
      'catch-cb': 'pending',
      'finally-cb': 'pending',
    });
  });

  it('a chain whose link is running when the batch is cancelled stops after that link', async () => {
    const driver = new MemoryDriver();
    const members = { jobs: [member('j1')], chains: [chain('ch', ['c1', 'c2', 'c3'], { batchId: 'b' })] };
    await driver.push({ ...members, batch: batch('b', callbacks()) }, 0);
    await take(driver, 0, { max: 2, token: 't' });
    await driver.settle([{ jobId: 'j1', token: 't', outcome: failed() }], 1);
    const [result] = await driver.settle([{ jobId: 'c1', token: 't', outcome: completed() }], 2);
    expect(result).toMatchObject({
      batch: { batch: { processed: 1, failed: 1, cancelled: 2 }, crossed: { finally: true } },
    });
    expect(await driver.get('c2')).toMatchObject({ state: 'cancelled', finishedAt: 2 });
    expect((await driver.getChain('ch'))!.state).toBe('cancelled');
  });

  it('with allowFailures keeps going; a failed job that later completes moves to processed', async () => {
    const driver = new MemoryDriver();
    await driver.push(
      { jobs: [member('j1'), member('j2')], batch: batch('b', { ...callbacks(), allowFailures: true }) },
      0,
    );
    const failure = await runNext(driver, 1, failed());
    expect(failure.result).toMatchObject({ batch: { crossed: { catch: true, finally: false } } });
    expect((await driver.get('j2'))!.state).toBe('pending');
    const second = await runNext(driver, 2, completed());
    expect(second.result).toMatchObject({
      batch: {
        batch: { processed: 1, failed: 1, cancelledAt: null },
        crossed: crossed(false, false, true),
      },
    });
    expect(await driver.retryFailed({ ids: ['j1'] }, 3)).toEqual(['j1']);
    expect((await driver.getBatch('b'))!.failed).toBe(1);
    const retried = await runNext(driver, 4, completed());
    expect(retried.result).toMatchObject({
      batch: {
        batch: { processed: 2, failed: 0, failedJobIds: [] },
        crossed: crossed(true, false, false),
      },
    });
    expect(await callbackStates(driver)).toEqual({
      'then-cb': 'pending',
      'catch-cb': 'pending',
      'finally-cb': 'pending',
    });
  });

  it('a failed member that fails again counts once and crosses catch once', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [member('j1'), member('j2')], batch: batch('b', { allowFailures: true }) }, 0);
    await runNext(driver, 1, failed());
    await runNext(driver, 2, completed());
    await driver.retryFailed({}, 3);
    const again = await runNext(driver, 4, failed());
    expect(again.job.id).toBe('j1');
    expect(again.result).toMatchObject({
      batch: {
        batch: { failed: 1, failedJobIds: ['j1'] },
        crossed: crossed(false, false, false),
      },
    });
  });

  it('a re-delivered job counts once', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [member('j1'), member('j2')], batch: batch('b') }, 0);
    await take(driver, 0, { leaseMs: 100, token: 'old' });
    await driver.recoverStalled(['default'], 200, 100, 'new', 5);
    const results = await driver.settle(
      [
        { jobId: 'j1', token: 'old', outcome: completed() },
        { jobId: 'j1', token: 'new', outcome: completed() },
        { jobId: 'j1', token: 'new', outcome: completed() },
      ],
      201,
    );
    expect(results.map((result) => result.ok)).toEqual([false, true, false]);
    expect((await driver.getBatch('b'))!.processed).toBe(1);
  });

  // A duplicate member is not stored and does not count: `total` counts only stored members.
  it('does not count a member turned away as a duplicate', async () => {
    const driver = new MemoryDriver();
    const unique = { key: 'k', ttlMs: null, until: 'completed' as const };
    await driver.push({ jobs: [job('holder', { unique })] }, 0);
    const result = await driver.push({ jobs: [member('dup'), member('j2')], batch: batch('b') }, 0);
    expect(result.jobs).toEqual([
      { outcome: 'added', id: 'dup' },
      { outcome: 'added', id: 'j2' },
    ]);
    const withDup = await driver.push(
      { jobs: [job('d2', { batchId: 'b2', unique }), job('j3', { batchId: 'b2' })], batch: batch('b2') },
      0,
    );
    expect(withDup.jobs[0]).toEqual({ outcome: 'duplicate', id: 'holder' });
    expect((await driver.getBatch('b2'))!.total).toBe(1);
    expect(await driver.get('d2')).toBeNull();
    await driver.push({ jobs: [job('d3', { batchId: 'b3', unique })], batch: batch('b3', callbacks()) }, 5);
    expect(await driver.getBatch('b3')).toMatchObject({
      total: 0,
      thenFired: true,
      finallyFired: true,
      finishedAt: 5,
    });
  });

  it('adds to an unfinished batch atomically with its total, and refuses otherwise', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [member('j1')], batch: batch('b', callbacks()) }, 0);
    const added = await driver.addToBatch('b', { jobs: [job('j2')], chains: [chain('ch', ['c1', 'c2'])] }, 1);
    expect(added).toEqual({
      jobs: [{ outcome: 'added', id: 'j2' }],
      chains: [{ outcome: 'added', id: 'c1' }],
    });
    expect(await driver.get('j2')).toMatchObject({ batchId: 'b' });
    expect(await driver.getChain('ch')).toMatchObject({ batchId: 'b' });
    expect((await driver.getBatch('b'))!.total).toBe(4);
    expect(await driver.addToBatch('nope', { jobs: [job('x')] }, 1)).toBeNull();
    for (let now = 2; now < 6; now += 1) await runNext(driver, now, completed());
    expect((await driver.getBatch('b'))!.finishedAt).toBe(5);
    expect(await driver.addToBatch('b', { jobs: [job('late')] }, 6)).toBeNull();
    expect(await driver.get('late')).toBeNull();
  });

  it('cancelBatch cancels waiting members and finishes once running ones settle', async () => {
    const driver = new MemoryDriver();
    await driver.push(
      { jobs: [member('j1'), member('j2'), member('j3')], batch: batch('b', callbacks()) },
      0,
    );
    await take(driver, 0, { token: 't' });
    const change = await driver.cancelBatch('b', 5);
    expect(change).toEqual({
      batch: expect.objectContaining({ cancelled: 2, cancelledAt: 5, finishedAt: null }),
      crossed: crossed(false, false, false),
    });
    expect(await driver.addToBatch('b', { jobs: [job('x')] }, 6)).toBeNull();
    const [last] = await driver.settle([{ jobId: 'j1', token: 't', outcome: completed() }], 7);
    expect(last).toMatchObject({ batch: { crossed: crossed(false, false, true) } });
    expect(await callbackStates(driver)).toEqual({
      'then-cb': null,
      'catch-cb': null,
      'finally-cb': 'pending',
    });
    expect(await driver.cancelBatch('nope', 8)).toBeNull();
  });

  it('cancelling one member through cancel() returns the batch change', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [member('j1')], batch: batch('b', callbacks()) }, 0);
    const result = await driver.cancel('j1', 3);
    expect(result).toMatchObject({
      state: 'cancelled',
      batch: {
        batch: { cancelled: 1, finishedAt: 3 },
        crossed: crossed(false, false, true),
      },
    });
  });

  it('ignores callbacks and non-members that carry the batch id', async () => {
    const driver = new MemoryDriver();
    const then = [job('cb', { batchId: 'b' })];
    await driver.push({ batch: batch('b', { then }) }, 0);
    await runNext(driver, 1, { type: 'failed', error: error('x') });
    expect(await driver.getBatch('b')).toMatchObject({ total: 0, failed: 0, catchFired: false });
  });

  it('rejects a batch id already in use', async () => {
    const driver = new MemoryDriver();
    await driver.push({ batch: batch('b') }, 0);
    await expect(driver.push({ batch: batch('b') }, 0)).rejects.toThrow(/batch id "b"/);
  });
});
