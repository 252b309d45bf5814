import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeBlocks, readSource, sourceOf } from './support/excerpts.js';

/**
 * Every TypeScript block in the README is an excerpt of a file in examples/, which the examples smoke test
 * runs; so every README example runs in a test. A block may elide lines with a `// ...` line.
 */
const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const examples = readdirSync(new URL('examples/', root))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readSource(new URL(`examples/${f}`, root), f));
const blocks = codeBlocks(readme);

describe('README', () => {
  it('has TypeScript examples', () => expect(blocks.length).toBeGreaterThan(2));

  it.each(blocks.map((block, i) => [i + 1, block] as const))(
    'block %d is an excerpt of an example that runs',
    (_n, block) => {
      expect(sourceOf(block, examples), `README block not found in examples/:\n${block}`).toBeDefined();
    },
  );
});
