import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  Conveyor,
  Driver,
  JobClass,
  MetricsOptions,
  RetentionOptions,
  WorkerOptions,
} from '@conveyor/core';
import { CliError, EXIT, oneLine } from './errors.js';

/** What `conveyor.config.{ts,js,mjs}` exports (as its default export, or as named exports). */
export interface ConveyorConfig {
  /** The storage: a driver, or a function that makes one (it receives `--prefix` when given). */
  driver?: Driver | DriverFactory;
  /** The job classes workers may run (their allowlist). */
  jobs?: JobClass[];
  /** Queues `conveyor work` takes from, in strict order. Default `['default']`; `--queue` overrides. */
  queues?: string[];
  /** Jobs one `conveyor work` process runs at once. Default 1; `--concurrency` overrides. */
  concurrency?: number;
  /** Retention of finished jobs (see `new Conveyor({ retention })`). */
  retention?: RetentionOptions;
  /** Per-minute metrics (see `new Conveyor({ metrics })`). */
  metrics?: MetricsOptions | false;
  /** Other worker options (`lease`, `heartbeat`, `stalledInterval`, ...); flags override them. */
  worker?: Omit<WorkerOptions, 'conveyor' | 'jobs' | 'queues' | 'concurrency'>;
  /** Called with the CLI's Conveyor before any command runs: define schedules, add listeners. */
  setup?: (conveyor: Conveyor) => void | Promise<void>;
}

/** Makes the driver; `options.prefix` is `--prefix` when given. */
export type DriverFactory = (options: { prefix?: string }) => Driver | Promise<Driver>;

/** Types a config file's export: `export default defineConfig({ driver, jobs })`. */
export function defineConfig(config: ConveyorConfig): ConveyorConfig {
  return config;
}

/** Looked up in this order in the working directory. */
export const CONFIG_FILES = ['conveyor.config.ts', 'conveyor.config.mjs', 'conveyor.config.js'] as const;

/** The config file to load: `explicit` (which must exist), else the first of `CONFIG_FILES` in `cwd`, else null. */
export function findConfig(cwd: string, explicit?: string): string | null {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new CliError(`Config file ${path} does not exist.`, EXIT.usage);
    return path;
  }
  for (const name of CONFIG_FILES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return null;
}

/** Imports and checks a config file. Every problem is a `CliError` naming the file. */
export async function loadConfig(path: string): Promise<ConveyorConfig> {
  let module: Record<string, unknown>;
  try {
    module = await importFile(path);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`Cannot load config ${path}: ${oneLine(error)}`);
  }
  let exported: unknown = 'default' in module && module.default !== undefined ? module.default : module;
  if (typeof exported === 'function') {
    // `export default async () => ({ ... })`
    try {
      exported = await (exported as () => unknown)();
    } catch (error) {
      throw new CliError(`Cannot load config ${path}: its exported function threw: ${oneLine(error)}`);
    }
  }
  return checkConfig(exported, path);
}

/** Imports a file; a TypeScript file outside tsx gets tsx registered first (when it is installed). */
async function importFile(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if (!/\.[cm]?ts$/.test(path) || (error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION')
      throw error;
  }
  try {
    const tsx = (await import('tsx/esm/api' as string)) as { register(): unknown };
    tsx.register();
  } catch {
    throw new CliError(
      `Cannot load config ${path}: it is TypeScript and tsx is not installed. Install tsx (npm i -D tsx), or write conveyor.config.mjs.`,
    );
  }
  return (await import(url)) as Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object';

/** Checks the shape of what a config file exported. */
export function checkConfig(value: unknown, path: string): ConveyorConfig {
  const bad = (what: string) => new CliError(`Invalid config ${path}: ${what}`);
  if (!isObject(value)) throw bad('export an object, like export default { driver, jobs }.');
  const config = value as ConveyorConfig & Record<string, unknown>;
  const { driver, jobs, queues, concurrency, setup, worker } = config;
  if (driver !== undefined && typeof driver !== 'function' && !isDriver(driver)) {
    throw bad('`driver` must be a driver (new RedisDriver({ url })) or a function that returns one.');
  }
  if (jobs !== undefined && (!Array.isArray(jobs) || jobs.some((job) => typeof job !== 'function'))) {
    throw bad('`jobs` must be an array of job classes, like [SendEmail, DailyReport].');
  }
  if (
    queues !== undefined &&
    (!Array.isArray(queues) || queues.length === 0 || queues.some((q) => typeof q !== 'string' || q === ''))
  ) {
    throw bad("`queues` must be a non-empty array of queue names, like ['high', 'default'].");
  }
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw bad('`concurrency` must be a whole number >= 1.');
  }
  if (setup !== undefined && typeof setup !== 'function')
    throw bad('`setup` must be a function (conveyor) => void.');
  if (worker !== undefined && !isObject(worker)) throw bad('`worker` must be an object of worker options.');
  return config;
}

export function isDriver(value: unknown): value is Driver {
  return (
    isObject(value) &&
    typeof value.push === 'function' &&
    typeof value.reserve === 'function' &&
    typeof value.close === 'function'
  );
}
