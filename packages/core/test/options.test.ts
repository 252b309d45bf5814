import { describe, expect, it } from 'vitest';
import { backoffDelay, ConfigurationError, Job, toMs, validateBackoff } from '../src/index.js';
import { resolveJobOptions } from '../src/job-options.js';

class Mail extends Job {
  static queue = 'emails';
  static maxAttempts = 5;
  static timeout = '10s';
  constructor(public to = 'a@b.c') {
    super();
  }
  handle() {}
}

const NOW = 1_767_225_600_000;

describe('durations', () => {
  it.each([
    [250, 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
  ])('%j is %d ms', (input, ms) => expect(toMs(input)).toBe(ms));

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '5 minutes', '', 'm5', '-3s'])(
    'rejects %j with a ConfigurationError quoting it',
    (input) => {
      expect(() => toMs(input as never)).toThrow(ConfigurationError);
      expect(() => toMs(input as never)).toThrow(
        typeof input === 'string' ? JSON.stringify(input) : String(input),
      );
    },
  );
});

describe('option resolution: builder > instance > static > defaults', () => {
  it('uses the class statics, then defaults', () => {
    const r = resolveJobOptions(new Mail(), {}, NOW);
    expect(r).toMatchObject({ queue: 'emails', maxAttempts: 5, priority: 2, delayMs: 0 });
    expect(r.stored.timeout).toBe(10_000);
  });

  it('lets instance properties override statics and the builder override both', () => {
    const job = new Mail();
    job.queue = 'bulk';
    job.maxAttempts = 2;
    expect(resolveJobOptions(job, {}, NOW)).toMatchObject({ queue: 'bulk', maxAttempts: 2 });
    expect(
      resolveJobOptions(job, { queue: 'urgent', maxAttempts: 9, priority: 'critical' }, NOW),
    ).toMatchObject({
      queue: 'urgent',
      maxAttempts: 9,
      priority: 4,
    });
  });

  it('defaults to queue default, one attempt, normal priority, no timeout or backoff', () => {
    class Bare extends Job {
      handle() {}
    }
    const r = resolveJobOptions(new Bare(), {}, NOW);
    expect(r).toMatchObject({ queue: 'default', maxAttempts: 1, priority: 2, delayMs: 0 });
    expect(r.stored).toEqual({});
  });

  it('turns a Date delay into ms from now, and a past Date into 0', () => {
    expect(resolveJobOptions(new Mail(), { delay: new Date(NOW + 5_000) }, NOW).delayMs).toBe(5_000);
    expect(resolveJobOptions(new Mail(), { delay: new Date(NOW - 5_000) }, NOW).delayMs).toBe(0);
    expect(resolveJobOptions(new Mail(), { delay: '2h' }, NOW).delayMs).toBe(7_200_000);
  });

  it.each([
    [{ delay: -5 }, '-5'],
    [{ delay: Number.NaN }, 'NaN'],
    [{ delay: '5 mins' }, '"5 mins"'],
    [{ delay: new Date('nope') }, 'Invalid'],
    [{ maxAttempts: 0 }, 'maxAttempts 0'],
    [{ maxAttempts: 1.5 }, 'maxAttempts 1.5'],
    [{ priority: 'urgent' }, '"urgent"'],
    [{ priority: 7 }, 'priority 7'],
    [{ queue: '' }, 'queue name ""'],
    [{ queue: 'a{b}' }, '"a{b}"'],
    [{ timeout: '10 sec' }, '"10 sec"'],
    [{ backoff: -1 }, 'backoff -1'],
    [{ backoff: [] }, 'backoff []'],
    [{ backoff: { type: 'linear' } }, '"linear"'],
    [{ backoff: () => 5 }, 'static backoff'],
    [{ meta: 'tenant' }, 'meta "tenant"'],
  ])('rejects %j with a ConfigurationError quoting the value', (options, fragment) => {
    expect(() => resolveJobOptions(new Mail(), options as never, NOW)).toThrow(ConfigurationError);
    expect(() => resolveJobOptions(new Mail(), options as never, NOW)).toThrow(fragment);
  });
});

describe('backoff', () => {
  const error = new Error('x');
  it('fixed', () =>
    expect([1, 2, 3].map((a) => backoffDelay(1_000, a, error))).toEqual([1_000, 1_000, 1_000]));
  it('array, the last repeating', () =>
    expect([1, 2, 3, 4].map((a) => backoffDelay([10, 20, 30], a, error))).toEqual([10, 20, 30, 30]));
  it('exponential with a cap', () =>
    expect(
      [1, 2, 3, 4, 5].map((a) => backoffDelay({ type: 'exponential', delay: 100, max: 1_000 }, a, error)),
    ).toEqual([100, 200, 400, 800, 1_000]));
  it('exponential with jitter stays within [half, full]', () => {
    const b = { type: 'exponential', delay: 1_000, factor: 3, jitter: true } as const;
    expect(backoffDelay(b, 3, error, () => 0)).toBe(4_500);
    expect(backoffDelay(b, 3, error, () => 0.999999)).toBe(9_000);
  });
  it('a function gets the attempt and the error', () =>
    expect(backoffDelay((attempt, e) => attempt * e.message.length * 7, 2, error)).toBe(14));
  it('no backoff retries at once', () => expect(backoffDelay(undefined, 4, error)).toBe(0));
  it('validation accepts each kind', () => {
    expect(validateBackoff(5)).toBe(5);
    expect(validateBackoff([1, 2])).toEqual([1, 2]);
    expect(validateBackoff({ type: 'exponential', delay: 1 })).toEqual({ type: 'exponential', delay: 1 });
  });
});
