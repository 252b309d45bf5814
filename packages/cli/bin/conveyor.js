#!/usr/bin/env node
// The `conveyor` command. Runs the built CLI (dist/main.js); in this repository, where dist may not exist, it
// runs the TypeScript sources through tsx with the `@conveyor/source` condition (as the tests do).
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const built = new URL('../dist/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  register('./source-condition.js', import.meta.url);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
