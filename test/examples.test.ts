import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = fileURLToPath(new URL('../examples/', import.meta.url));
const examples = readdirSync(examplesDir).filter((file) => file.endsWith('.ts'));
const source = (file: string) => readFileSync(examplesDir + file, 'utf8');
const needsRedis = (file: string) => source(file).includes('@conveyor/redis-driver');
/** Set by vitest.config.ts when no Redis answers on a developer machine (never in CI). */
const redisAbsent = process.env.CONVEYOR_REDIS_ABSENT === '1';

async function runExample(file: string): Promise<void> {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=@conveyor/source', '--import', 'tsx', `examples/${file}`],
    { cwd: root, timeout: 60_000, env: { ...process.env, CONVEYOR_EXAMPLE_TEST: '1' } },
  );
  const expected = /\/\/ expect-output: (.+)$/m.exec(source(file))?.[1];
  expect(stdout.trim().length).toBeGreaterThan(0);
  if (expected) expect(stdout).toMatch(new RegExp(expected));
}

/** Each example's first line comment says what it shows; its output must show it ran to the end. */
describe('examples', () => {
  it('there are examples to run', () => expect(examples).toContain('demo.ts'));

  it.each(examples.filter((f) => !needsRedis(f)))('%s runs to the end and exits 0', runExample);

  it.skipIf(redisAbsent).each(examples.filter(needsRedis))(
    '%s runs to the end on Redis and exits 0',
    runExample,
  );
});
