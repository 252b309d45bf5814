import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_FILES, findConfig, loadConfig } from '../src/config.js';
import { openContext } from '../src/context.js';
import { CliError } from '../src/errors.js';
import { captureIo, tempDir } from './helpers.js';

const dirs: Array<{ cleanup(): void }> = [];
function dirWith(files: Record<string, string>) {
  const dir = tempDir(files);
  dirs.push(dir);
  return dir.dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.cleanup();
});

const MEMORY_CONFIG = `
import { Job } from '@conveyor/core';
import { MemoryDriver } from '@conveyor/memory-driver';
class Hello extends Job { static jobName = 'Hello'; handle() {} }
export default { driver: new MemoryDriver(), jobs: [Hello], queues: ['high', 'default'], concurrency: 3 };
`;

/** What a failing load reports: a CliError with one line of message. */
async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a CliError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).message).not.toContain('\n');
  return error as CliError;
}

describe('finding the config', () => {
  it(`takes the first of ${CONFIG_FILES.join(', ')} in the working directory`, () => {
    const dir = dirWith({
      'conveyor.config.js': 'export default {}',
      'conveyor.config.mjs': 'export default {}',
    });
    expect(findConfig(dir)).toMatch(/conveyor\.config\.mjs$/);
    expect(findConfig(dirWith({}))).toBeNull();
  });

  it('fails clearly when --config names a missing file', () => {
    expect(() => findConfig(dirWith({}), 'nope.config.ts')).toThrow(
      /Config file .*nope\.config\.ts does not exist/,
    );
  });
});

describe('loading the config', () => {
  it('loads a default export, named exports, or an async function', async () => {
    const dir = dirWith({
      'a.mjs': 'export default { queues: ["a"] }',
      'b.mjs': 'export const queues = ["b"]; export const concurrency = 2;',
      'c.mjs': 'export default async () => ({ queues: ["c"] })',
    });
    expect((await loadConfig(`${dir}/a.mjs`)).queues).toEqual(['a']);
    expect(await loadConfig(`${dir}/b.mjs`)).toMatchObject({ queues: ['b'], concurrency: 2 });
    expect((await loadConfig(`${dir}/c.mjs`)).queues).toEqual(['c']);
  });

  it.each([
    ['a syntax error', 'export default {', /Cannot load config .*bad\.mjs: /],
    [
      'a throw at import',
      'throw new Error("no DATABASE_URL set")',
      /Cannot load config .*no DATABASE_URL set/,
    ],
    ['a missing import', 'import "./not-there.mjs"; export default {}', /Cannot load config .*not-there/],
    [
      'a function that throws',
      'export default () => { throw new Error("boom") }',
      /its exported function threw: boom/,
    ],
    ['not an object', 'export default 42', /export an object/],
    ['a bad driver', 'export default { driver: "redis://x" }', /`driver` must be a driver/],
    ['bad jobs', 'export default { jobs: ["SendEmail"] }', /`jobs` must be an array of job classes/],
    ['bad queues', 'export default { queues: [] }', /`queues` must be a non-empty array/],
    ['bad concurrency', 'export default { concurrency: 0 }', /`concurrency` must be a whole number >= 1/],
    ['a bad setup', 'export default { setup: true }', /`setup` must be a function/],
  ])('reports %s in one line naming the file', async (_what, source, message) => {
    const dir = dirWith({ 'bad.mjs': source });
    const error = await failure(loadConfig(`${dir}/bad.mjs`));
    expect(error.message).toMatch(message);
  });
});

describe('opening the driver', () => {
  it('uses the config’s driver, jobs and setup', async () => {
    const dir = dirWith({ 'conveyor.config.ts': MEMORY_CONFIG });
    const ctx = await openContext({}, captureIo(dir).io);
    try {
      expect(ctx.conveyor.driver.name).toBe('memory');
      expect(ctx.conveyor.registry.has('Hello')).toBe(true);
      expect(ctx.config).toMatchObject({ queues: ['high', 'default'], concurrency: 3 });
    } finally {
      await ctx.close();
    }
  });

  it('passes --prefix to a driver factory', async () => {
    const dir = dirWith({
      'conveyor.config.mjs': `
        import { MemoryDriver } from '@conveyor/memory-driver';
        export default { driver: ({ prefix }) => Object.assign(new MemoryDriver(), { prefixSeen: prefix }) };`,
    });
    const ctx = await openContext({ prefix: 'tenant-1' }, captureIo(dir).io);
    expect((ctx.conveyor.driver as unknown as { prefixSeen: string }).prefixSeen).toBe('tenant-1');
    await ctx.close();
  });

  it('refuses --prefix when the config built its driver already', async () => {
    const dir = dirWith({ 'conveyor.config.ts': MEMORY_CONFIG });
    const error = await failure(openContext({ prefix: 'x' }, captureIo(dir).io));
    expect(error.message).toMatch(/--prefix cannot change the driver .* already built/);
    expect(error.exitCode).toBe(2);
  });

  it.each([
    ['no driver', 'export default { jobs: [] }', /has no driver: export one .* or pass --redis <url>/],
    [
      'a factory that throws',
      'export default { driver: () => { throw new Error("no url") } }',
      /The driver function of .* threw: no url/,
    ],
    ['a factory that returns no driver', 'export default { driver: () => ({}) }', /did not return a driver/],
    [
      'a setup that throws',
      `import { MemoryDriver } from '@conveyor/memory-driver';
      export default { driver: new MemoryDriver(), setup() { throw new Error('bad cron') } }`,
      /Invalid config .*bad cron/,
    ],
  ])('reports %s in one line', async (_what, source, message) => {
    const dir = dirWith({ 'conveyor.config.mjs': source });
    const error = await failure(openContext({}, captureIo(dir).io));
    expect(error.message).toMatch(message);
  });

  it('--redis replaces the config’s driver with a RedisDriver', async () => {
    const dir = dirWith({ 'conveyor.config.ts': MEMORY_CONFIG });
    const ctx = await openContext({ redis: 'redis://127.0.0.1:6379', prefix: 'cli-unit' }, captureIo(dir).io);
    try {
      expect(ctx.conveyor.driver.name).toBe('redis');
      expect(ctx.conveyor.registry.has('Hello')).toBe(true); // jobs still come from the config
    } finally {
      await ctx.close();
    }
  });

  it('--redis works without a config (read and write commands need no jobs)', async () => {
    const ctx = await openContext(
      {},
      captureIo(dirWith({}), { CONVEYOR_REDIS_URL: 'redis://127.0.0.1:6379' }).io,
    );
    expect(ctx.configPath).toBeNull();
    expect(ctx.conveyor.driver.name).toBe('redis');
    await ctx.close();
  });
});
