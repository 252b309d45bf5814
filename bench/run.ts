/**
 * `pnpm bench`: Conveyor and BullMQ side by side on the same Redis (DESIGN.md section 6). Every run of every
 * scenario is a fresh child process (`child.ts`); Conveyor and BullMQ runs alternate (C B, B C, C B, ...); each
 * figure is the median of the runs. Writes docs/benchmarks/latest.json and docs/benchmarks/README.md.
 *
 * Options (environment): REDIS_URL (default redis://127.0.0.1:6379), BENCH_REDIS_DB (default 13),
 * BENCH_RUNS (default 3), BENCH_ONLY (comma-separated scenario ids: runs those and prints them, writes nothing),
 * BENCH_RENDER=1 (re-renders README.md from latest.json, runs nothing).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { adminClient, BENCH_DB, BENCH_PREFIX, deletePrefix, REDIS_URL } from './lib/env.js';
import { METHOD } from './lib/method.js';
import { type Environment, markdown, type Runs, rows, writeReport } from './lib/report.js';
import type { Figures, Lib } from './lib/scenario.js';
import { scenarios } from './scenarios/index.js';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const ROOT = new URL('../', import.meta.url);

/** Runs one scenario for one library in a child process; one retry if the process fails. */
async function runChild(id: string, lib: Lib, run: number): Promise<Figures> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnChild(id, lib, run);
    } catch (error) {
      if (attempt >= 2) throw error;
      console.error(`  ${id} ${lib} run ${run + 1} failed, retrying: ${(error as Error).message}`);
    }
  }
}

function spawnChild(id: string, lib: Lib, run: number): Promise<Figures> {
  const child = spawn(
    process.execPath,
    ['--conditions=@conveyor/source', '--import', 'tsx', CHILD, id, lib, String(run)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)) as Figures);
      else reject(new Error(`exit ${code ?? signal}: ${err.trim().split('\n').slice(-6).join(' | ')}`));
    });
  });
}

function version(path: string): string {
  return (JSON.parse(readFileSync(new URL(path, ROOT), 'utf8')) as { version: string }).version;
}

function git(args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd: fileURLToPath(ROOT) });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve(code === 0 ? out.trim() : null));
    child.on('error', () => resolve(null));
  });
}

/**
 * The commit measured, with `-dirty` when the tree differs from it outside docs/benchmarks (the bench's own output:
 * a second run before the first one's report is committed still measures that commit).
 */
async function gitRevision(): Promise<string> {
  const [commit, changes] = await Promise.all([
    git(['describe', '--always']),
    git(['status', '--porcelain', '--', '.', ':(exclude)docs/benchmarks']),
  ]);
  if (!commit) return 'unknown';
  return changes === '' ? commit : `${commit}-dirty`;
}

if (process.env.BENCH_RENDER) {
  // Re-renders docs/benchmarks/README.md from latest.json (after a change to the method text), runs nothing.
  const dir = new URL('docs/benchmarks/', ROOT);
  const saved = JSON.parse(readFileSync(new URL('latest.json', dir), 'utf8')) as Environment & { runs: Runs };
  const { runs: savedRuns, ...savedEnv } = saved;
  writeReport(dir, savedEnv as Environment, rows(savedRuns), savedRuns, METHOD);
  console.log('Rendered docs/benchmarks/README.md from latest.json');
  process.exit(0);
}

const started = Date.now();
const loadStart = loadavg();
const admin = adminClient();
const info = await admin.info('server');
const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
// The server's Lua state: a script cache filled by other work (other clients; our own test suite did, before
// scripts took the prefix as an argument) slows every script of both libraries, BullMQ's more (see
// docs/benchmarks/notes.md).
const memory = await admin.info('memory');
const cachedScripts = Number(/number_of_cached_scripts:(\d+)/.exec(memory)?.[1] ?? NaN);
const luaMb = Number(/used_memory_lua:(\d+)/.exec(memory)?.[1] ?? NaN) / 1024 / 1024;
if (cachedScripts > 1_000) {
  console.warn(
    `Warning: Redis holds ${cachedScripts} cached scripts (Lua memory ${luaMb.toFixed(0)} MB): figures are slower than on a fresh server; SCRIPT FLUSH (or a restart) gives a clean one.`,
  );
}
// Leftovers of an interrupted bench (only the bench's own prefix, in its own database).
await deletePrefix(admin, BENCH_PREFIX);
console.log(`Redis ${redisVersion} at ${REDIS_URL}, database ${BENCH_DB}; ${RUNS} runs per figure`);

const runs: Runs = {};
for (const scenario of Object.values(scenarios)) {
  if (ONLY && !ONLY.includes(scenario.id)) continue;
  const libs: Lib[] = scenario.bullmq ? ['conveyor', 'bullmq'] : ['conveyor'];
  const entry: Runs[string] = (runs[scenario.id] = {});
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? libs : [...libs].reverse();
    for (const lib of order) {
      const figures = await runChild(scenario.id, lib, run);
      (entry[lib] ??= []).push(figures);
      const shown = Object.entries(figures)
        .map(([k, v]) => `${k}=${v >= 100 ? Math.round(v) : v.toFixed(2)}`)
        .join(' ');
      console.log(`${scenario.id.padEnd(14)} ${lib.padEnd(8)} run ${run + 1}: ${shown}`);
    }
  }
}
admin.disconnect();

const env: Environment = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: totalmem() / 1024 ** 3,
    loadAverage: { start: loadStart, end: loadavg() },
  },
  node: process.version,
  redis: redisVersion,
  redisLua: { cachedScripts, memoryMb: luaMb },
  bullmq: version('bench/node_modules/bullmq/package.json'),
  conveyor: `${version('packages/core/package.json')} (${await gitRevision()})`,
  runsPerFigure: RUNS,
  durationS: (Date.now() - started) / 1000,
};
const table = rows(runs);
if (ONLY) {
  console.log(`\n${markdown(env, table, '')}`);
} else {
  const dir = new URL('docs/benchmarks/', ROOT);
  mkdirSync(dir, { recursive: true });
  writeReport(dir, env, table, runs, METHOD);
  console.log(
    `\n${markdown(env, table, '')}\nWrote docs/benchmarks/latest.json and docs/benchmarks/README.md`,
  );
}
