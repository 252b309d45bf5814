import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Keys } from '../src/keys.js';
import { cleanup, makeDriver, newJob, newPrefix, REDIS_URL, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

async function keysOf(pattern: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    return (await redis.keys(pattern)).sort();
  } finally {
    await redis.quit();
  }
}

describe('key layout', () => {
  it('puts every key of a queue under the {queue} hash tag and shared keys under {prefix}', () => {
    const keys = new Keys('conveyor');
    expect(keys.queue('emails', 'ready')).toBe('conveyor:{emails}:ready');
    expect(keys.job('emails', 'j-1')).toBe('conveyor:{emails}:job:j-1');
    expect(keys.batch('b-1')).toBe('conveyor:{conveyor}:batch:b-1');
    expect(keys.unique('email:a')).toBe('conveyor:{conveyor}:unique:email:a');
    expect(keys.events).toBe('conveyor:events');
  });

  it("puts every key under {prefix} with hashTag: 'prefix' (one slot for Cluster)", () => {
    const keys = new Keys('conveyor', 'prefix');
    expect(keys.queue('emails', 'ready')).toBe('conveyor:{conveyor}:q:emails:ready');
    expect(keys.job('emails', 'j-1')).toBe('conveyor:{conveyor}:q:emails:job:j-1');
  });

  it('renders the same names as Lua functions, with the prefix read at run time (PFX), not written in', () => {
    const lua = new Keys('p"x').luaKeyFunctions();
    expect(lua).toContain('local function K_job(q, id) return PFX .. ":{" .. q .. "}:job:" .. id end');
    expect(lua).toContain('local K_QUEUES = PFX .. ":{" .. PFX .. "}:queues"');
    expect(lua).not.toContain('p');
    // one text for every prefix of a mode: Redis caches each script once, not once per prefix
    expect(new Keys('other').luaKeyFunctions()).toBe(lua);
    expect(new Keys('other', 'prefix').luaKeyFunctions()).not.toBe(lua);
  });

  it('stores a job of a prefix with quotes, braces and non-ASCII exactly where keys.ts says', async () => {
    const driver = makeDriver(`${newPrefix()}"{é}\\`);
    const job = newJob({ queue: 'emails' });
    const keys = [
      driver.keys.job('emails', job.id),
      ...(['ready', 'jobs', 'seq', 'marker'] as const).map((kind) => driver.keys.queue('emails', kind)),
      driver.keys.queues,
    ];
    try {
      await driver.push({ jobs: [job] }, T0);
      expect(await driver.redis.exists(...keys)).toBe(keys.length);
      expect(await driver.redis.hget(keys[0]!, 'payload')).toBe(job.payload);
    } finally {
      await driver.redis.del(...keys);
    }
  });

  it('stores a pushed job exactly where keys.ts says, and nothing outside the prefix', async () => {
    const driver = makeDriver(prefix);
    const job = newJob({ queue: 'emails', unique: { key: 'u-1', ttlMs: null, until: 'completed' } });
    await driver.push({ jobs: [job] }, T0);

    expect(await keysOf(`${prefix}:*`)).toEqual(
      [
        driver.keys.job('emails', job.id),
        driver.keys.queue('emails', 'ready'),
        driver.keys.queue('emails', 'jobs'),
        driver.keys.queue('emails', 'seq'),
        driver.keys.queue('emails', 'marker'),
        driver.keys.queues,
        driver.keys.unique('u-1'),
      ].sort(),
    );
    const hash = await driver.redis.hgetall(driver.keys.job('emails', job.id));
    // the id and the queue are in the key; what only clients read is one field (job_meta in base.lua)
    expect(hash).toEqual({
      state: 'pending',
      priority: '2',
      availableAt: String(T0),
      seq: '1',
      meta: `${T0},${job.maxAttempts},${job.name.length},${job.name}${job.options}`,
      payload: job.payload,
      uniqueKey: 'u-1',
      uniqueUntil: 'completed',
    });
  });
});
