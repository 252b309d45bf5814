import type { ReservedJob, ReserveRequest, ReserveResult } from '@conveyor/core/driver';
import { int, parseErrors, readMeta } from './codec.js';

/**
 * The reply of `reserve.lua`: `[nextAvailableAt | '', startedAt, leaseExpiresAt, id1, queue1, job1, ...]`, each
 * job the values of these fields in this order (null when missing; the reply of a job as pushed stops after
 * `attempts`). The script returns only what the caller does not know already: state (processing), workerId and
 * token (the request's) and cancelRequested (cleared by the reservation) are filled in here, so the reply carries
 * no field names and no values the worker sent.
 */
const F = {
  payload: 0,
  meta: 1,
  priority: 2,
  availableAt: 3,
  batchId: 4,
  attempts: 5,
  finishedAt: 6,
  progress: 7,
  result: 8,
  errors: 9,
  chainId: 10,
  chainIndex: 11,
  uniqueKey: 12,
} as const;

type Value = string | null | undefined;

/**
 * Reads a reserve reply. Never throws on a corrupt job: missing strings become empty, numbers their default,
 * as `parseReserved` does for a whole hash, so core can fail that one job and go on.
 */
export function parseReserveReply(reply: unknown[], request: ReserveRequest): ReserveResult {
  const next = reply[0];
  const startedAt = int(reply[1] as Value);
  const leaseExpiresAt = int(reply[2] as Value);
  const jobs: ReservedJob[] = [];
  for (let i = 3; i + 2 < reply.length; i += 3) {
    const v = reply[i + 2] as Value[];
    const meta = readMeta(v[F.meta]);
    // same fields, in the same order, as codec.ts builds a record (one object shape for every reserved job)
    jobs.push({
      id: String(reply[i]),
      name: meta.name,
      queue: String(reply[i + 1]),
      payload: v[F.payload] ?? '',
      options: meta.options,
      state: 'processing',
      priority: int(v[F.priority]) ?? 2,
      attempts: int(v[F.attempts]) ?? 0,
      maxAttempts: meta.maxAttempts,
      createdAt: meta.createdAt,
      availableAt: int(v[F.availableAt]) ?? 0,
      startedAt,
      finishedAt: int(v[F.finishedAt]),
      progress: v[F.progress] ?? null,
      result: v[F.result] ?? null,
      errors: parseErrors(v[F.errors]),
      batchId: v[F.batchId] ?? null,
      chainId: v[F.chainId] ?? null,
      chainIndex: int(v[F.chainIndex]),
      uniqueKey: v[F.uniqueKey] ?? null,
      workerId: request.workerId,
      leaseExpiresAt,
      cancelRequested: false,
      token: request.token,
    });
  }
  return { jobs, nextAvailableAt: next === '' || next == null ? null : Number(next) };
}
