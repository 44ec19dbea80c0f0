import { randomUUID } from 'node:crypto';
import type { RequestLogRecord } from '../server/core/ports.js';
import type { Store } from '../server/store/store.js';

/** One record as the core hands it over after a signed HTTP request; `fields` override it. */
export function signedRecord(fields: Partial<RequestLogRecord> = {}): RequestLogRecord {
  return {
    kind: 'sign',
    time: new Date(),
    accountId: 'acc_0123456789abcdef',
    apiKeyId: 'key_0123456789abcdef',
    transport: 'http',
    orig: '14045266060',
    dest: '18001234567',
    attestRequested: 'A',
    attestApplied: 'A',
    attestReason: 'requested',
    outcome: 'ok',
    errorCode: null,
    latencyUs: 180,
    origid: randomUUID(),
    passports: 'shaken',
    rcdProfile: null,
    rcdVerified: null,
    ...fields,
  };
}

const ATTEST = ['A', 'B', 'C'] as const;
const TRANSPORTS = ['http', 'grpc', 'sip'] as const;

/**
 * The PASSporT kinds of the i-th seeded record: 5 % forwarded calls signed (`shaken,div`, one in five of them
 * forwarded twice), 5 % forwarded calls verified, the rest `shaken`; a refused request has none.
 */
function seededPassports(i: number, failed: boolean): string | null {
  if (failed) return null;
  if (i % 100 === 4) return 'shaken,div,div';
  if (i % 20 === 4 || i % 20 === 9) return 'shaken,div';
  return 'shaken';
}

/**
 * Fills the request log with `rows` records spread evenly over the `spanMs` before `untilMs`: a mix of
 * transports, keys, attestation levels, ~2 % errors and ~10 % forwarded calls (half signed, half verified),
 * as a busy node's log holds. For the dashboard's stall measurement and its test.
 */
export async function seedRequestLog(store: Store, opts: { rows: number; untilMs: number; spanMs: number; accountId?: string | null }): Promise<void> {
  const chunk = 5000;
  const step = opts.spanMs / opts.rows;
  for (let start = 0; start < opts.rows; start += chunk) {
    const records: RequestLogRecord[] = [];
    for (let i = start; i < Math.min(opts.rows, start + chunk); i++) {
      const failed = i % 50 === 0;
      records.push({
        kind: i % 10 === 9 ? 'verify' : 'sign',
        time: new Date(Math.floor(opts.untilMs - opts.spanMs + i * step)),
        accountId: opts.accountId ?? null,
        apiKeyId: `key_${i % 7}`,
        transport: TRANSPORTS[i % 3]!,
        orig: '12025550100',
        dest: '12025550101',
        attestRequested: 'A',
        attestApplied: failed ? null : ATTEST[i % 3]!,
        attestReason: null,
        outcome: failed ? 'error' : 'ok',
        errorCode: failed ? 'ERR_TN_INVALID' : null,
        latencyUs: 200 + ((i * 7919) % 5000),
        origid: null,
        passports: seededPassports(i, failed),
        rcdProfile: null,
        rcdVerified: null,
      });
    }
    await store.appendRequestLog(records);
  }
}
