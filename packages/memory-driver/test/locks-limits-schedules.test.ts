import type { ScheduleRecord } from '@conveyor/core/driver';
import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../src/index.js';

describe('locks', () => {
  it('takes a free lock, refuses others, and releases only for its owner', async () => {
    const driver = new MemoryDriver();
    expect(await driver.acquireLock('k', 'w1', 1_000, 0)).toBe(true);
    expect(await driver.acquireLock('k', 'w2', 1_000, 10)).toBe(false);
    expect(await driver.releaseLock('k', 'w2')).toBe(false);
    expect(await driver.releaseLock('k', 'w1')).toBe(true);
    expect(await driver.releaseLock('k', 'w1')).toBe(false);
    expect(await driver.acquireLock('k', 'w2', 1_000, 20)).toBe(true);
  });

  it('frees an expired lock; a null TTL never expires; the owner may renew', async () => {
    const driver = new MemoryDriver();
    await driver.acquireLock('k', 'w1', 100, 0);
    expect(await driver.acquireLock('k', 'w2', 100, 99)).toBe(false);
    expect(await driver.acquireLock('k', 'w2', 100, 100)).toBe(true);
    expect(await driver.acquireLock('k', 'w2', 100, 150)).toBe(true); // renewed to 250
    expect(await driver.acquireLock('k', 'w1', 100, 200)).toBe(false);
    await driver.acquireLock('forever', 'w1', null, 0);
    expect(await driver.acquireLock('forever', 'w2', null, 1e12)).toBe(false);
  });

  it('keeps job uniqueness keys apart from lock keys', async () => {
    const driver = new MemoryDriver();
    await driver.acquireLock('k', 'someone', null, 0);
    const unique = { key: 'k', ttlMs: null, until: 'completed' as const };
    const result = await driver.push(
      {
        jobs: [
          {
            id: 'a',
            name: 'J',
            queue: 'q',
            payload: '',
            options: '',
            priority: 2,
            maxAttempts: 1,
            delayMs: 0,
            unique,
            batchId: null,
          },
        ],
      },
      0,
    );
    expect(result.jobs[0]).toEqual({ outcome: 'added', id: 'a' });
  });
});

describe('hitRateLimit', () => {
  it('counts hits in fixed windows and says when the window frees', async () => {
    const driver = new MemoryDriver();
    expect(await driver.hitRateLimit('mail', 2, 1_000, 5_100)).toEqual({
      allowed: true,
      count: 1,
      retryAt: null,
    });
    expect(await driver.hitRateLimit('mail', 2, 1_000, 5_500)).toEqual({
      allowed: true,
      count: 2,
      retryAt: null,
    });
    expect(await driver.hitRateLimit('mail', 2, 1_000, 5_999)).toEqual({
      allowed: false,
      count: 2,
      retryAt: 6_000,
    });
    expect(await driver.hitRateLimit('other', 2, 1_000, 5_999)).toMatchObject({ allowed: true, count: 1 });
    expect(await driver.hitRateLimit('mail', 2, 1_000, 6_000)).toEqual({
      allowed: true,
      count: 1,
      retryAt: null,
    });
  });

  it('never allows with a zero limit and refuses a bad window', async () => {
    const driver = new MemoryDriver();
    expect(await driver.hitRateLimit('k', 0, 1_000, 0)).toEqual({ allowed: false, count: 0, retryAt: 1_000 });
    await expect(driver.hitRateLimit('k', 1, 0, 0)).rejects.toThrow(RangeError);
  });
});

describe('schedules', () => {
  const schedule = (name: string, overrides: Partial<ScheduleRecord> = {}): ScheduleRecord => ({
    name,
    definition: `{"cron":"* * * * *","name":"${name}"}`,
    paused: false,
    nextRunAt: 60_000,
    lastRunAt: null,
    ...overrides,
  });

  it('saves, lists sorted copies, replaces and removes', async () => {
    const driver = new MemoryDriver();
    const b = schedule('b');
    await driver.saveSchedule(b);
    await driver.saveSchedule(schedule('a'));
    b.paused = true;
    const listed = await driver.listSchedules();
    expect(listed.map((s) => s.name)).toEqual(['a', 'b']);
    expect(listed[1]!.paused).toBe(false);
    listed[0]!.definition = 'edited';
    expect((await driver.listSchedules())[0]!.definition).not.toBe('edited');
    await driver.saveSchedule(schedule('a', { paused: true }));
    expect((await driver.listSchedules())[0]!.paused).toBe(true);
    expect(await driver.removeSchedule('a')).toBe(true);
    expect(await driver.removeSchedule('a')).toBe(false);
    expect((await driver.listSchedules()).map((s) => s.name)).toEqual(['b']);
  });

  it('claims each occurrence once, and only later ones', async () => {
    const driver = new MemoryDriver();
    await driver.saveSchedule(schedule('s'));
    expect(await driver.claimOccurrence('s', 60_000, 120_000)).toBe(true);
    expect(await driver.claimOccurrence('s', 60_000, 120_000)).toBe(false);
    expect(await driver.claimOccurrence('s', 30_000, 120_000)).toBe(false);
    expect((await driver.listSchedules())[0]).toMatchObject({ lastRunAt: 60_000, nextRunAt: 120_000 });
    expect(await driver.claimOccurrence('s', 120_000, null)).toBe(true);
    expect((await driver.listSchedules())[0]).toMatchObject({ lastRunAt: 120_000, nextRunAt: null });
  });

  it('claims nothing for an unknown or paused schedule', async () => {
    const driver = new MemoryDriver();
    expect(await driver.claimOccurrence('nope', 1, null)).toBe(false);
    await driver.saveSchedule(schedule('p', { paused: true }));
    expect(await driver.claimOccurrence('p', 1, null)).toBe(false);
  });

  it('gives exactly one of many concurrent claimers the occurrence', async () => {
    const driver = new MemoryDriver();
    await driver.saveSchedule(schedule('s'));
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => driver.claimOccurrence('s', 60_000, 120_000)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
