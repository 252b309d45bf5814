import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  Job,
  JobRegistry,
  ParseError,
  SerializationError,
  UnknownJobError,
} from '../src/index.js';
import { decodeJob, encodePayload } from '../src/serializer.js';

class Report extends Job<number> {
  static jobName = 'Report';
  constructor(
    public at: Date,
    public tags: Set<string>,
    public totals: Map<string, bigint>,
    public pattern: RegExp,
    public missing: undefined = undefined,
  ) {
    super();
  }
  handle() {
    return this.tags.size;
  }
}

describe('payload serialization', () => {
  it('round-trips Date, Set, Map, BigInt, RegExp and undefined', () => {
    const job = new Report(
      new Date('2026-03-04T05:06:07Z'),
      new Set(['a', 'b']),
      new Map([['x', 12n ** 20n]]),
      /ab+c/gi,
    );
    const back = decodeJob(Report, encodePayload(job));
    expect(back).toBeInstanceOf(Report);
    expect(back.at).toEqual(new Date('2026-03-04T05:06:07Z'));
    expect(back.tags).toEqual(new Set(['a', 'b']));
    expect(back.totals.get('x')).toBe(12n ** 20n);
    expect(back.pattern.source).toBe('ab+c');
    expect(back.pattern.flags).toBe('gi');
    expect('missing' in back).toBe(true);
    expect(back.handle()).toBe(2);
  });

  it('does not call the constructor when rebuilding', () => {
    let calls = 0;
    class Counted extends Job {
      constructor(public n: number) {
        super();
        calls++;
      }
      handle() {}
    }
    const payload = encodePayload(new Counted(3));
    expect(calls).toBe(1);
    expect(decodeJob(Counted, payload).n).toBe(3);
    expect(calls).toBe(1);
  });

  it('keeps reserved option names out of the payload', () => {
    class Opt extends Job {
      constructor(public to: string) {
        super();
        this.queue = 'mail';
        this.maxAttempts = 3;
      }
      handle() {}
    }
    expect(JSON.parse(encodePayload(new Opt('a@b.c'))).json).toEqual({ to: 'a@b.c' });
  });

  it('never lets __proto__ or constructor keys pollute a prototype', () => {
    class Plain extends Job {
      handle() {}
    }
    const evil =
      '{"json":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"nested":{"__proto__":{"polluted":true}}}}';
    const job = decodeJob(Plain, evil) as Plain & Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(job)).toBe(Plain.prototype);
    expect((Plain.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(typeof job.handle).toBe('function');
  });

  it.each([
    ['a function', { cb: () => 1 }, '.cb is a function'],
    ['a symbol', { s: Symbol('x') }, '.s is a symbol'],
    ['a foreign class instance', { when: new (class Money {})() }, '.when is an instance of Money'],
    ['a nested function', { list: [1, { fn: Math.max }] }, '.list[1].fn is a function'],
  ])('rejects %s with a SerializationError naming the property', (_label, data, fragment) => {
    class Bag extends Job {
      handle() {}
    }
    const job = Object.assign(new Bag(), data);
    expect(() => encodePayload(job)).toThrow(SerializationError);
    expect(() => encodePayload(job)).toThrow(fragment);
  });

  it('rejects a payload over the size limit, saying how big it was', () => {
    class Big extends Job {
      constructor(public blob: string) {
        super();
      }
      handle() {}
    }
    const job = new Big('x'.repeat(2_000));
    expect(() => encodePayload(job, 1_000)).toThrow(/Big payload.*over the 1000-byte limit/);
  });

  it('turns text that does not parse into a ParseError', () => {
    class P extends Job {
      handle() {}
    }
    expect(() => decodeJob(P, '{not json')).toThrow(ParseError);
    expect(() => decodeJob(P, '{"json":[1,2]}')).toThrow(/not an object/);
  });
});

describe('JobRegistry', () => {
  class A extends Job {
    handle() {}
  }
  it('names an unregistered job and says to register it', () => {
    const registry = new JobRegistry([A]);
    expect(registry.resolve('A')).toBe(A);
    expect(() => registry.resolve('Missing')).toThrow(UnknownJobError);
    expect(() => registry.resolve('Missing')).toThrow(/"Missing".*add it to the worker's `jobs` list/);
  });

  it('refuses two different classes under one name', () => {
    const other = class A extends Job {
      handle() {}
    };
    expect(() => new JobRegistry([A, other])).toThrow(ConfigurationError);
    expect(() => new JobRegistry([A, other])).toThrow(/"A"/);
  });

  it('refuses something that is not a job class', () => {
    expect(() => new JobRegistry([{} as never])).toThrow(TypeError);
  });
});
