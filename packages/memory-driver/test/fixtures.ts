import type {
  DriverEvent,
  JobErrorRecord,
  NewBatch,
  NewChain,
  NewJob,
  ReservedJob,
  SettleOutcome,
  SettleResult,
} from '@conveyor/core/driver';
import type { MemoryDriver } from '../src/index.js';

export function job(id: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id,
    name: 'TestJob',
    queue: 'default',
    payload: `{"id":"${id}"}`,
    options: '{}',
    priority: 2,
    maxAttempts: 3,
    delayMs: 0,
    unique: null,
    batchId: null,
    ...overrides,
  };
}

export function chain(id: string, linkIds: string[], overrides: Partial<NewChain> = {}): NewChain {
  return {
    id,
    links: linkIds.map((linkId) => job(linkId)),
    catch: [],
    options: '{}',
    batchId: null,
    ...overrides,
  };
}

export function batch(id: string, overrides: Partial<NewBatch> = {}): NewBatch {
  const then: NewJob[] = [];
  return { id, allowFailures: false, then, catch: [], finally: [], options: '{}', ...overrides };
}

/** A `BatchChange.crossed` value (built with shorthand: a literal `then:` key trips the thenable lint). */
export function crossed(then: boolean, caught: boolean, final: boolean) {
  return { then, catch: caught, finally: final };
}

export function error(message: string, attempt = 1, at = 0): JobErrorRecord {
  return { name: 'Error', message, stack: `Error: ${message}`, attempt, at };
}

let tokens = 0;

export interface TakeOptions {
  queues?: string[];
  max?: number;
  leaseMs?: number;
  token?: string;
  workerId?: string;
}

/** Reserves jobs; each call uses a fresh token unless one is given. */
export async function take(
  driver: MemoryDriver,
  now: number,
  options: TakeOptions = {},
): Promise<ReservedJob[]> {
  tokens += 1;
  const result = await driver.reserve({
    queues: options.queues ?? ['default'],
    max: options.max ?? 1,
    leaseMs: options.leaseMs ?? 30_000,
    workerId: options.workerId ?? 'worker-1',
    token: options.token ?? `token-${tokens}`,
    now,
  });
  return result.jobs;
}

/** Reserves the next job of `queues` and settles it with `outcome`. */
export async function runNext(
  driver: MemoryDriver,
  now: number,
  outcome: SettleOutcome,
  queues = ['default'],
): Promise<{ job: ReservedJob; result: SettleResult }> {
  const [reserved] = await take(driver, now, { queues });
  if (reserved === undefined) throw new Error(`nothing ready in ${queues.join(',')} at ${now}`);
  const [result] = await driver.settle([{ jobId: reserved.id, token: reserved.token, outcome }], now);
  return { job: reserved, result: result! };
}

export const completed = (result: string | null = null): SettleOutcome => ({ type: 'completed', result });
export const failed = (message = 'boom'): SettleOutcome => ({ type: 'failed', error: error(message) });

/** Ids of every job reserved from `queues` at `now` (up to 1,000), in order. */
export async function drainIds(driver: MemoryDriver, now: number, queues = ['default']): Promise<string[]> {
  return (await take(driver, now, { queues, max: 1_000 })).map((reserved) => reserved.id);
}

/** Subscribes and collects events; `flush` waits for pending microtask deliveries. */
export async function collect(
  driver: MemoryDriver,
): Promise<{ events: DriverEvent[]; stop: () => Promise<void> }> {
  const events: DriverEvent[] = [];
  const stop = await driver.subscribe((event) => events.push(event));
  return { events, stop };
}
