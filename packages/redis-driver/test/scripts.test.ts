import { afterAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../../test/e2e/support.js';
import { Keys } from '../src/keys.js';
import { RedisDriver } from '../src/redis-driver.js';
import { SCRIPT_NAMES, Scripts } from '../src/scripts.js';
import { cleanup, makeDriver, newJob, newPrefix, reserveAll, T0 } from './helpers.js';

const prefix = newPrefix();
afterAll(() => cleanup(prefix));

describe('scripts', () => {
  it('every script compiles on the server, each with a KEYS/ARGV/Returns header', async () => {
    const driver = makeDriver(prefix);
    const scripts = new Scripts(new Keys(prefix), 60_000);
    for (const name of SCRIPT_NAMES) {
      const { text, sha } = scripts.compiled(name);
      expect(await driver.redis.script('LOAD', text)).toBe(sha);
      const body = text.slice(text.lastIndexOf(`-- ${name}:`));
      expect(body, name).toMatch(/^-- [a-z-]+: /);
      expect(body, name).toMatch(/-- (KEYS|ARGV)/);
      expect(body, name).toMatch(/-- Returns/);
    }
  });

  // SCRIPT FLUSH empties the script cache of every client of a server: on a redis-server of its own, not the
  // Redis the other suites share.
  it('reloads scripts after SCRIPT FLUSH (NOSCRIPT), for single calls and pipelined settles', async () => {
    const server = await startRedisServer();
    const driver = new RedisDriver({ url: server.url, prefix });
    try {
      await reloadsAfterFlush(driver);
    } finally {
      await driver.close();
      await server.destroy();
    }
  });
});

async function reloadsAfterFlush(driver: RedisDriver): Promise<void> {
  const jobs = [newJob(), newJob()];
  await driver.push({ jobs }, T0);
  await driver.redis.script('FLUSH');

  const { jobs: reserved } = await reserveAll(driver, T0);
  expect(reserved.map((job) => job.id)).toEqual(jobs.map((job) => job.id));

  await driver.redis.script('FLUSH');
  const results = await driver.settle(
    reserved.map((job) => ({
      jobId: job.id,
      token: job.token,
      outcome: { type: 'completed', result: null },
    })),
    T0 + 1,
  );
  expect(results).toEqual([
    { ok: true, state: 'completed', batch: null },
    { ok: true, state: 'completed', batch: null },
  ]);
}
