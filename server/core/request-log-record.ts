import type { RequestLogRecord } from './ports.js';
import type { Transport } from './types.js';

/** A request's log record before anything is known: an error until the work says otherwise. */
export function blankLogRecord(transport: Transport, time: Date): RequestLogRecord {
  return {
    time,
    accountId: null,
    apiKeyId: null,
    transport,
    orig: null,
    dest: null,
    attestRequested: null,
    attestApplied: null,
    attestReason: null,
    outcome: 'error',
    errorCode: null,
    latencyUs: 0,
    origid: null,
  };
}
