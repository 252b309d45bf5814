import { describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('makes version 4 UUIDs, distinct across several refills of its random pool', () => {
    const ids = Array.from({ length: 2_000 }, () => newId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('returns a string of its own each time (the text it writes into is reused)', () => {
    const first = newId();
    const copy = `${first}`;
    newId();
    expect(first).toBe(copy);
  });

  it('spreads its hex digits: every position but the fixed ones takes many values', () => {
    const ids = Array.from({ length: 512 }, () => newId());
    for (let at = 0; at < 36; at++) {
      if ([8, 13, 14, 18, 23].includes(at)) continue; // dashes and the version digit
      const values = new Set(ids.map((id) => id[at]));
      expect(values.size, `position ${at}`).toBeGreaterThan(at === 19 ? 3 : 12);
    }
  });
});
