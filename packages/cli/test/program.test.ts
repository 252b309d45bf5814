import { describe, expect, it } from 'vitest';
import { durationMs, jobState, queueList, since, wholeNumber } from '../src/options.js';
import { defaultRuntime, run, VERSION } from '../src/program.js';
import { captureIo, tempDir } from './helpers.js';

async function cli(argv: string[], cwd?: string) {
  const capture = captureIo(cwd);
  const code = await run(argv, { ...defaultRuntime, io: capture.io });
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

/** Exactly one line, with no stack trace. */
function oneLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(text).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe('conveyor --help', () => {
  it('lists every command', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of [
      'conveyor work',
      'conveyor stats',
      'conveyor jobs list',
      'conveyor job <id>',
      'conveyor batch <id>',
      'conveyor workers',
      'conveyor health',
      'conveyor failed list',
      'conveyor failed retry <id|all>',
      'conveyor failed forget <id>',
      'conveyor failed flush',
      'conveyor schedule list',
      'conveyor schedule pause|resume|delete <name>',
      'conveyor queue pause|resume|clear <name>',
    ]) {
      expect(stdout).toContain(command);
    }
    for (const flag of [
      '--queue',
      '--concurrency',
      '--max-jobs',
      '--max-time',
      '--stop-when-empty',
      '--no-scheduler',
      '--timeout',
      '--lease',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it('prints the version', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('prints help for a group called without its subcommand, with a usage exit code', async () => {
    const { code, stdout, stderr } = await cli(['failed']);
    expect(code).toBe(2);
    expect(stdout + stderr).toContain('retry');
  });

  it('prints help on stderr and exits 2 with no command', async () => {
    const { code, stderr } = await cli([]);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: conveyor');
  });
});

describe('bad flags: one line on stderr, exit 2', () => {
  it.each([
    [['work', '--concurrency', 'abc'], /--concurrency <n>.*'abc' is invalid.*whole number >= 1/],
    [['work', '--concurrency', '0'], /whole number >= 1/],
    [['work', '--max-time', 'soon'], /--max-time.*'soon' is invalid.*duration/],
    [['work', '--queue', 'high,,low'], /comma/],
    [['work', '--queue', 'a,a'], /listed twice/],
    [['work', '--log', 'xml'], /text or json/],
    [['work', '--bogus'], /unknown option '--bogus'/],
    [['jobs', 'list', '--status', 'done'], /pending, delayed, processing/],
    [['jobs', 'list', '--limit', '-1'], /whole number >= 1/],
    [['stats', '--since', 'yesterday-ish'], /duration ago/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['job'], /missing required argument 'id'/],
  ])('%j', async (argv, message) => {
    const { code, stdout, stderr } = await cli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(oneLine(stderr)).toMatch(message);
    expect(stderr).toMatch(/^conveyor: /);
  });
});

describe('no config', () => {
  it('says how to give one, in one line, exit 2', async () => {
    const dir = tempDir();
    try {
      const { code, stderr } = await cli(['stats'], dir.dir);
      expect(code).toBe(2);
      expect(oneLine(stderr)).toMatch(
        /No conveyor\.config\.ts, \.mjs or \.js in .*--config <path>.*--redis <url>/,
      );
    } finally {
      dir.cleanup();
    }
  });
});

describe('flag values', () => {
  it('parses durations, counts, queue lists, states and times', () => {
    expect(durationMs('30s')).toBe(30_000);
    expect(durationMs('250')).toBe(250);
    expect(durationMs('1.5m')).toBe(90_000);
    expect(wholeNumber(0)('0')).toBe(0);
    expect(queueList(' high, default ')).toEqual(['high', 'default']);
    expect(jobState('failed')).toBe('failed');
    expect(since(() => 1_000_000)('15m')).toBe(1_000_000 - 900_000);
    expect(since(() => 0)('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(() => wholeNumber(1)('1.5')).toThrow(/whole number/);
    expect(() => durationMs('-1s')).toThrow(/duration/);
  });
});
