/**
 * Redis unreachable at dispatch: the promise rejects with a clear error within a bounded time (no hang, no
 * silent drop), both when nothing listens on the address and when something accepts connections but never
 * answers (a stuck proxy, a frozen server). Closing the Conveyor afterwards does not hang either.
 */
import { createServer, type Socket } from 'node:net';
import { Conveyor } from '@conveyor/core';
import { RedisDriver } from '@conveyor/redis-driver';
import { describe, expect, it } from 'vitest';
import { e2eJobs, RecordRun } from './fixtures/jobs.js';
import { freePort, randomPrefix } from './support.js';

/** The bound the issue asks for. */
const BOUND_MS = 10_000;

/** Dispatches one job to `url`; returns what happened and how long it took (giving up at 20 s). */
async function dispatchTo(url: string) {
  const conveyor = new Conveyor({
    driver: new RedisDriver({ url, prefix: randomPrefix('unreachable') }),
    jobs: e2eJobs,
  });
  const startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    conveyor
      .dispatch(new RecordRun(1))
      .dispatch()
      .then(
        (handle) => ({ kind: 'resolved' as const, id: handle.id }),
        (error: unknown) => ({ kind: 'rejected' as const, error: error as Error }),
      ),
    new Promise<{ kind: 'hung' }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'hung' }), 20_000);
    }),
  ]);
  clearTimeout(timer);
  const elapsed = Date.now() - startedAt;
  const closeStartedAt = Date.now();
  await Promise.race([conveyor.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
  const closeElapsed = Date.now() - closeStartedAt;
  const detail =
    outcome.kind === 'rejected' ? `${outcome.error.name}: ${outcome.error.message}` : outcome.kind;
  console.log(`[e2e unreachable] ${url}: ${detail} after ${elapsed} ms; close took ${closeElapsed} ms`);
  return { outcome, elapsed, closeElapsed };
}

describe('e2e unreachable Redis', () => {
  it('nothing listening: dispatch rejects within 10 s with an error naming the address', {
    timeout: 60_000,
  }, async () => {
    const url = 'redis://127.0.0.1:1';
    const { outcome, elapsed, closeElapsed } = await dispatchTo(url);
    expect(outcome.kind).toBe('rejected');
    if (outcome.kind !== 'rejected') return;
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.error.message).toMatch(/127\.0\.0\.1:1\b|connect/i);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(closeElapsed).toBeLessThan(5_000);
  });

  it('a server that accepts connections but never answers: dispatch rejects within 10 s', {
    timeout: 60_000,
  }, async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const { outcome, elapsed, closeElapsed } = await dispatchTo(`redis://127.0.0.1:${port}`);
      expect(outcome.kind).toBe('rejected');
      if (outcome.kind !== 'rejected') return;
      expect(outcome.error.message).toMatch(
        new RegExp(`127\\.0\\.0\\.1:${port}\\b|connect|timed? ?out|respon`, 'i'),
      );
      expect(elapsed).toBeLessThan(BOUND_MS);
      expect(closeElapsed).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
