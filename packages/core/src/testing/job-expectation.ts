import { isDeepStrictEqual } from 'node:util';
import { quote } from '../errors.js';
import { Job, type JobClass } from '../job.js';
import { decodeValue, encodePayload, jobNameOf } from '../serializer.js';
import { summarize } from './describe.js';
import type { RecordedJob } from './recorded.js';

/**
 * One expected job, as `assertChained([...])` takes it: a class (any job of it), an instance (same class and
 * an equal payload, compared as stored), or a predicate given the decoded job
 * (`(job) => job instanceof SendEmail && job.to === 'a@b.c'`).
 */
export type JobExpectation = JobClass | Job | ((job: Job) => boolean);

export interface JobMatcher {
  matches(recorded: RecordedJob): boolean;
  /** How a failure message names it. */
  readonly description: string;
}

export function isJobClass(value: unknown): value is JobClass {
  return typeof value === 'function' && value.prototype instanceof Job;
}

/** A matcher for one expectation; `learn` is told of each class named, so recorded jobs can be rebuilt. */
export function jobMatcher(expected: JobExpectation, learn: (cls: JobClass) => void): JobMatcher {
  if (isJobClass(expected)) {
    learn(expected);
    const name = jobNameOf(expected);
    return { description: name, matches: (recorded) => recorded.name === name };
  }
  if (expected instanceof Job) {
    const cls = expected.constructor as JobClass;
    learn(cls);
    const name = jobNameOf(cls);
    const data = decodeValue(encodePayload(expected), `${name} payload`);
    return {
      description: `${name} ${summarize(data)}`,
      matches: (recorded) => recorded.name === name && isDeepStrictEqual(recorded.data, data),
    };
  }
  if (typeof expected === 'function') {
    return {
      description: expected.name ? `a job matching ${expected.name}()` : 'a job matching a predicate',
      matches: (recorded) => Boolean(expected(recorded.job)),
    };
  }
  throw new TypeError(`Expected a job class, a job or a predicate (job) => boolean, got ${quote(expected)}.`);
}
