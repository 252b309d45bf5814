import superjson from 'superjson';
import { ConfigurationError, ParseError, quote, SerializationError, UnknownJobError } from './errors.js';
import { type Job, type JobClass, RESERVED_JOB_KEYS } from './job.js';

/** Default largest encoded payload: 512 KiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;

/** The name a job class is stored under: `static jobName`, else the class name. */
export function jobNameOf(cls: JobClass | Function): string {
  const declared = (cls as JobClass).jobName;
  return typeof declared === 'string' && declared.length > 0 ? declared : cls.name;
}

/**
 * The job classes a process may instantiate, by name. A worker's `jobs` list is its allowlist: a stored job
 * whose name is not here is never instantiated.
 */
export class JobRegistry {
  readonly #classes = new Map<string, JobClass>();

  constructor(classes: Iterable<JobClass> = []) {
    for (const cls of classes) this.register(cls);
  }

  /** Registers a class; a different class already under the same name is a `ConfigurationError`. */
  register(cls: JobClass): this {
    if (typeof cls !== 'function' || typeof cls.prototype?.handle !== 'function') {
      throw new TypeError(
        `Cannot register ${quote(cls)}: expected a class that extends Job and defines handle(ctx).`,
      );
    }
    const name = jobNameOf(cls);
    const existing = this.#classes.get(name);
    if (existing && existing !== cls) {
      throw new ConfigurationError(
        `Two different job classes are registered as ${quote(name)}: give one of them another \`static jobName\`.`,
      );
    }
    this.#classes.set(name, cls);
    return this;
  }

  has(name: string): boolean {
    return this.#classes.has(name);
  }

  /** The class for `name`, or an `UnknownJobError` that names it and says to register it. */
  resolve(name: string): JobClass {
    const cls = this.#classes.get(name);
    if (!cls) {
      throw new UnknownJobError(
        `No job class named ${quote(name)} is registered with this worker: add it to the worker's \`jobs\` list ` +
          '(then retry the failed job).',
      );
    }
    return cls;
  }

  names(): string[] {
    return [...this.#classes.keys()];
  }
}

const CARRIED_CLASSES: ReadonlyArray<Function> = [Date, RegExp, Map, Set, URL, Error];

/** Finds the first value superjson cannot carry faithfully and names its path. */
function findUnsupported(value: unknown, path: string, seen: Set<object>): string | null {
  const kind = typeof value;
  if (kind === 'function') return `${path} is a function`;
  if (kind === 'symbol') return `${path} is a symbol`;
  if (value === null || kind !== 'object') return null;
  const obj = value as object;
  if (seen.has(obj)) return `${path} is a circular reference`;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        const found = findUnsupported(obj[i], `${path}[${i}]`, seen);
        if (found) return found;
      }
      return null;
    }
    if (obj instanceof Map) {
      for (const [k, v] of obj) {
        const found =
          findUnsupported(k, `${path}<key>`, seen) ?? findUnsupported(v, `${path}.get(${quote(k)})`, seen);
        if (found) return found;
      }
      return null;
    }
    if (obj instanceof Set) {
      for (const v of obj) {
        const found = findUnsupported(v, `${path}<item>`, seen);
        if (found) return found;
      }
      return null;
    }
    if (CARRIED_CLASSES.some((cls) => obj instanceof cls)) return null;
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'unknown class';
      return `${path} is an instance of ${name}, which cannot be stored (use plain objects, arrays, Date, Map, Set, BigInt, RegExp)`;
    }
    for (const key of Object.keys(obj)) {
      const found = findUnsupported((obj as Record<string, unknown>)[key], `${path}.${key}`, seen);
      if (found) return found;
    }
    for (const sym of Object.getOwnPropertySymbols(obj)) {
      if (Object.prototype.propertyIsEnumerable.call(obj, sym))
        return `${path}[${sym.toString()}] is a symbol key`;
    }
    return null;
  } finally {
    seen.delete(obj);
  }
}

/** Keys superjson refuses (prototype pollution guard): such values take its path, and its error. */
const GUARDED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Deeper values take superjson's path (which also reports circular references). */
const PLAIN_DEPTH = 32;

/**
 * True when superjson would write `value` with no `meta`: only strings, booleans, finite numbers other than -0,
 * null, arrays and plain objects, no object reached twice, no guarded key. Its encoding is then exactly
 * `{"json":<JSON.stringify(value)>}`, which `encodeValue` writes without superjson's walk (a typical job
 * payload costs about a microsecond instead of tens).
 */
function isPlainJson(value: unknown, seen: object[], depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > PLAIN_DEPTH || seen.includes(value)) return false;
  seen.push(value);
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const list = value as unknown[];
    for (let i = 0; i < list.length; i++) if (!isPlainJson(list[i], seen, depth + 1)) return false;
    return true;
  }
  if (proto !== Object.prototype || Object.getOwnPropertySymbols(value).length > 0) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) return false;
    if (GUARDED_KEYS.has(key) || !isPlainJson(record[key], seen, depth + 1)) return false;
  }
  return true;
}

/** Encodes any supported value (results, progress, meta) with superjson. */
export function encodeValue(value: unknown, what: string, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): string {
  return encodeWithin(value, maxBytes, () => what);
}

/** `encodeValue`, with the name used in errors only built for an error. */
function encodeWithin(value: unknown, maxBytes: number, what: () => string): string {
  let text: string;
  if (isPlainJson(value, [], 0)) {
    text = `{"json":${JSON.stringify(value)}}`;
  } else {
    const problem = findUnsupported(value, what(), new Set());
    if (problem) throw new SerializationError(`Cannot serialize ${what()}: ${problem}.`);
    text = superjson.stringify(value);
  }
  // a UTF-16 code unit takes at most 3 bytes in UTF-8: only a text that might be over the limit is measured
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text);
    if (bytes > maxBytes) {
      throw new SerializationError(
        `Cannot store ${what()}: it encodes to ${bytes} bytes, over the ${maxBytes}-byte limit. Store large data elsewhere and pass a reference.`,
      );
    }
  }
  return text;
}

/** Decodes what `encodeValue` wrote. Throws `ParseError` for text that does not parse. */
export function decodeValue(text: string, what: string): unknown {
  try {
    return superjson.parse(text);
  } catch (error) {
    throw new ParseError(`Stored ${what} does not parse: ${(error as Error).message}`, { cause: error });
  }
}

/** The payload of a job: its own enumerable properties, minus the reserved option names. */
export function encodePayload(job: Job, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): string {
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(job)) {
    if (!RESERVED_JOB_KEYS.has(key)) data[key] = (job as unknown as Record<string, unknown>)[key];
  }
  return encodeWithin(data, maxBytes, () => `${jobNameOf(job.constructor)} payload`);
}

/**
 * Rebuilds a job instance from its class and payload without calling the constructor. Keys are defined as
 * own properties, so a payload key like `__proto__` or `constructor` never touches a prototype.
 */
export function decodeJob<T extends Job>(cls: JobClass<T>, payload: string): T {
  const data = decodeValue(payload, `${jobNameOf(cls)} payload`);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ParseError(`Stored ${jobNameOf(cls)} payload is not an object: ${quote(data)}`);
  }
  const instance = Object.create(cls.prototype) as T;
  for (const key of Object.keys(data)) {
    Object.defineProperty(instance, key, {
      value: (data as Record<string, unknown>)[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return instance;
}
