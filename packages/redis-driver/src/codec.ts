import type {
  BatchChange,
  BatchRecord,
  JobErrorRecord,
  JobRecord,
  JobState,
  NewJob,
  ReservedJob,
} from '@conveyor/core/driver';

/** A stored job hash as a plain object (field -> value). */
export type Hash = Record<string, string>;

/** A job record as read from Redis, with its queue-local insertion number (for merging lists). */
export type StoredJob = JobRecord & { seq: number };

/** `HGETALL` as a script returns it (a flat field/value array) to an object. */
export function toHash(flat: unknown): Hash {
  const hash: Hash = {};
  if (!Array.isArray(flat)) return hash;
  for (let i = 0; i + 1 < flat.length; i += 2) hash[String(flat[i])] = String(flat[i + 1]);
  return hash;
}

/** A stored number: null when missing, empty or not a finite number. */
export const int = (value: string | null | undefined): number | null => {
  if (value === undefined || value === null || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
};

/** The stored error history; a corrupt one becomes a note, never an exception. */
export function parseErrors(value: string | null | undefined): JobErrorRecord[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as JobErrorRecord[]) : [];
  } catch (error) {
    // a corrupt history must not stop the job from being handed out; core sees the note and the rest
    return [
      { name: 'CorruptRecord', message: `error history does not parse: ${String(error)}`, attempt: 0, at: 0 },
    ];
  }
}

/** What a job's `meta` field keeps (see `readMeta`). */
export interface JobMeta {
  createdAt: number;
  maxAttempts: number;
  name: string;
  options: string;
}

/**
 * A job's `meta` field, `createdAt,maxAttempts,nameLength,` then the name and the options (job_meta in base.lua;
 * nameLength in UTF-16 code units, a JavaScript string's length). Never throws: a value whose head does not parse
 * gives the defaults (created at 0, one attempt, empty name and options), a corrupt number its default.
 */
export function readMeta(meta: string | null | undefined): JobMeta {
  const text = meta ?? '';
  const a = text.indexOf(',');
  const b = text.indexOf(',', a + 1);
  const c = text.indexOf(',', b + 1);
  const length = Number(text.slice(b + 1, c));
  if (a < 0 || b < 0 || c < 0 || !Number.isInteger(length) || length < 0) {
    return { createdAt: 0, maxAttempts: 1, name: '', options: '' };
  }
  const nameEnd = c + 1 + length;
  return {
    createdAt: int(text.slice(0, a)) ?? 0,
    maxAttempts: int(text.slice(a + 1, b)) ?? 1,
    name: text.slice(c + 1, nameEnd),
    options: text.slice(nameEnd),
  };
}

/**
 * A job hash to a record. Never throws: a corrupt or partial hash becomes a record with whatever fields exist
 * (missing strings empty, numbers 0 or null), so core can fail that job with a parse error and go on.
 */
export function parseJob(h: Hash): StoredJob {
  const job = recordOf(h) as StoredJob;
  job.seq = int(h.seq) ?? 0;
  return job;
}

/**
 * The public fields of a job hash (see `parseJob`). The hash holds neither the id nor the queue (both are in its
 * key): the reader adds them as fields `id` and `queue`.
 */
function recordOf(h: Hash): JobRecord {
  const meta = readMeta(h.meta);
  return {
    id: h.id ?? '',
    name: meta.name,
    queue: h.queue ?? '',
    payload: h.payload ?? '',
    options: meta.options,
    state: (h.state ?? 'failed') as JobState,
    priority: int(h.priority) ?? 2,
    attempts: int(h.attempts) ?? 0,
    maxAttempts: meta.maxAttempts,
    createdAt: meta.createdAt,
    availableAt: int(h.availableAt) ?? 0,
    startedAt: int(h.startedAt),
    finishedAt: int(h.finishedAt),
    progress: h.progress ?? null,
    result: h.result ?? null,
    errors: parseErrors(h.errors),
    batchId: h.batchId ?? null,
    chainId: h.chainId ?? null,
    chainIndex: int(h.chainIndex),
    uniqueKey: h.uniqueKey ?? null,
    workerId: h.workerId ?? null,
    leaseExpiresAt: int(h.leaseExpiresAt),
    cancelRequested: h.cancelRequested === '1',
  };
}

/** The public record: the internal `seq` removed. */
export function publicJob(job: StoredJob): JobRecord {
  const { seq: _seq, ...record } = job;
  return record;
}

/** A reserved job from its hash: one object built, no copies (this runs for every job a worker takes). */
export function parseReserved(flat: unknown): ReservedJob {
  const hash = toHash(flat);
  const job = recordOf(hash) as ReservedJob;
  job.token = hash.token ?? '';
  return job;
}

/** A NewJob kept for later (chain link, callback) as JSON, decoded by Lua when it is enqueued. */
export const jobJson = (job: NewJob): string => JSON.stringify(job);

const BATCH_FIELDS = [
  'id',
  'options',
  'allowFailures',
  'total',
  'processed',
  'failed',
  'cancelled',
  'cancelledAt',
  'createdAt',
  'finishedAt',
  'thenFired',
  'catchFired',
  'finallyFired',
] as const;

/**
 * A batch view from a script (batch_view in follow-ups.lua). Usually one string,
 * `flags,total,processed,failed,cancelled,cancelledAt,createdAt,finishedAt,allowFailures\0id\0options`, or,
 * with failures counted, `[that string, ...failed ids]`; `[flags, id, options, allowFailures, total, processed,
 * failed, cancelled, cancelledAt, createdAt, finishedAt, ...failed ids]` when the id or the options hold a \0.
 * flags: crossed then 1, catch 2, finally 4; stored thenFired 8, catchFired 16, finallyFired 32.
 */
export function parseBatchView(view: unknown): BatchChange | null {
  if (typeof view === 'string') return compactView(view, []);
  if (!Array.isArray(view)) return null;
  const v = view as Array<string | number | null>;
  if (typeof v[0] === 'string') return compactView(v[0], v.slice(1));
  const text = (i: number): string | undefined => (v[i] == null ? undefined : String(v[i]));
  return batchChange(
    Number(v[0]) || 0,
    text(1) ?? '',
    text(2) ?? '',
    [text(4), text(5), text(6), text(7), text(8), text(9), text(10), text(3)],
    v.slice(11),
  );
}

/** The string form: nine comma-separated fields, then \0 id \0 options. */
function compactView(s: string, failedIds: Array<string | number | null>): BatchChange {
  const idAt = s.indexOf('\0');
  const optionsAt = s.indexOf('\0', idAt + 1);
  const head = s.slice(0, idAt).split(',');
  return batchChange(
    Number(head[0]) || 0,
    s.slice(idAt + 1, optionsAt),
    s.slice(optionsAt + 1),
    head.slice(1),
    failedIds,
  );
}

/**
 * fields: total, processed, failed, cancelled, cancelledAt, createdAt, finishedAt, allowFailures (as text,
 * empty or undefined when missing).
 */
function batchChange(
  flags: number,
  id: string,
  options: string,
  fields: Array<string | undefined>,
  failedIds: Array<string | number | null>,
): BatchChange {
  return {
    batch: {
      id,
      options,
      allowFailures: fields[7] === '1',
      total: int(fields[0]) ?? 0,
      processed: int(fields[1]) ?? 0,
      failed: int(fields[2]) ?? 0,
      cancelled: int(fields[3]) ?? 0,
      cancelledAt: int(fields[4]),
      createdAt: int(fields[5]) ?? 0,
      finishedAt: int(fields[6]),
      thenFired: (flags & 8) !== 0,
      catchFired: (flags & 16) !== 0,
      finallyFired: (flags & 32) !== 0,
      failedJobIds: failedIds.length === 0 ? [] : failedIds.map(String).sort(),
    },
    // biome-ignore lint/suspicious/noThenProperty: `then` is the batch threshold named by the driver contract
    crossed: { then: (flags & 1) !== 0, catch: (flags & 2) !== 0, finally: (flags & 4) !== 0 },
  };
}

/** Field values in BATCH_FIELDS order (as HMGET gives them) and the failed member ids. */
export function parseBatch(fields: Array<string | null>, failedIds: string[]): BatchRecord {
  const f = (name: (typeof BATCH_FIELDS)[number]): string | undefined =>
    fields[BATCH_INDEX[name]] ?? undefined;
  return {
    id: f('id') ?? '',
    options: f('options') ?? '',
    allowFailures: f('allowFailures') === '1',
    total: int(f('total')) ?? 0,
    processed: int(f('processed')) ?? 0,
    failed: int(f('failed')) ?? 0,
    cancelled: int(f('cancelled')) ?? 0,
    cancelledAt: int(f('cancelledAt')),
    createdAt: int(f('createdAt')) ?? 0,
    finishedAt: int(f('finishedAt')),
    thenFired: f('thenFired') === '1',
    catchFired: f('catchFired') === '1',
    finallyFired: f('finallyFired') === '1',
    failedJobIds: failedIds.length === 0 ? [] : [...failedIds].sort(),
  };
}

/** Position of each batch field in BATCH_FIELDS. */
const BATCH_INDEX = Object.fromEntries(BATCH_FIELDS.map((name, i) => [name, i])) as Record<
  (typeof BATCH_FIELDS)[number],
  number
>;

export { BATCH_FIELDS };
