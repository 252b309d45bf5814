import { describe, expect, it } from 'vitest';
import { readMeta } from '../src/codec.js';

describe('readMeta', () => {
  it('cuts the name by its length in UTF-16 code units, whatever the name and the options hold', () => {
    expect(readMeta('1700,3,9,Send,Mail{"a":"1,2"}')).toEqual({
      createdAt: 1700,
      maxAttempts: 3,
      name: 'Send,Mail',
      options: '{"a":"1,2"}',
    });
    expect(readMeta('0,1,8,Alert🚀x{}')).toMatchObject({ name: 'Alert🚀x', options: '{}' });
    expect(readMeta('5,2,0,{}')).toMatchObject({ name: '', options: '{}' });
  });

  it('never throws on a missing or corrupt value: defaults for what does not parse', () => {
    const defaults = { createdAt: 0, maxAttempts: 1, name: '', options: '' };
    expect(readMeta(undefined)).toEqual(defaults);
    expect(readMeta(null)).toEqual(defaults);
    expect(readMeta('not meta')).toEqual(defaults);
    expect(readMeta('1,2,x,name')).toEqual(defaults);
    expect(readMeta('1,2,-1,name')).toEqual(defaults);
    expect(readMeta('x,y,4,nameopts')).toEqual({
      createdAt: 0,
      maxAttempts: 1,
      name: 'name',
      options: 'opts',
    });
    expect(readMeta('1,2,99,short')).toEqual({ createdAt: 1, maxAttempts: 2, name: 'short', options: '' });
  });
});
