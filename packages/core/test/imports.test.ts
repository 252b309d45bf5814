import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'conveyor-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Imports `entry` in a fresh Node process and returns every module URL it resolved. */
function modulesLoadedBy(entry: string): string[] {
  const trace = join(dir, `${entry.replace(/\W/g, '_')}.txt`);
  const child = spawnSync(
    process.execPath,
    [
      '--conditions=@conveyor/source',
      '--import',
      'tsx',
      '--import',
      fileURLToPath(new URL('./fixtures/trace-resolve.mjs', import.meta.url)),
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(entry)});`,
    ],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      env: { ...process.env, TRACE_FILE: trace },
    },
  );
  expect(child.status, child.stderr).toBe(0);
  return readFileSync(trace, 'utf8').trim().split('\n');
}

describe('@conveyor/core', () => {
  it('loads no driver and no ioredis when imported', () => {
    const urls = modulesLoadedBy('@conveyor/core');
    expect(urls.some((u) => u.endsWith('/packages/core/src/index.ts'))).toBe(true);
    expect(urls.some((u) => u.endsWith('/packages/core/src/worker.ts'))).toBe(true);
    expect(urls.filter((u) => /ioredis|redis-driver|memory-driver/.test(u))).toEqual([]);
  });

  it('loads no testing code when imported: Queue.fake() comes only with @conveyor/core/testing', () => {
    const urls = modulesLoadedBy('@conveyor/core');
    expect(urls.filter((u) => /\/src\/testing\//.test(u))).toEqual([]);
  });
});

describe('@conveyor/core/testing', () => {
  it('loads the testing module and no driver', () => {
    const urls = modulesLoadedBy('@conveyor/core/testing');
    expect(urls.some((u) => u.endsWith('/packages/core/src/testing/index.ts'))).toBe(true);
    expect(urls.filter((u) => /ioredis|redis-driver|memory-driver/.test(u))).toEqual([]);
  });
});
