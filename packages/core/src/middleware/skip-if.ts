import { ConfigurationError, quote } from '../errors.js';
import type { Job, JobContext } from '../job.js';
import type { Middleware } from './middleware.js';

/**
 * Skips the job when `condition(job, ctx)` is true: its handler never runs and the job **completes** (with no
 * result), as Laravel's `Skip` middleware deletes a job. So its chain goes on and its batch counts it as
 * processed. To stop a chain or count it as a failure instead, call `ctx.fail()` from your own middleware.
 *
 * The condition runs on the worker each attempt, so `skipIf` is a class-level middleware only
 * (`static middleware = [skipIf(...)]`); `.through()` refuses it.
 *
 * ```ts
 * class SendReminder extends Job {
 *   constructor(public invoiceId: string) { super(); }
 *   static middleware = [skipIf(async (job: SendReminder) => (await invoices.get(job.invoiceId)).paid)];
 * }
 * ```
 */
export function skipIf<J extends Job = Job>(
  condition: (job: J, ctx: JobContext) => boolean | Promise<boolean>,
): Middleware<J> {
  if (typeof condition !== 'function') {
    throw new ConfigurationError(
      `Invalid skipIf condition ${quote(condition)}: pass a function (job, ctx) => boolean.`,
    );
  }
  return async (job, ctx, next) => ((await condition(job, ctx)) ? undefined : next());
}
