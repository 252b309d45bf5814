import { readFileSync } from 'node:fs';

/**
 * Checks that documentation code is real code: each fenced block must be an excerpt of a source file that a
 * test runs. Matching ignores indentation and blank lines; a line `// ...` in a block elides any number of
 * lines of the source. Each run of lines between elisions must appear as whole, consecutive lines of the
 * source, and the runs in the block's order.
 */

/** A source file, as excerpts are matched against it. */
export interface ExcerptSource {
  /** How failure messages name it. */
  name: string;
  lines: string[];
}

/** The fenced code blocks of a markdown text in `language` (` ```ts ` by default), without their fences. */
export function codeBlocks(markdown: string, language = 'ts'): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  return [...markdown.matchAll(fence)].map((match) => match[1]!);
}

/** Lines trimmed, blank lines dropped. */
export function normalizedLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** Reads a file as an excerpt source, named `name` in messages. */
export function readSource(url: URL, name: string): ExcerptSource {
  return { name, lines: normalizedLines(readFileSync(url, 'utf8')) };
}

/** The runs of lines of a block, split at `// ...` elision lines. */
export function excerptParts(block: string): string[][] {
  const parts: string[][] = [[]];
  for (const line of normalizedLines(block)) {
    if (line === '// ...') parts.push([]);
    else parts.at(-1)!.push(line);
  }
  return parts.filter((part) => part.length > 0);
}

/** True when every run of the block appears in `source` as whole consecutive lines, in order. */
export function isExcerptOf(block: string, source: ExcerptSource): boolean {
  let from = 0;
  for (const part of excerptParts(block)) {
    const at = indexOfRun(source.lines, part, from);
    if (at < 0) return false;
    from = at + part.length;
  }
  return true;
}

/** The name of the first source the block is an excerpt of, or undefined. */
export function sourceOf(block: string, sources: readonly ExcerptSource[]): string | undefined {
  return sources.find((source) => isExcerptOf(block, source))?.name;
}

function indexOfRun(lines: readonly string[], run: readonly string[], from: number): number {
  for (let at = from; at + run.length <= lines.length; at++) {
    if (run.every((line, i) => lines[at + i] === line)) return at;
  }
  return -1;
}
