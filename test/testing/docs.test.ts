import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeBlocks, type ExcerptSource, isExcerptOf, readSource, sourceOf } from '../support/excerpts.js';

/**
 * docs/testing.md shows only code that runs: each TypeScript block is an excerpt of the guide's test file or
 * of the example app it tests (a `// ...` line elides lines), and its failure-message sample is the message
 * the test checks.
 */
const root = new URL('../../', import.meta.url);
const guide = readFileSync(new URL('docs/testing.md', root), 'utf8');
const sources: ExcerptSource[] = [
  readSource(new URL('test/testing/signup-guide.test.ts', root), 'test/testing/signup-guide.test.ts'),
  readSource(new URL('examples/signup/app.ts', root), 'examples/signup/app.ts'),
];
const blocks = codeBlocks(guide);

describe('docs/testing.md', () => {
  it('has TypeScript blocks from both the app and its tests', () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const source of sources) expect(blocks.some((block) => isExcerptOf(block, source))).toBe(true);
  });

  it.each(blocks.map((block, i) => [i + 1, block] as const))(
    'block %d is an excerpt of the signup app or of its tests',
    (_n, block) => {
      expect(
        sourceOf(block, sources),
        `docs/testing.md block not found in ${sources.map((s) => s.name).join(' or ')}:\n${block}`,
      ).toBeDefined();
    },
  );

  it('shows a failure message the guide test checks, line for line', () => {
    const [sample] = codeBlocks(guide, 'text');
    const test = readFileSync(new URL('test/testing/signup-guide.test.ts', root), 'utf8');
    for (const line of sample!.trimEnd().split('\n')) expect(test).toContain(line.trim());
  });
});

describe('excerpt matching', () => {
  const source: ExcerptSource = { name: 'source', lines: ['a();', 'b();', 'c();', 'd(); // note'] };

  it('accepts whole lines in order, with elisions', () => {
    expect(isExcerptOf('  a();\n\n  b();\n', source)).toBe(true);
    expect(isExcerptOf('a();\n// ...\nd(); // note', source)).toBe(true);
  });

  it('rejects lines out of order, missing lines and parts of lines', () => {
    expect(isExcerptOf('b();\na();', source)).toBe(false);
    expect(isExcerptOf('a();\nc();', source)).toBe(false);
    expect(isExcerptOf('d();', source)).toBe(false);
    expect(isExcerptOf('c();\n// ...\na();', source)).toBe(false);
  });
});
