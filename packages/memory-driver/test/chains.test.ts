import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../src/index.js';
import { chain, completed, failed, job, runNext, take } from './fixtures.js';

async function pushed(linkIds = ['a', 'b', 'c'], catchIds: string[] = []) {
  const driver = new MemoryDriver();
  const spec = chain('ch', linkIds, { catch: catchIds.map((id) => job(id, { queue: 'alerts' })) });
  if (spec.links[1] !== undefined) spec.links[1] = { ...spec.links[1], delayMs: 100 };
  const result = await driver.push({ chains: [spec] }, 0);
  return { driver, result };
}

describe('chains', () => {
  it('enqueues only the first link and keeps the rest in the chain record', async () => {
    const { driver, result } = await pushed();
    expect(result).toEqual({ jobs: [], chains: [{ outcome: 'added', id: 'a' }] });
    expect(await driver.get('a')).toMatchObject({ state: 'pending', chainId: 'ch', chainIndex: 0 });
    expect(await driver.get('b')).toBeNull();
    expect(await driver.getChain('ch')).toEqual({
      id: 'ch',
      state: 'running',
      jobIds: ['a', 'b', 'c'],
      position: 0,
      batchId: null,
      options: '{}',
      createdAt: 0,
      finishedAt: null,
    });
    expect(await driver.getChain('nope')).toBeNull();
  });

  it('enqueues the next link when a link completes, with its delay counted from then', async () => {
    const { driver } = await pushed();
    await runNext(driver, 1_000, completed());
    expect(await driver.get('b')).toMatchObject({
      state: 'delayed',
      chainId: 'ch',
      chainIndex: 1,
      availableAt: 1_100,
      createdAt: 1_000,
    });
    expect((await driver.getChain('ch'))!.position).toBe(1);
    expect(await take(driver, 1_099)).toEqual([]);
    await runNext(driver, 1_100, completed());
    await runNext(driver, 1_200, completed());
    expect(await driver.getChain('ch')).toMatchObject({ state: 'completed', finishedAt: 1_200, position: 2 });
  });

  it('does not advance on a retry or a release', async () => {
    const { driver } = await pushed();
    const [a] = await take(driver, 0, { token: 't' });
    await driver.settle([{ jobId: a!.id, token: 't', outcome: { type: 'released', availableAt: 0 } }], 0);
    expect(await driver.get('b')).toBeNull();
    expect((await driver.getChain('ch'))!.position).toBe(0);
  });

  it('on failure stores the remaining links as cancelled and enqueues catch', async () => {
    const { driver } = await pushed(['a', 'b', 'c'], ['alert']);
    await runNext(driver, 10, completed());
    await runNext(driver, 200, failed());
    expect(await driver.get('c')).toMatchObject({
      state: 'cancelled',
      finishedAt: 200,
      chainId: 'ch',
      chainIndex: 2,
    });
    expect(await driver.get('alert')).toMatchObject({ state: 'pending', queue: 'alerts', chainId: null });
    expect(await driver.getChain('ch')).toMatchObject({ state: 'failed', finishedAt: 200 });
  });

  it('on cancel (settle or cancel call) cancels the rest without catch', async () => {
    const settled = await pushed(['a', 'b'], ['alert']);
    await runNext(settled.driver, 5, { type: 'cancelled' });
    expect(await settled.driver.get('b')).toMatchObject({ state: 'cancelled' });
    expect(await settled.driver.get('alert')).toBeNull();
    expect((await settled.driver.getChain('ch'))!.state).toBe('cancelled');

    const called = await pushed(['a', 'b', 'c'], ['alert']);
    expect(await called.driver.cancel('a', 7)).toEqual({ state: 'cancelled', batch: null });
    expect(await called.driver.counts()).toMatchObject({ cancelled: 3, pending: 0 });
    expect(await called.driver.get('alert')).toBeNull();
    expect(await called.driver.getChain('ch')).toMatchObject({ state: 'cancelled', finishedAt: 7 });
  });

  it('a failed link retried later runs alone: the failed chain stays failed', async () => {
    const { driver } = await pushed(['a', 'b']);
    await runNext(driver, 0, failed());
    expect(await driver.retryFailed({ ids: ['a'] }, 10)).toEqual(['a']);
    await runNext(driver, 10, completed());
    expect((await driver.getChain('ch'))!.state).toBe('failed');
    expect((await driver.get('b'))!.state).toBe('cancelled');
  });

  it('extends a running chain after the last link or right after the running one', async () => {
    const { driver } = await pushed(['a', 'b']);
    expect(await driver.extendChain('ch', [job('z')], 'append', 0)).toBe(true);
    expect(await driver.extendChain('ch', [job('p1'), job('p2')], 'prepend', 0)).toBe(true);
    expect((await driver.getChain('ch'))!.jobIds).toEqual(['a', 'p1', 'p2', 'b', 'z']);
    await runNext(driver, 0, completed());
    expect(await driver.get('p1')).toMatchObject({ chainIndex: 1, state: 'pending' });
    await expect(driver.extendChain('ch', [job('a')], 'append', 0)).rejects.toThrow(/already in use/);
    expect(await driver.extendChain('nope', [job('q')], 'append', 0)).toBe(false);
  });

  it('refuses to extend a chain that is not running', async () => {
    const { driver } = await pushed(['a']);
    await runNext(driver, 0, completed());
    expect(await driver.extendChain('ch', [job('late')], 'append', 0)).toBe(false);
  });

  it('stores nothing of a chain whose first link is a duplicate', async () => {
    const driver = new MemoryDriver();
    const unique = { key: 'k', ttlMs: null, until: 'completed' as const };
    await driver.push({ jobs: [job('holder', { unique })] }, 0);
    const spec = chain('ch', ['a', 'b']);
    spec.links[0] = { ...spec.links[0]!, unique };
    expect(await driver.push({ chains: [spec] }, 0)).toEqual({
      jobs: [],
      chains: [{ outcome: 'duplicate', id: 'holder' }],
    });
    expect(await driver.getChain('ch')).toBeNull();
    expect(await driver.get('a')).toBeNull();
  });

  it('cancels the rest when the next link is turned away by a held unique key', async () => {
    const driver = new MemoryDriver();
    const unique = { key: 'k', ttlMs: null, until: 'completed' as const };
    const spec = chain('ch', ['a', 'b', 'c']);
    spec.links[1] = { ...spec.links[1]!, unique };
    await driver.push({ chains: [spec] }, 0);
    await driver.push({ jobs: [job('holder', { unique, queue: 'other' })] }, 0);
    await runNext(driver, 5, completed());
    expect(await driver.get('b')).toMatchObject({ state: 'cancelled', chainIndex: 1 });
    expect(await driver.get('c')).toMatchObject({ state: 'cancelled', chainIndex: 2 });
    expect((await driver.getChain('ch'))!.state).toBe('cancelled');
  });

  it('rejects a chain without links or with a used id', async () => {
    const driver = new MemoryDriver();
    await expect(driver.push({ chains: [chain('ch', [])] }, 0)).rejects.toThrow(/no links/);
    await driver.push({ chains: [chain('ch', ['a'])] }, 0);
    await expect(driver.push({ chains: [chain('ch', ['b'])] }, 0)).rejects.toThrow(/chain id "ch"/);
  });
});
