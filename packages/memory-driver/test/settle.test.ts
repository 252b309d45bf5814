import type { SettleOutcome } from '@conveyor/core/driver';
import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../src/index.js';
import { completed, error, job, take } from './fixtures.js';

async function reserved(now = 0) {
  const driver = new MemoryDriver();
  await driver.push({ jobs: [job('a')] }, 0);
  const [taken] = await take(driver, now, { token: 'tok' });
  return { driver, taken: taken! };
}

const settle = (driver: MemoryDriver, outcome: SettleOutcome, now: number, token = 'tok') =>
  driver.settle([{ jobId: 'a', token, outcome }], now).then((results) => results[0]!);

describe('settle', () => {
  it('completes with the result and clears the lease', async () => {
    const { driver } = await reserved();
    expect(await settle(driver, completed('"ok"'), 50)).toEqual({
      ok: true,
      state: 'completed',
      batch: null,
    });
    expect(await driver.get('a')).toMatchObject({
      state: 'completed',
      result: '"ok"',
      finishedAt: 50,
      workerId: null,
      leaseExpiresAt: null,
    });
  });

  it('is fenced by the token, the state and the job', async () => {
    const { driver } = await reserved();
    expect(await settle(driver, completed(), 10, 'wrong')).toEqual({ ok: false });
    expect((await driver.get('a'))!.state).toBe('processing');
    expect(await settle(driver, completed(), 10)).toMatchObject({ ok: true });
    expect(await settle(driver, completed(), 11)).toEqual({ ok: false });
    const [missing] = await driver.settle([{ jobId: 'nope', token: 'tok', outcome: completed() }], 0);
    expect(missing).toEqual({ ok: false });
  });

  it('refuses the old holder after a stalled job is recovered under a new token', async () => {
    const { driver } = await reserved();
    const [recovered] = await driver.recoverStalled(['default'], 30_001, 30_000, 'fresh', 10);
    expect(recovered).toMatchObject({ id: 'a', token: 'fresh', leaseExpiresAt: 60_001, attempts: 1 });
    expect(await settle(driver, completed(), 30_002)).toEqual({ ok: false });
    expect(await settle(driver, completed(), 30_002, 'fresh')).toMatchObject({
      ok: true,
      state: 'completed',
    });
  });

  it('retry waits in retrying until availableAt and keeps the error', async () => {
    const { driver } = await reserved();
    const err = error('first', 1, 10);
    expect(await settle(driver, { type: 'retry', availableAt: 1_000, error: err }, 10)).toMatchObject({
      ok: true,
      state: 'retrying',
    });
    err.message = 'edited later';
    expect(await driver.get('a')).toMatchObject({
      state: 'retrying',
      availableAt: 1_000,
      errors: [error('first', 1, 10)],
    });
    expect(await take(driver, 999)).toEqual([]);
    const [again] = await take(driver, 1_000);
    expect(again).toMatchObject({ id: 'a', attempts: 2, startedAt: 1_000 });
  });

  it('retry due already goes straight to pending', async () => {
    const { driver } = await reserved();
    expect(await settle(driver, { type: 'retry', availableAt: 10, error: error('x') }, 10)).toMatchObject({
      state: 'pending',
    });
  });

  it('released gives the attempt back, without an error', async () => {
    const { driver } = await reserved();
    expect(await settle(driver, { type: 'released', availableAt: 500 }, 10)).toMatchObject({
      state: 'delayed',
    });
    expect(await driver.get('a')).toMatchObject({
      state: 'delayed',
      attempts: 0,
      availableAt: 500,
      errors: [],
    });
    const [again] = await take(driver, 500, { token: 'tok2' });
    expect(again!.attempts).toBe(1);
    expect(await settle(driver, { type: 'released', availableAt: 500 }, 600, 'tok2')).toMatchObject({
      state: 'pending',
    });
  });

  it('fails finally with the error, and cancels', async () => {
    const { driver } = await reserved();
    expect(await settle(driver, { type: 'failed', error: error('dead') }, 20)).toMatchObject({
      state: 'failed',
    });
    expect(await driver.get('a')).toMatchObject({ state: 'failed', finishedAt: 20, errors: [error('dead')] });

    const other = await reserved();
    expect(await settle(other.driver, { type: 'cancelled' }, 30)).toMatchObject({ state: 'cancelled' });
    expect(await other.driver.get('a')).toMatchObject({ state: 'cancelled', finishedAt: 30 });
  });

  it('settles many in one call, each on its own, in request order', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a'), job('b')] }, 0);
    const jobs = await take(driver, 0, { max: 2, token: 't' });
    expect(jobs.length).toBe(2);
    const results = await driver.settle(
      [
        { jobId: 'b', token: 't', outcome: completed() },
        { jobId: 'a', token: 'stale', outcome: completed() },
        { jobId: 'a', token: 't', outcome: { type: 'failed', error: error('x') } },
      ],
      5,
    );
    expect(results).toEqual([
      { ok: true, state: 'completed', batch: null },
      { ok: false },
      { ok: true, state: 'failed', batch: null },
    ]);
  });

  it('extends only leases it still holds', async () => {
    const { driver } = await reserved();
    const lost = await driver.extendLeases(
      [
        { jobId: 'a', token: 'tok' },
        { jobId: 'a', token: 'old' },
        { jobId: 'gone', token: 'tok' },
      ],
      10_000,
      5_000,
    );
    expect(lost).toEqual(['a', 'gone']);
    expect((await driver.get('a'))!.leaseExpiresAt).toBe(15_000);
  });

  it('recovers only expired leases, up to max, longest expired first', async () => {
    const driver = new MemoryDriver();
    await driver.push({ jobs: [job('a'), job('b'), job('c')] }, 0);
    await take(driver, 0, { leaseMs: 200 }); // a: lease 200
    await take(driver, 0, { leaseMs: 100 }); // b: lease 100
    await take(driver, 0, { leaseMs: 1_000 }); // c: lease 1000
    expect(await driver.recoverStalled(['default'], 200, 50, 'new', 10)).toMatchObject([{ id: 'b' }]);
    const two = await driver.recoverStalled(['default'], 1_001, 50, 'newer', 1);
    expect(two.map((j) => j.id)).toEqual(['a']);
    expect(await driver.recoverStalled(['other'], 5_000, 50, 'x', 10)).toEqual([]);
  });

  it('stores progress only under a held lease and publishes it', async () => {
    const { driver } = await reserved();
    const events: unknown[] = [];
    await driver.subscribe((event) => events.push(event));
    expect(await driver.setProgress({ jobId: 'a', token: 'other' }, '50', 1)).toBe(false);
    expect(await driver.setProgress({ jobId: 'a', token: 'tok' }, '{"step":2}', 1)).toBe(true);
    expect((await driver.get('a'))!.progress).toBe('{"step":2}');
    expect(events).toEqual([{ type: 'progress', jobId: 'a', queue: 'default', progress: '{"step":2}' }]);
  });
});
