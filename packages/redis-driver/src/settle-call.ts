import type { SettleRequest } from '@conveyor/core/driver';
import type { ScriptCall } from './scripts.js';

/** Builds one `settle` script call (see settle.lua for the argument layout). */
export function settleCall(jobKey: string, request: SettleRequest, now: number): ScriptCall {
  const { outcome } = request;
  const args: Array<string | number> = [request.jobId, request.token, now, outcome.type];
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
      args.push(outcome.availableAt);
      break;
    case 'cancelled':
      break;
  }
  return { name: 'settle', keys: [jobKey], args };
}
