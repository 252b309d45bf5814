import { ConfigurationError, quote } from './errors.js';
import { Job } from './job.js';

/**
 * Checks the jobs given to `Chain.of`, `Batch.of`, `.chain()`, `batch.add()` and `ctx.chain.append()`:
 * each must be a `Job` instance. Throws a `TypeError` naming the call, the position and the value.
 */
export function assertJobAt(value: unknown, call: string, position: string): asserts value is Job {
  if (!(value instanceof Job)) {
    throw new TypeError(
      `${call}: ${position} is ${quote(value)}, not a job: expected an instance of a class that extends Job ` +
        '(class SendEmail extends Job { handle() {...} }).',
    );
  }
}

/** Checks a list of chain links: an array of one or more jobs. */
export function assertChainLinks(value: unknown, call: string): asserts value is readonly Job[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`${call} expects an array of jobs, got ${quote(value)}.`);
  }
  if (value.length === 0) {
    throw new ConfigurationError(`${call} got an empty chain: a chain needs at least one job.`);
  }
  value.forEach((item, index) => {
    assertJobAt(item, call, `item [${index}]`);
  });
}
