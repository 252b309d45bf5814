import { describe, expect, it } from 'vitest';
import { Job } from '../src/job.js';
import { encodePayload } from '../src/serializer.js';
import { payloadHash, resolveUnique } from '../src/unique.js';

class Report extends Job {
  constructor(public data: unknown = null) {
    super();
  }
  handle() {}
}

const hashOf = (data: unknown) => payloadHash(encodePayload(new Report(data)));

describe('payloadHash: the default uniqueness key', () => {
  it('is the same for equal values whatever the order of their keys, at any depth', () => {
    expect(hashOf({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(
      hashOf({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
  });

  it('tells apart different values, array orders and types superjson keeps (Date vs its ISO string)', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(hashOf([1, 2])).not.toBe(hashOf([2, 1]));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: '1' }));
    expect(hashOf({ at })).not.toBe(hashOf({ at: at.toISOString() }));
    expect(hashOf({ ids: new Set([1, 2]) })).toBe(hashOf({ ids: new Set([1, 2]) }));
  });

  it('is a sha1 hex string, and never pollutes prototypes', () => {
    const hash = payloadHash('{"json":{"__proto__":{"polluted":true},"constructor":1}}');
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('resolveUnique', () => {
  class Unique extends Job {
    static unique = { for: '1h' };
    constructor(public id = 1) {
      super();
    }
    handle() {}
  }

  it('returns null for a job that asks for nothing', () => {
    expect(resolveUnique(new Report(), undefined)).toBeNull();
  });

  it('merges the builder over the class field by field; false turns it off', () => {
    expect(resolveUnique(new Unique(), { until: 'started' })).toEqual({
      key: expect.stringMatching(/^Unique:[0-9a-f]{40}$/),
      ttlMs: 3_600_000,
      until: 'started',
    });
    expect(resolveUnique(new Unique(), false)).toBeNull();
    expect(resolveUnique(new Report(), true)).toMatchObject({ ttlMs: null, until: 'completed' });
  });
});
