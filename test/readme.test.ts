import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every TypeScript block in the README is an excerpt of a file in examples/, which the examples smoke test
 * runs; so every README example runs in a test. A block may elide lines with a `// ...` line.
 */
const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const examples = readdirSync(new URL('examples/', root))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: normalize(readFileSync(new URL(`examples/${f}`, root), 'utf8')) }));
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

function normalize(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

describe('README', () => {
  it('has TypeScript examples', () => expect(blocks.length).toBeGreaterThan(2));

  it.each(blocks.map((block, i) => [i + 1, block] as const))('block %d is an excerpt of an example that runs', (_n, block) => {
    const parts = normalize(block)
      .split(/^\/\/ \.\.\.$/m)
      .map((part) => part.trim())
      .filter(Boolean);
    const home = examples.find((example) => {
      let from = 0;
      for (const part of parts) {
        const at = example.text.indexOf(part, from);
        if (at < 0) return false;
        from = at + part.length;
      }
      return true;
    });
    expect(home?.file, `README block not found in examples/:\n${block}`).toBeDefined();
  });
});
