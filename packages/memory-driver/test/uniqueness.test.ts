import type { UniqueSpec } from '@conveyor/core/driver';
import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../src/index.js';
import { batch, completed, failed, job, runNext, take } from './fixtures.js';

const unique = (overrides: Partial<UniqueSpec> = {}): UniqueSpec => ({
  key: 'email:a@b.c',
  ttlMs: 60_000,
  until: 'completed',
  ...overrides,
});

async function pushOne(driver: MemoryDriver, id: string, spec: UniqueSpec, now: number) {
  return (await driver.push({ jobs: [job(id, { unique: spec })] }, now)).jobs[0];
}

describe('uniqueness', () => {
  it('turns away a job whose key is held, returning the holder and storing nothing', async () => {
    const driver = new MemoryDriver();
    expect(await pushOne(driver, 'a', unique(), 0)).toEqual({ outcome: 'added', id: 'a' });
    expect(await pushOne(driver, 'b', unique(), 10)).toEqual({ outcome: 'duplicate', id: 'a' });
    expect(await driver.get('b')).toBeNull();
    expect((await driver.counts()).pending).toBe(1);
    expect(await driver.get('a')).toMatchObject({ uniqueKey: 'email:a@b.c' });
  });

  it('applies within one push: the second of two equal keys is a duplicate of the first', async () => {
    const driver = new MemoryDriver();
    const result = await driver.push(
      { jobs: [job('a', { unique: unique() }), job('b', { unique: unique() })] },
      0,
    );
    expect(result.jobs).toEqual([
      { outcome: 'added', id: 'a' },
      { outcome: 'duplicate', id: 'a' },
    ]);
  });

  it('lets a lock lapse after its TTL; a null TTL never lapses', async () => {
    const driver = new MemoryDriver();
    await pushOne(driver, 'a', unique({ ttlMs: 100 }), 0);
    expect(await pushOne(driver, 'b', unique({ ttlMs: 100 }), 99)).toEqual({ outcome: 'duplicate', id: 'a' });
    expect(await pushOne(driver, 'c', unique({ ttlMs: 100 }), 100)).toEqual({ outcome: 'added', id: 'c' });

    const forever = new MemoryDriver();
    await pushOne(forever, 'a', unique({ ttlMs: null }), 0);
    expect(await pushOne(forever, 'b', unique({ ttlMs: null }), 1e12)).toMatchObject({
      outcome: 'duplicate',
    });
  });

  it.each([
    ['completes', completed()],
    ['fails', failed()],
    ['is cancelled', { type: 'cancelled' } as const],
  ])('until completed: releases when the job %s', async (_label, outcome) => {
    const driver = new MemoryDriver();
    await pushOne(driver, 'a', unique(), 0);
    await take(driver, 0, { token: 't' });
    expect(await pushOne(driver, 'b', unique(), 1)).toMatchObject({ outcome: 'duplicate' });
    await driver.settle([{ jobId: 'a', token: 't', outcome }], 2);
    expect(await pushOne(driver, 'c', unique(), 3)).toEqual({ outcome: 'added', id: 'c' });
  });

  it('until completed: keeps the lock through retries and releases', async () => {
    const driver = new MemoryDriver();
    await pushOne(driver, 'a', unique(), 0);
    await runNext(driver, 0, { type: 'released', availableAt: 0 });
    expect(await pushOne(driver, 'b', unique(), 1)).toMatchObject({ outcome: 'duplicate', id: 'a' });
  });

  it('releases a waiting job lock when it is cancelled', async () => {
    const driver = new MemoryDriver();
    await pushOne(driver, 'a', unique(), 0);
    await driver.cancel('a', 1);
    expect(await pushOne(driver, 'b', unique(), 2)).toEqual({ outcome: 'added', id: 'b' });
  });

  it('until started: releases when a worker reserves the job', async () => {
    const driver = new MemoryDriver();
    await pushOne(driver, 'a', unique({ until: 'started' }), 0);
    expect(await pushOne(driver, 'b', unique({ until: 'started' }), 1)).toMatchObject({
      outcome: 'duplicate',
    });
    await take(driver, 2);
    expect(await pushOne(driver, 'c', unique({ until: 'started' }), 3)).toEqual({
      outcome: 'added',
      id: 'c',
    });
  });

  it('only the owner releases: a job whose lock lapsed and was retaken leaves the new owner alone', async () => {
    const driver = new MemoryDriver();
    await pushOne(driver, 'a', unique({ ttlMs: 100 }), 0);
    await take(driver, 0, { token: 't' });
    expect(await pushOne(driver, 'b', unique({ ttlMs: 10_000 }), 200)).toEqual({ outcome: 'added', id: 'b' });
    await driver.settle([{ jobId: 'a', token: 't', outcome: completed() }], 300);
    expect(await pushOne(driver, 'c', unique(), 400)).toEqual({ outcome: 'duplicate', id: 'b' });
  });

  it('applies to batch callbacks too', async () => {
    const driver = new MemoryDriver();
    await pushOne(driver, 'a', unique(), 0);
    const then = [job('cb', { unique: unique() })];
    expect(await driver.push({ batch: batch('b', { then }) }, 1)).toEqual({ jobs: [], chains: [] });
    // The empty batch crossed `then` at once, but its callback was a duplicate of `a`.
    expect((await driver.getBatch('b'))!.thenFired).toBe(true);
    expect(await driver.get('cb')).toBeNull();
  });
});
