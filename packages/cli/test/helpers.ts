import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Conveyor } from '@conveyor/core';
import type { ProcessControl } from '../src/commands/work.js';
import type { ConveyorConfig } from '../src/config.js';
import type { CliContext } from '../src/context.js';
import type { Io } from '../src/io.js';
import { defaultRuntime, type Runtime, run } from '../src/program.js';
import type { Watch } from '../src/watch.js';

/** An Io that keeps what the CLI wrote. */
export function captureIo(cwd = process.cwd(), env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const progress = new PassThrough();
  progress.resume();
  const io: Io = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    isTty: false,
    progressStream: progress,
    cwd,
    env,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

/** A watch the test stops by hand. */
export function manualWatch(): Watch & { stop(): void } {
  const listeners = new Set<() => void>();
  return {
    onStop(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    stop: () => {
      for (const listener of listeners) listener();
    },
  };
}

/** Signals the test sends by hand; `exit` throws (so a forced exit is observable). */
export function fakeControl(): ProcessControl & { send(signal: NodeJS.Signals): void; exits: number[] } {
  const listeners = new Map<string, Set<() => void>>();
  const exits: number[] = [];
  return {
    exits,
    onSignal(signal, listener) {
      const set = listeners.get(signal) ?? new Set();
      listeners.set(signal, set);
      set.add(listener);
      return () => void set.delete(listener);
    },
    exit(code): never {
      exits.push(code);
      throw new Error(`exit ${code}`);
    },
    send(signal) {
      for (const listener of listeners.get(signal) ?? []) listener();
    },
  };
}

/** Runs the CLI on a conveyor the test owns (kept open between runs) with `config`. */
export function runOn(conveyor: Conveyor, config: ConveyorConfig = {}, parts: Partial<Runtime> = {}) {
  return async (...argv: string[]) => {
    const capture = captureIo();
    const runtime: Runtime = {
      ...defaultRuntime,
      watch: manualWatch(),
      control: fakeControl(),
      ...parts,
      io: capture.io,
      open: async (): Promise<CliContext> => ({ config, configPath: null, conveyor, close: async () => {} }),
    };
    const code = await run(argv, runtime);
    return { code, stdout: capture.stdout(), stderr: capture.stderr() };
  };
}

const TMP_ROOT = fileURLToPath(new URL('./.tmp/', import.meta.url));

/** A directory inside this package (so config files there resolve its dependencies), removed by `cleanup`. */
export function tempDir(files: Record<string, string> = {}) {
  mkdirSync(TMP_ROOT, { recursive: true });
  const dir = mkdtempSync(join(TMP_ROOT, 'config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
