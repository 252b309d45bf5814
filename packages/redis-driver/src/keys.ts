/**
 * Every Redis key and channel name the driver uses, built here and nowhere else. The Lua side gets the same
 * names from `luaKeyFunctions()`, which renders this module's layout as Lua functions, so a key's spelling
 * lives in one place.
 *
 * Layout (prefix `P`, queue `q`; see docs/redis-keys.md):
 * - queue keys share the hash tag `{q}`: `P:{q}:ready`, `P:{q}:job:<id>`, ...
 * - keys that are not about one queue (batches, chains, uniqueness and overlap locks, rate limits, schedules,
 *   the queue registry) share the tag `{P}`: `P:{P}:batch:<id>`, ...
 * With `hashTag: 'prefix'` every key (queue keys too) uses `{P}`, so every script stays in one slot on a Cluster.
 */

/** Per-queue keys, by their suffix. Each state has one index: a sorted set. */
export const QUEUE_KEY = {
  /** Pending jobs: score = (4 - priority) * 2^43 + availableAt, member = 16-digit seq + job id. */
  ready: 'ready',
  /** Delayed jobs (initial delay or release): score = availableAt. */
  delayed: 'delayed',
  /** Jobs waiting out a retry backoff: score = availableAt. */
  retrying: 'retrying',
  /** Processing jobs: score = leaseExpiresAt. */
  active: 'active',
  /** Finished jobs, score = finishedAt. */
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  /** Every stored job of the queue: score = createdAt, member = 16-digit seq + job id, for `list`. */
  jobs: 'jobs',
  /** A list holding at most one element: pushed when work may be ready, popped by a blocked `waitForWork`. */
  marker: 'marker',
  /** Insertion counter. */
  seq: 'seq',
  /** Queue settings hash (paused, concurrency, rateLimit, rateWindow), read by `reserve`. */
  settings: 'settings',
} as const;

export type QueueKeyKind = keyof typeof QUEUE_KEY;

/** How keys are grouped into Cluster hash slots. */
export type HashTagMode = 'queue' | 'prefix';

const HOLE = '\u0000';
/** Where the prefix goes in a rendered key: the scripts read it from their last argument (`PFX`). */
const PREFIX_HOLE = '\u0002';

export class Keys {
  readonly prefix: string;
  readonly mode: HashTagMode;
  /** Start of the pub/sub channels: events of type `t` go to `<events>:<t>` (see `eventChannel`). */
  readonly events: string;
  /** Set of every queue name that ever held a job. */
  readonly queues: string;
  /** Set of schedule names. */
  readonly schedules: string;
  /** Worker registry: zset of worker ids scored by `expiresAt`. */
  readonly workers: string;
  readonly #shared: string;

  constructor(prefix: string, mode: HashTagMode = 'queue') {
    this.prefix = prefix;
    this.mode = mode;
    this.#shared = `${prefix}:{${prefix}}:`;
    this.events = `${prefix}:events`;
    this.queues = `${this.#shared}queues`;
    this.schedules = `${this.#shared}schedules`;
    this.workers = `${this.#shared}workers`;
  }

  /**
   * The pub/sub channel of one event type (`job`, `progress`, `cancel`, `batch`): one channel per type, so a
   * subscriber that wants only cancel events (a worker) is not sent every job's completion.
   */
  eventChannel(type: string): string {
    return `${this.events}:${type}`;
  }

  /** The common start of every key of `queue`, e.g. `conveyor:{emails}:`. */
  queueBase(queue: string): string {
    return this.mode === 'queue' ? `${this.prefix}:{${queue}}:` : `${this.#shared}q:${queue}:`;
  }

  queue(queue: string, kind: QueueKeyKind): string {
    return this.queueBase(queue) + QUEUE_KEY[kind];
  }

  /** Jobs started in one fixed window of the queue's rate limit (`window` = floor(now / windowMs)). */
  queueRate(queue: string, window: number | string): string {
    return `${this.queueBase(queue)}rate:${window}`;
  }

  /** One per-minute metrics bucket of a queue (`minute` = start of the minute, ms). */
  metrics(queue: string, minute: number): string {
    return `${this.queueBase(queue)}metrics:${minute}`;
  }

  /** The hash of one job, under its queue's tag. */
  job(queue: string, id: string): string {
    return `${this.queueBase(queue)}job:${id}`;
  }

  /** Batch hash: counts, flags, callbacks (NewJob JSON arrays). */
  batch(id: string): string {
    return `${this.#shared}batch:${id}`;
  }
  /** Hash jobId -> c | f | x: the final outcome of each member, so a member counts once. */
  batchOutcomes(id: string): string {
    return `${this.batch(id)}:outcomes`;
  }
  /** Hash jobId -> queue of members not finished yet (what a batch cancellation visits). */
  batchMembers(id: string): string {
    return `${this.batch(id)}:members`;
  }
  /** Set of failed member ids. */
  batchFailed(id: string): string {
    return `${this.batch(id)}:failed`;
  }
  /** Chain hash: state, position, batch, options, catch (NewJob JSON array). */
  chain(id: string): string {
    return `${this.#shared}chain:${id}`;
  }
  /** List of every link as NewJob JSON, in order. */
  chainLinks(id: string): string {
    return `${this.chain(id)}:links`;
  }
  /** Uniqueness lock of a job: `expiresAt|owner` (expiresAt 0: none). */
  unique(key: string): string {
    return `${this.#shared}unique:${key}`;
  }
  /** Overlap lock (`acquireLock`), same value format as `unique`. */
  lock(key: string): string {
    return `${this.#shared}lock:${key}`;
  }
  /** Hit counter of one fixed rate-limit window. */
  rate(key: string, window: number): string {
    return `${this.#shared}rate:${key}:${window}`;
  }
  /** A worker's heartbeat record: id, info, heartbeatAt, expiresAt. */
  worker(id: string): string {
    return `${this.#shared}worker:${id}`;
  }

  /** Schedule hash: name, definition, paused, nextRunAt, lastRunAt. */
  schedule(name: string): string {
    return `${this.#shared}schedule:${name}`;
  }

  /** Pattern matching every key of this prefix (tests and cleanup). */
  get pattern(): string {
    return `${this.prefix}:*`;
  }

  /**
   * Lua functions building the same names, prepended to every script. The prefix is not written into them: they
   * read it from `PFX` (the script's last argument, see scripts.ts), so one set of scripts serves every prefix of
   * a hash-tag mode, and Redis caches each script once, not once per prefix.
   */
  luaKeyFunctions(): string {
    const t = new Keys(PREFIX_HOLE, this.mode);
    const A = HOLE;
    const B = '\u0001';
    const lines = [
      render('K_queue', ['q', 'kind'], `${t.queueBase(A)}${B}`),
      render('K_queue_rate', ['q', 'window'], t.queueRate(A, B)),
      render('K_job', ['q', 'id'], t.job(A, B)),
      render('K_batch', ['x'], t.batch(A)),
      render('K_batch_outcomes', ['x'], t.batchOutcomes(A)),
      render('K_batch_members', ['x'], t.batchMembers(A)),
      render('K_batch_failed', ['x'], t.batchFailed(A)),
      render('K_chain', ['x'], t.chain(A)),
      render('K_chain_links', ['x'], t.chainLinks(A)),
      render('K_unique', ['x'], t.unique(A)),
      render('K_worker', ['x'], t.worker(A)),
      `local K_QUEUES = ${concat(t.queues, [])}`,
      `local K_WORKERS = ${concat(t.workers, [])}`,
      `local K_EVENTS = ${concat(t.events, [])}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}

/**
 * One Lua key function: `key` is the key built with placeholder characters (\u0000, \u0001) where the
 * parameters go, so the Lua side concatenates exactly what the TypeScript side builds.
 */
function render(name: string, params: string[], key: string): string {
  return `local function ${name}(${params.join(', ')}) return ${concat(key, params)} end`;
}

/** A Lua expression for `key`: its literal parts, the parameters at their holes, `PFX` at the prefix's. */
function concat(key: string, params: string[]): string {
  const parts: string[] = [];
  let literal = '';
  for (const char of key) {
    const index = char.charCodeAt(0);
    const hole =
      char === PREFIX_HOLE
        ? 'PFX'
        : index < params.length && (char === HOLE || char === '\u0001')
          ? params[index]
          : undefined;
    if (hole !== undefined) {
      if (literal) parts.push(lua(literal));
      parts.push(hole);
      literal = '';
    } else {
      literal += char;
    }
  }
  if (literal) parts.push(lua(literal));
  return parts.join(' .. ');
}

/** A Lua string literal for any JS string (decimal escapes for everything outside printable ASCII). */
function lua(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}
