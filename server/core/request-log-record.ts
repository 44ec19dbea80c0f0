import { isShakenError } from './errors.js';
import type { RequestLogRecord, RequestLogSink } from './ports.js';
import type { RequestKind, Transport } from './types.js';

/** A request's log record before anything is known: an error until the work says otherwise. */
export function blankLogRecord(kind: RequestKind, transport: Transport, time: Date): RequestLogRecord {
  return {
    kind,
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
    passports: null,
    rcdProfile: null,
    rcdVerified: null,
  };
}

/**
 * Runs one request's work and records it whatever happens: `settle` fills in the outcome from a result, a
 * thrown error becomes its code (ERR_INTERNAL when it is not ours), and the latency is measured around it all.
 */
export async function withRequestLog<T>(
  log: RequestLogSink | undefined,
  entry: RequestLogRecord,
  work: () => Promise<T>,
  settle: (result: T) => void,
): Promise<T> {
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    settle(result);
    return result;
  } catch (e) {
    entry.errorCode = isShakenError(e) ? e.code : 'ERR_INTERNAL';
    throw e;
  } finally {
    entry.latencyUs = Number((process.hrtime.bigint() - started) / 1000n);
    const written = log?.record(entry);
    if (written) await written;
  }
}
