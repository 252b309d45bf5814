import { describe, expect, it } from 'vitest';
import { JobLocator } from '../src/job-locator.js';
import { Keys } from '../src/keys.js';

describe('JobLocator memory', () => {
  it('keeps at least the last 100,000 ids it was told, forgets older ones in whole generations', () => {
    const locator = new JobLocator(new Keys('locator-test', 'queue'));
    const total = 250_001;
    for (let i = 0; i < total; i++) locator.remember(`job-${i}`, `q${i % 3}`);
    // the newest 100,000 are always there, with their queue
    for (let i = total - 100_000; i < total; i += 997) expect(locator.cached(`job-${i}`)).toBe(`q${i % 3}`);
    expect(locator.cached(`job-${total - 1}`)).toBe(`q${(total - 1) % 3}`);
    // the oldest generation was dropped whole
    expect(locator.cached('job-0')).toBeUndefined();
    expect(locator.cached('job-99999')).toBeUndefined();
  });

  it('forgets an id in either generation', () => {
    const locator = new JobLocator(new Keys('locator-test', 'queue'));
    locator.remember('first', 'a');
    for (let i = 0; i < 100_000; i++) locator.remember(`job-${i}`, 'b');
    locator.remember('last', 'c');
    expect(locator.cached('first')).toBe('a'); // now in the old generation
    locator.forget('first');
    locator.forget('last');
    expect(locator.cached('first')).toBeUndefined();
    expect(locator.cached('last')).toBeUndefined();
    expect(locator.cached('job-5')).toBe('b');
  });
});
