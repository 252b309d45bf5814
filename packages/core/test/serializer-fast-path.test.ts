import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../src/serializer.js';

/** `encodeValue` writes JSON-only values itself: its output must stay byte-identical to superjson's. */
describe('encodeValue fast path', () => {
  const shared = { x: 1 };
  const sparse: unknown[] = [];
  sparse[0] = 1;
  sparse[2] = 3;
  it.each<[string, unknown]>([
    ['a plain object', { to: 'a@b.c', n: 3, ok: true, none: null, list: [1, 'two', { three: 3 }] }],
    ['an empty object', {}],
    ['a string', 'text \u2028 \ud800'],
    ['a number', 12.5],
    ['-0', { n: -0 }],
    ['NaN and Infinity', { a: Number.NaN, b: Number.POSITIVE_INFINITY }],
    ['undefined', { a: undefined }],
    ['a Date', { at: new Date(0) }],
    ['a Map and a Set', { m: new Map([[1, 2]]), s: new Set(['a']) }],
    ['a BigInt', { big: 10n }],
    ['a sparse array', sparse],
    ['a shared reference', { a: shared, b: shared }],
    ['an object without prototype', Object.assign(Object.create(null), { a: 1 })],
  ])('%s', (_label, value) => {
    expect(encodeValue(value, 'value')).toBe(superjson.stringify(value));
  });

  it('a guarded key still fails as superjson fails', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    expect(() => encodeValue(value, 'value')).toThrow(/prototype pollution/);
  });
});
