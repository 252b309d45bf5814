import type { Driver, StateCounts } from './driver.js';
import type { WorkerInfo } from './worker-registry.js';

/** What `conveyor.health()` returns. */
export interface Health {
  /**
   * `down`: the storage does not answer. `degraded`: a worker missed its heartbeats, or jobs wait with no
   * healthy worker alive. `ok` otherwise.
   */
  status: 'ok' | 'degraded' | 'down';
  checkedAt: number;
  driver: { name: string; reachable: boolean; latencyMs: number | null; error: string | null };
  workers: { total: number; healthy: number; unhealthy: number; list: WorkerInfo[] };
  /** Every queue: jobs waiting (pending + delayed + retrying), counts per state, paused. Empty when down. */
  queues: Array<{ queue: string; depth: number; paused: boolean; counts: StateCounts }>;
}

/** Answers within `timeoutMs` whatever the driver does (a storage that hangs is reported as unreachable). */
export async function checkHealth(
  driver: Driver,
  now: () => number,
  listWorkers: () => Promise<WorkerInfo[]>,
  timeoutMs: number,
): Promise<Health> {
  const checkedAt = now();
  const began = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the ${driver.name} driver did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref?.();
  });
  try {
    const names = await Promise.race([driver.queues(), timeout]);
    const latencyMs = Math.round((performance.now() - began) * 100) / 100;
    const [workers, queues] = await Promise.race([
      Promise.all([
        listWorkers(),
        Promise.all(
          names.map(async (queue) => {
            const [counts, settings] = await Promise.all([
              driver.counts(queue),
              driver.getQueueSettings(queue),
            ]);
            const depth = counts.pending + counts.delayed + counts.retrying;
            return { queue, depth, paused: settings.paused, counts };
          }),
        ),
      ]),
      timeout,
    ]);
    const healthy = workers.filter((w) => w.healthy).length;
    const waiting = queues.some((q) => q.depth > 0 && !q.paused);
    const degraded = healthy < workers.length || (waiting && healthy === 0);
    return {
      status: degraded ? 'degraded' : 'ok',
      checkedAt,
      driver: { name: driver.name, reachable: true, latencyMs, error: null },
      workers: { total: workers.length, healthy, unhealthy: workers.length - healthy, list: workers },
      queues,
    };
  } catch (error) {
    return {
      status: 'down',
      checkedAt,
      driver: {
        name: driver.name,
        reachable: false,
        latencyMs: null,
        error: error instanceof Error ? error.message : String(error),
      },
      workers: { total: 0, healthy: 0, unhealthy: 0, list: [] },
      queues: [],
    };
  } finally {
    clearTimeout(timer);
  }
}
