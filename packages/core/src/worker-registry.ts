import { hostname } from 'node:os';
import type { Attempt } from './attempt.js';
import type { Clock } from './clock.js';
import type { Driver, JobState, WorkerRecord } from './driver.js';
import type { MetricsRecorder } from './metrics/recorder.js';

/** A worker is unhealthy once it missed this many heartbeats in a row. */
export const MISSED_BEATS_UNHEALTHY = 3;
/** A worker's record disappears this many heartbeat intervals after its last beat (at least a minute). */
const BEATS_UNTIL_GONE = 12;
const MIN_LIFETIME_MS = 60_000;

/** A worker as `conveyor.workers()` shows it, from its last heartbeat. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  /** Attempts running at its last heartbeat. */
  active: number;
  /** Attempts it finished (completed or failed), since it started. */
  processed: number;
  /** Attempts that failed (retried or failed finally), since it started. */
  failed: number;
  startedAt: number;
  heartbeatAt: number;
  /** How often it beats, in ms. */
  heartbeatIntervalMs: number;
  /** False once it missed `MISSED_BEATS_UNHEALTHY` heartbeats (crashed, hung, or cut off from storage). */
  healthy: boolean;
  /** When its record disappears unless it beats again. */
  expiresAt: number;
}

/** What a worker reports about itself (the encoded `info` of its `WorkerRecord`). */
type EncodedInfo = Pick<
  WorkerInfo,
  'host' | 'pid' | 'queues' | 'concurrency' | 'active' | 'processed' | 'failed' | 'startedAt'
> & { interval: number };

/** The worker a registration describes. */
export interface RegisteredWorker {
  readonly id: string;
  readonly queues: readonly string[];
  readonly concurrency: number;
}

/** Where its storage, clock and per-minute recorder come from. */
export interface RegistrationConveyor {
  readonly clock: Clock;
  readonly driver: Driver;
  readonly metricsRecorder: MetricsRecorder | undefined;
}

/**
 * One worker's entry in the registry and its figures: counts what it settles (for its own record and the
 * per-minute metrics), saves its heartbeat record on each `beat()` (the worker calls it from a chore it already
 * runs, so no timer of its own), and removes it on a clean `stop()`.
 */
export class WorkerRegistration {
  readonly #worker: RegisteredWorker;
  readonly #conveyor: RegistrationConveyor;
  /** Attempts whose outcome is not known yet (running). */
  readonly #running: { readonly active: ReadonlyMap<string, unknown> };
  readonly #intervalMs: number;
  readonly #hostName = hostname();
  #startedAt: number | undefined;
  processed = 0;
  failed = 0;

  /** `intervalMs`: how often the worker calls `beat()`. */
  constructor(
    worker: RegisteredWorker,
    conveyor: RegistrationConveyor,
    running: { readonly active: ReadonlyMap<string, unknown> },
    intervalMs: number,
  ) {
    this.#worker = worker;
    this.#conveyor = conveyor;
    this.#running = running;
    this.#intervalMs = intervalMs;
  }

  /**
   * Counts one attempt whose settle was stored (`state`: the job's state after it). An attempt that does not
   * hold a slot was taken over by stalled recovery: it counts as stalled and failed, not as run here.
   */
  settled(attempt: Attempt, state: JobState): void {
    const { record, outcome: settled } = attempt;
    if (settled === undefined) return;
    const outcome = settled.type;
    const recovered = !attempt.holdsSlot;
    const { queue, name } = record;
    const now = this.#conveyor.clock.now();
    const recorder = this.#conveyor.metricsRecorder;
    if (recovered) recorder?.count(queue, name, 'stalled', now);
    switch (outcome) {
      case 'completed':
        this.processed++;
        recorder?.completed(queue, name, now - (record.startedAt ?? now), now);
        break;
      case 'retry':
      case 'failed':
        if (!recovered) this.processed++;
        if (!recovered) this.failed++;
        if (recorder) {
          recorder.count(queue, name, 'failed', now);
          recorder.count(queue, name, state === 'failed' ? 'dead' : 'retried', now);
        }
        break;
      case 'released':
        recorder?.count(queue, name, 'released', now);
        break;
      case 'cancelled':
        recorder?.count(queue, name, 'cancelled', now);
        break;
    }
  }

  /** Saves the heartbeat record. */
  async beat(): Promise<void> {
    const worker = this.#worker;
    const now = this.#conveyor.clock.now();
    this.#startedAt ??= now;
    const info: EncodedInfo = {
      host: this.#hostName,
      pid: process.pid,
      queues: [...worker.queues],
      concurrency: worker.concurrency,
      active: this.#running.active.size,
      processed: this.processed,
      failed: this.failed,
      startedAt: this.#startedAt,
      interval: this.#intervalMs,
    };
    const record: WorkerRecord = {
      id: worker.id,
      info: JSON.stringify(info),
      heartbeatAt: now,
      expiresAt: now + Math.max(MIN_LIFETIME_MS, BEATS_UNTIL_GONE * this.#intervalMs),
    };
    await this.#conveyor.driver.saveWorker(record);
  }

  /** Clean shutdown: sends the last figures and removes the record. */
  async stop(): Promise<void> {
    const { metricsRecorder: recorder, driver } = this.#conveyor;
    const [flushed, removed] = await Promise.allSettled([
      recorder?.flush(),
      this.#startedAt === undefined ? undefined : driver.removeWorker(this.#worker.id),
    ]);
    if (flushed.status === 'rejected') throw flushed.reason;
    if (removed.status === 'rejected') throw removed.reason;
  }
}

/** The registry's live workers, decoded; health judged at `now`. A record that does not parse shows its id only. */
export async function listWorkers(driver: Driver, now: number): Promise<WorkerInfo[]> {
  const records = await driver.listWorkers(now);
  return records.map((record) => toWorkerInfo(record, now));
}

export function toWorkerInfo(record: WorkerRecord, now: number): WorkerInfo {
  let info: Partial<EncodedInfo> = {};
  try {
    const parsed: unknown = JSON.parse(record.info);
    if (parsed !== null && typeof parsed === 'object') info = parsed as Partial<EncodedInfo>;
  } catch {
    // an unreadable record still shows as a worker, with what the registry itself knows
  }
  const num = (value: unknown, fallback = 0) =>
    typeof value === 'number' && Number.isFinite(value) ? value : fallback;
  const interval = num(info.interval, 5_000);
  return {
    id: record.id,
    host: typeof info.host === 'string' ? info.host : '',
    pid: num(info.pid),
    queues: Array.isArray(info.queues) ? info.queues.filter((q) => typeof q === 'string') : [],
    concurrency: num(info.concurrency),
    active: num(info.active),
    processed: num(info.processed),
    failed: num(info.failed),
    startedAt: num(info.startedAt, record.heartbeatAt),
    heartbeatAt: record.heartbeatAt,
    heartbeatIntervalMs: interval,
    healthy: now - record.heartbeatAt <= MISSED_BEATS_UNHEALTHY * interval,
    expiresAt: record.expiresAt,
  };
}
