import type { JobErrorRecord, JobRecord, JobState } from './driver.js';
import type { StoredJobOptions } from './job-options.js';
import { decodeValue } from './serializer.js';

/** A stored job as the introspection API shows it: decoded, with times as ms since epoch. */
export interface JobView {
  id: string;
  name: string;
  queue: string;
  state: JobState;
  priority: number;
  attempts: number;
  maxAttempts: number;
  createdAt: number;
  availableAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  progress: unknown;
  result: unknown;
  errors: JobErrorRecord[];
  meta: Record<string, unknown>;
  batchId: string | null;
  chainId: string | null;
  /** The payload, decoded; a payload that does not parse shows as its raw text. */
  data: unknown;
}

function decodeOr(text: string | null, what: string): unknown {
  if (text == null) return null;
  try {
    return decodeValue(text, what);
  } catch {
    return text;
  }
}

export function toJobView(record: JobRecord): JobView {
  const options = (decodeOr(record.options, 'options') ?? {}) as StoredJobOptions;
  return {
    id: record.id,
    name: record.name,
    queue: record.queue,
    state: record.state,
    priority: record.priority,
    attempts: record.attempts,
    maxAttempts: record.maxAttempts,
    createdAt: record.createdAt,
    availableAt: record.availableAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    progress: decodeOr(record.progress, 'progress'),
    result: decodeOr(record.result, 'result'),
    errors: record.errors,
    meta: (typeof options === 'object' && options?.meta) || {},
    batchId: record.batchId,
    chainId: record.chainId,
    data: decodeOr(record.payload, 'payload'),
  };
}
