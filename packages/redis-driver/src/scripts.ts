import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type ChainableCommander, Command, type Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** One Lua script per transition, each in `src/lua/<name>.lua`. */
export const SCRIPT_NAMES = [
  'push',
  'reserve',
  'settle',
  'settle-reserve',
  'extend-leases',
  'recover-stalled',
  'cancel',
  'set-progress',
  'retry-failed',
  'remove',
  'clean',
  'list',
  'cancel-batch',
  'extend-chain',
  'acquire-lock',
  'release-lock',
  'hit-rate-limit',
  'claim-occurrence',
  'save-schedule',
  'set-queue-settings',
  'list-workers',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

export type ScriptArg = string | number;

export interface ScriptCall {
  name: ScriptName;
  keys: string[];
  args: ScriptArg[];
}

/** What `-- include: jobs` adds, in order (each file may use the ones before it). */
const JOB_INCLUDES = ['include/enqueue.lua', 'include/follow-ups.lua', 'include/finish.lua'];

interface Compiled {
  text: string;
  sha: string;
}

const files = new Map<string, string>();

/**
 * Reads a Lua file shipped beside this module: `./lua/` from `src` (tests, tsx) or `../src/lua/` from `dist`
 * (the package ships `src`, so a `tsc` build needs no copy step).
 */
function readLua(relative: string): string {
  const cached = files.get(relative);
  if (cached !== undefined) return cached;
  for (const base of ['./lua/', '../src/lua/']) {
    const url = new URL(base + relative, import.meta.url);
    if (existsSync(url)) {
      const text = readFileSync(url, 'utf8');
      files.set(relative, text);
      return text;
    }
  }
  throw new Error(`redis driver: Lua file ${relative} not found beside ${import.meta.url}`);
}

/**
 * Expands a `-- compose: a b` line: the bodies of scripts a and b, each as a local function `a_body(KEYS, ARGV)`
 * (dashes as underscores) returning what the script returns, so one call can run several scripts' work in turn.
 */
function composed(body: string): string {
  return body.replace(/^-- compose: (.+)$/m, (_, names: string) =>
    names
      .split(' ')
      .map(
        (part) =>
          `local function ${part.replace(/-/g, '_')}_body(KEYS, ARGV)\n${readLua(`${part}.lua`)}\nend`,
      )
      .join('\n'),
  );
}

/**
 * EVALSHA's arguments as one array (ioredis sends it as is; no spread of a 100k-argument push), the key prefix
 * last: every script takes it off ARGV first (`local PFX = table.remove(ARGV)`), so its own arguments are as
 * its header says.
 */
function evalArgs(sha: string, call: ScriptCall, prefix: string): ScriptArg[] {
  const args: ScriptArg[] = [sha, call.keys.length];
  for (const key of call.keys) args.push(key);
  for (const arg of call.args) args.push(arg);
  args.push(prefix);
  return args;
}

const isNoScript = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Runs scripts by EVALSHA. A script is assembled once per driver (key functions for its prefix, shared helpers,
 * then its own body) and loaded on first NOSCRIPT, so a `SCRIPT FLUSH` or a restarted server costs one reload.
 */
export class Scripts {
  readonly #keys: Keys;
  readonly #compiled = new Map<ScriptName, Compiled>();
  readonly #loading = new Map<ScriptName, Promise<unknown>>();

  readonly #groupRetentionMs: number;

  /** `groupRetentionMs`: how long a finished batch or chain is kept before Redis expires its keys. */
  constructor(keys: Keys, groupRetentionMs: number) {
    this.#keys = keys;
    this.#groupRetentionMs = groupRetentionMs;
  }

  /**
   * The full text and SHA1 of a script: the prefix taken off its arguments, key functions and
   * `include/base.lua`, then, for a script whose header says `-- include: jobs`, the job helpers (enqueue,
   * follow-ups, finish), then its body. The same for every prefix of a hash-tag mode (see `Keys.luaKeyFunctions`).
   */
  compiled(name: ScriptName): Compiled {
    let script = this.#compiled.get(name);
    if (!script) {
      const body = composed(readLua(`${name}.lua`));
      const jobs = /^-- include: jobs$/m.test(body)
        ? JOB_INCLUDES.map((file) => readLua(file)).join('\n')
        : '';
      const retention = Math.max(1, Math.floor(this.#groupRetentionMs));
      const code = `local GROUP_RETENTION_MS = ${retention}\n${readLua('include/base.lua')}\n${jobs}\n${body}`;
      const text = `local PFX = table.remove(ARGV)\n${this.#keyFunctionsFor(code)}\n${code}`;
      script = { text, sha: createHash('sha1').update(text).digest('hex') };
      this.#compiled.set(name, script);
    }
    return script;
  }

  /** Only the key functions `code` names: each local function of a script costs a closure on every call. */
  #keyFunctionsFor(code: string): string {
    return this.#keys
      .luaKeyFunctions()
      .split('\n')
      .filter((line) => {
        const name = /^local (?:function )?(K_[A-Za-z_]+)/.exec(line)?.[1];
        return name !== undefined && new RegExp(`\\b${name}\\b`).test(code);
      })
      .join('\n');
  }

  /**
   * Runs one call. `now`: written to the socket at once rather than with the calls of this tick (ioredis
   * auto-pipelining writes those at the end of the tick), so Redis can run it while the process prepares more
   * (pushes of many dispatches in flight).
   */
  async run(redis: Redis, call: ScriptCall, now = false): Promise<unknown> {
    const { sha, text } = this.compiled(call.name);
    const send = () =>
      now
        ? redis.sendCommand(
            new Command('evalsha', evalArgs(sha, call, this.#keys.prefix), { replyEncoding: 'utf8' }),
          )
        : redis.call('EVALSHA', evalArgs(sha, call, this.#keys.prefix));
    try {
      return await send();
    } catch (error) {
      if (!isNoScript(error)) throw error;
      await this.#load(redis, call.name, text);
      return send();
    }
  }

  /** Runs many calls in one pipeline (one round trip); each result or error in call order. */
  async runMany(redis: Redis, calls: ScriptCall[]): Promise<Array<{ error: Error | null; value: unknown }>> {
    if (calls.length === 1) {
      try {
        return [{ error: null, value: await this.run(redis, calls[0]!) }];
      } catch (error) {
        return [{ error: error as Error, value: undefined }];
      }
    }
    const results = await this.#pipeline(redis, calls);
    const missing = results.flatMap((result, i) => (isNoScript(result.error) ? [i] : []));
    if (missing.length > 0) {
      const names = new Set(missing.map((i) => calls[i]!.name));
      await Promise.all([...names].map((name) => this.#load(redis, name, this.compiled(name).text)));
      const retried = await this.#pipeline(
        redis,
        missing.map((i) => calls[i]!),
      );
      missing.forEach((index, j) => {
        results[index] = retried[j]!;
      });
    }
    return results;
  }

  /** Loads a script once however many calls met NOSCRIPT at the same time. */
  #load(redis: Redis, name: ScriptName, text: string): Promise<unknown> {
    let loading = this.#loading.get(name);
    if (!loading) {
      loading = redis.script('LOAD', text).finally(() => this.#loading.delete(name));
      this.#loading.set(name, loading);
    }
    return loading;
  }

  async #pipeline(
    redis: Redis,
    calls: ScriptCall[],
  ): Promise<Array<{ error: Error | null; value: unknown }>> {
    const pipeline: ChainableCommander = redis.pipeline();
    for (const call of calls)
      pipeline.call('EVALSHA', evalArgs(this.compiled(call.name).sha, call, this.#keys.prefix));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => ({ error, value }));
  }
}
