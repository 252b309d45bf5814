import { describe, expect, it } from 'vitest';
import type { Driver, MetricsIncrement } from '../src/driver.js';
import { ConfigurationError } from '../src/errors.js';
import { nameField, parseField } from '../src/metrics/fields.js';
import { FigureSums } from '../src/metrics/figures.js';
import {
  BINS_PER_DOUBLING,
  binLower,
  binOf,
  binUpper,
  LAST_BIN,
  quantile,
} from '../src/metrics/histogram.js';
import { resolveMetricsOptions } from '../src/metrics/options.js';
import { MAX_NAMES_PER_BUCKET, MetricsRecorder, minuteOf, OTHER_NAMES } from '../src/metrics/recorder.js';
import { toWorkerInfo } from '../src/worker-registry.js';

const T0 = 1_767_225_600_000;

describe('run-time histogram', () => {
  it('puts each time in the bin whose bounds hold it', () => {
    for (const ms of [0, 0.5, 1, 1.01, 2, 3, 10, 99.9, 1_000, 30_000, 3_600_000]) {
      const bin = binOf(ms);
      expect(ms).toBeLessThanOrEqual(binUpper(bin) + 1e-9);
      if (bin > 0) expect(ms).toBeGreaterThan(binLower(bin));
    }
    expect(binOf(Number.NaN)).toBe(0);
    expect(binOf(-5)).toBe(0);
    expect(binOf(1e15)).toBe(LAST_BIN);
    expect(binUpper(BINS_PER_DOUBLING)).toBe(2);
  });

  it('reads percentiles back within a bin width of the true value', () => {
    const samples = Array.from({ length: 10_000 }, (_, i) => 1 + ((i * 7_919) % 5_000));
    const bins = new Map<number, number>();
    for (const ms of samples) bins.set(binOf(ms), (bins.get(binOf(ms)) ?? 0) + 1);
    const sorted = [...samples].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const truth = sorted[Math.ceil(q * sorted.length) - 1]!;
      const read = quantile(bins, q)!;
      expect(Math.abs(read - truth) / truth).toBeLessThan(0.1);
    }
    expect(quantile(new Map(), 0.5)).toBeNull();
    expect(quantile(new Map([[0, 3]]), 0.99)).toBeLessThanOrEqual(1);
  });
});

describe('metrics fields', () => {
  it('round-trips job names, colons included', () => {
    expect(parseField(nameField('Send:Email', 'h.12'))).toEqual({ name: 'Send:Email', figure: 'h.12' });
    expect(parseField('completed')).toEqual({ name: null, figure: 'completed' });
  });

  it('sums stored fields into figures, ignoring what it does not know', () => {
    const sums = new FigureSums();
    for (const [field, value] of Object.entries({
      completed: 3,
      failed: 1,
      retried: 1,
      runs: 3,
      runMs: 300,
      'h.0': 1,
      'h.40': 2,
      mystery: 9,
      'h.x': 4,
      submitted: Number.NaN,
    })) {
      sums.add(field, value);
    }
    expect(sums.figures(2)).toMatchObject({
      completed: 3,
      failed: 1,
      retried: 1,
      dead: 0,
      submitted: 0,
      avgRunTimeMs: 100,
      successRate: 0.75,
      jobsPerSecond: 2,
    });
    expect(new FigureSums().figures(0)).toMatchObject({
      successRate: null,
      avgRunTimeMs: null,
      jobsPerSecond: 0,
    });
  });
});

/** A driver that records increments and can be told to fail. */
function spyDriver() {
  const sent: MetricsIncrement[][] = [];
  let failing = false;
  const driver = {
    async incrementMetrics(increments: MetricsIncrement[]) {
      if (failing) throw new Error('storage down');
      sent.push(increments);
    },
  } as unknown as Driver;
  return { driver, sent, fail: (on: boolean) => (failing = on) };
}

function recorder(driver: Driver, flushIntervalMs = 60_000) {
  return new MetricsRecorder({
    driver: () => driver,
    retentionMs: 86_400_000,
    flushIntervalMs,
    error: () => {},
  });
}

describe('MetricsRecorder', () => {
  it('sums per (queue, minute), queue-wide and per job name, in one call per flush', async () => {
    const spy = spyDriver();
    const r = recorder(spy.driver);
    r.count('emails', 'SendEmail', 'submitted', T0 + 1);
    r.count('emails', 'SendEmail', 'submitted', T0 + 2);
    r.completed('emails', 'SendEmail', 12, T0 + 3);
    r.count('emails', 'SendEmail', 'submitted', T0 + 61_000);
    r.count('reports', 'Daily', 'failed', T0 + 5);
    expect(r.pending).toBe(true);
    await r.flush();
    await r.flush(); // nothing left: no call

    expect(spy.sent).toHaveLength(1);
    const byKey = Object.fromEntries(
      spy.sent[0]!.map((inc) => [`${inc.queue}@${inc.minute - T0}`, inc.fields]),
    );
    expect(byKey['emails@0']).toEqual({
      submitted: 2,
      'name:SendEmail:submitted': 2,
      completed: 1,
      runs: 1,
      runMs: 12,
      [`h.${binOf(12)}`]: 1,
      'name:SendEmail:completed': 1,
      'name:SendEmail:runs': 1,
      'name:SendEmail:runMs': 12,
      [`name:SendEmail:h.${binOf(12)}`]: 1,
    });
    expect(byKey['emails@60000']).toEqual({ submitted: 1, 'name:SendEmail:submitted': 1 });
    expect(byKey['reports@0']).toEqual({ failed: 1, 'name:Daily:failed': 1 });
    expect(r.pending).toBe(false);
  });

  it(`keeps at most ${MAX_NAMES_PER_BUCKET} job names apart per bucket, the rest as ${OTHER_NAMES}`, async () => {
    const spy = spyDriver();
    const r = recorder(spy.driver);
    for (let i = 0; i < MAX_NAMES_PER_BUCKET + 5; i++) r.count('q', `Job${i}`, 'submitted', T0);
    await r.flush();
    const fields = spy.sent[0]![0]!.fields;
    expect(fields.submitted).toBe(MAX_NAMES_PER_BUCKET + 5);
    expect(fields[`name:${OTHER_NAMES}:submitted`]).toBe(5);
    expect(Object.keys(fields)).toHaveLength(MAX_NAMES_PER_BUCKET + 2);
  });

  it('keeps the figures of a failed flush and sends them with the next one', async () => {
    const spy = spyDriver();
    const r = recorder(spy.driver);
    r.count('q', 'A', 'completed', T0);
    spy.fail(true);
    await expect(r.flush()).rejects.toThrow('storage down');
    r.count('q', 'A', 'completed', T0);
    spy.fail(false);
    await r.close();
    expect(spy.sent).toEqual([[{ queue: 'q', minute: T0, fields: { completed: 2, 'name:A:completed': 2 } }]]);
  });

  it('flushes on its own after flushInterval (real time)', async () => {
    const spy = spyDriver();
    const r = recorder(spy.driver, 20);
    r.count('q', 'A', 'submitted', T0);
    await expect.poll(() => spy.sent.length, { timeout: 2_000 }).toBe(1);
    await r.close();
    expect(spy.sent).toHaveLength(1);
  });

  it('rounds times down to their minute', () => {
    expect(minuteOf(T0 + 59_999)).toBe(T0);
    expect(minuteOf(T0 + 60_000)).toBe(T0 + 60_000);
  });
});

describe('metrics options', () => {
  it('defaults to a day of buckets sent every 5 s; false turns them off', () => {
    expect(resolveMetricsOptions(undefined)).toEqual({ retentionMs: 86_400_000, flushIntervalMs: 5_000 });
    expect(resolveMetricsOptions({ retention: '2h', flushInterval: '1s' })).toEqual({
      retentionMs: 7_200_000,
      flushIntervalMs: 1_000,
    });
    expect(resolveMetricsOptions(false)).toBeNull();
  });

  it.each([{ retention: '10s' }, { flushInterval: 0 }, { retention: 'soon' }, 'yes'])(
    'rejects %j with a ConfigurationError',
    (options) => {
      expect(() => resolveMetricsOptions(options as never)).toThrow(ConfigurationError);
    },
  );
});

describe('worker records', () => {
  it('judges health by missed heartbeats of the worker’s own interval', () => {
    const record = {
      id: 'w',
      info: JSON.stringify({ interval: 1_000, startedAt: T0 - 5_000, queues: ['a', 7] }),
      heartbeatAt: T0,
      expiresAt: T0 + 60_000,
    };
    expect(toWorkerInfo(record, T0 + 3_000)).toMatchObject({
      healthy: true,
      queues: ['a'],
      startedAt: T0 - 5_000,
    });
    expect(toWorkerInfo(record, T0 + 3_001).healthy).toBe(false);
  });
});
