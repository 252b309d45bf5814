import type { SettleRequest } from '@conveyor/core/driver';
import type { ScriptArg, ScriptCall } from './scripts.js';

/** Builds one `settle` script call for jobs of `queue` (see settle.lua for the argument layout). */
export function settleCall(
  queue: string,
  items: Array<{ jobKey: string; request: SettleRequest }>,
  now: number,
): ScriptCall {
  const keys: string[] = [];
  const args: ScriptArg[] = [now, queue];
  for (const { jobKey, request } of items) {
    keys.push(jobKey);
    const { outcome } = request;
    args.push(request.jobId, request.token, outcome.type);
    switch (outcome.type) {
      case 'completed':
        if (outcome.result === null) args.push('0', '');
        else args.push('1', outcome.result);
        break;
      case 'retry':
        args.push(outcome.availableAt, JSON.stringify(outcome.error));
        break;
      case 'failed':
        args.push('', JSON.stringify(outcome.error));
        break;
      case 'released':
        args.push(outcome.availableAt, '');
        break;
      case 'cancelled':
        args.push('', '');
        break;
    }
  }
  return { name: 'settle', keys, args };
}
