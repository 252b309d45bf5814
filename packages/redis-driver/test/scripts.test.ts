import { afterAll, describe, expect, it } from 'vitest';
import { Keys } from '../src/keys.js';
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

  it('reloads scripts after SCRIPT FLUSH (NOSCRIPT), for single calls and pipelined settles', async () => {
    const driver = makeDriver(prefix);
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
  });
});
