/**
 * Worker RSS with 100,000 jobs waiting: 100,000 noop jobs are stored on the queue, then a separate worker
 * process starts (concurrency 1) whose handler never finishes, so it holds one job and leaves 99,999 waiting;
 * 2 s after that job started, the parent reads the worker's VmRSS from /proc. A library that loaded the backlog
 * into the worker would show it here. `baselineMb` is a Node process started the same way (tsx loader, no
 * queue library).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bullQueue } from '../lib/bull-setup.js';
import { redisConveyor } from '../lib/conveyor-setup.js';
import { benchUrl } from '../lib/env.js';
import { preloadBull, preloadConveyor } from '../lib/preload.js';
import type { Figures, Scenario } from '../lib/scenario.js';
import { sleep } from '../lib/stats.js';

const JOBS = 100_000;
const SETTLE_MS = 2_000;
/** Under bench/node_modules, so the bundle's `bullmq` and `ioredis` imports resolve to the bench's packages. */
const CACHE = new URL('../node_modules/.cache/conveyor-bench/', import.meta.url);
const ENTRIES = { conveyor: 'conveyor-worker', bullmq: 'bullmq-worker', none: 'idle' } as const;
type Kind = keyof typeof ENTRIES;

/**
 * Bundles one worker process (bench/rss/*.ts): every module but bullmq and ioredis in one file, as compiled JS,
 * one bundle per library so neither process loads the other library.
 */
async function bundle(kind: Kind): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const outfile = fileURLToPath(new URL(`${ENTRIES[kind]}.mjs`, CACHE));
  await build({
    entryPoints: [fileURLToPath(new URL(`../rss/${ENTRIES[kind]}.ts`, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@conveyor/source'],
    external: ['bullmq', 'ioredis'],
    logLevel: 'error',
  });
  // the Redis driver reads its Lua scripts from `./lua/` beside its module: beside the bundle here
  cpSync(new URL('../../packages/redis-driver/src/lua/', import.meta.url), new URL('lua/', CACHE), {
    recursive: true,
  });
  return outfile;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kb / 1024;
}

/** Starts the worker process and resolves once it printed STARTED. */
async function startWorker(kind: Kind, prefix: string): Promise<ChildProcess> {
  const file = await bundle(kind);
  const child = spawn(process.execPath, [file, prefix], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${kind} worker did not start a job in 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('STARTED')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`${kind} worker exited with ${code}`)));
  });
}

async function measure(kind: Kind, prefix: string): Promise<number> {
  const child = await startWorker(kind, prefix);
  await sleep(SETTLE_MS);
  const mb = rssMb(child.pid!);
  child.kill('SIGKILL');
  return mb;
}

export const workerRss: Scenario = {
  id: 'worker-rss',
  async conveyor({ prefix }): Promise<Figures> {
    const conveyor = redisConveyor(benchUrl(), prefix);
    await preloadConveyor(conveyor, JOBS);
    await conveyor.close();
    const rss = await measure('conveyor', prefix);
    return { rssMb: rss, baselineMb: await measure('none', prefix) };
  },
  async bullmq({ prefix }): Promise<Figures> {
    const queue = bullQueue(prefix);
    await preloadBull(queue, JOBS);
    await queue.close();
    const rss = await measure('bullmq', prefix);
    return { rssMb: rss, baselineMb: await measure('none', prefix) };
  },
};
