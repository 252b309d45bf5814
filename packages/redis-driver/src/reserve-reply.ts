import type { ReservedJob, ReserveRequest, ReserveResult } from '@conveyor/core/driver';
import { int, parseErrors } from './codec.js';

/**
 * The reply of `reserve.lua`: `[nextAvailableAt | '', startedAt, leaseExpiresAt, job1, job2, ...]`, each job
 * the values of these fields in this order (null when missing). The script returns only what the caller does
 * not know already: state (processing), workerId and token (the request's) and cancelRequested (cleared by the
 * reservation) are filled in here, so the reply carries no field names and no values the worker sent.
 */
const F = {
  id: 0,
  name: 1,
  queue: 2,
  payload: 3,
  options: 4,
  priority: 5,
  attempts: 6,
  maxAttempts: 7,
  createdAt: 8,
  availableAt: 9,
  finishedAt: 10,
  progress: 11,
  result: 12,
  errors: 13,
  batchId: 14,
  chainId: 15,
  chainIndex: 16,
  uniqueKey: 17,
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
  for (let i = 3; i < reply.length; i++) {
    const v = reply[i] as Value[];
    // same fields, in the same order, as codec.ts builds a record (one object shape for every reserved job)
    jobs.push({
      id: v[F.id] ?? '',
      name: v[F.name] ?? '',
      queue: v[F.queue] ?? '',
      payload: v[F.payload] ?? '',
      options: v[F.options] ?? '',
      state: 'processing',
      priority: int(v[F.priority]) ?? 2,
      attempts: int(v[F.attempts]) ?? 0,
      maxAttempts: int(v[F.maxAttempts]) ?? 1,
      createdAt: int(v[F.createdAt]) ?? 0,
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
