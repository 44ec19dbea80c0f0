import { ShakenError } from '../errors.js';
import { parseDest, parseIat, parseOrig } from '../sign-request.js';
import type { Dest, Orig } from '../types.js';

/** An rph sign request after validation: numbers canonical, r-values in their canonical (lower-case) form. */
export interface RphRequest {
  orig: Orig;
  dest: Dest;
  /** Resource-Priority r-values, `namespace.priority` (RFC 4412 §3.1), lower-case, without repeats, in the order given. */
  auth: string[];
  sph?: string;
  iat?: number;
}

// RFC 4412 §3.1: r-value = namespace "." r-priority; both are tokens of these characters (compared case-insensitively).
const R_VALUE = /^[a-z0-9!%*_+`'~-]+\.[a-z0-9!%*_+`'~-]+$/;
const MAX_AUTH = 10;
const MAX_R_VALUE = 64;
// RFC 9027 §4: the one SIP Priority value an rph PASSporT carries, for a PSAP's call-back.
const SPH_VALUES = new Set(['psap-callback']);

/** The namespace of a canonical r-value (`ets` of `ets.0`): what an account's right is granted for. */
export function namespaceOf(rValue: string): string {
  return rValue.slice(0, rValue.indexOf('.'));
}

function parseAuth(raw: unknown): string[] {
  if (raw === undefined || raw === null) throw new ShakenError('ERR_REQ_FIELD_MISSING', 'rph.auth is required: the Resource-Priority values to sign, e.g. ["ets.0"]', { field: 'rph.auth' });
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'rph.auth must be a non-empty array of Resource-Priority values', { field: 'rph.auth' });
  if (list.length > MAX_AUTH) throw new ShakenError('ERR_REQ_FIELD_INVALID', `rph.auth holds ${list.length} values; at most ${MAX_AUTH}`, { field: 'rph.auth' });
  const auth: string[] = [];
  list.forEach((v, i) => {
    const value = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    if (value === undefined || value.length > MAX_R_VALUE || !R_VALUE.test(value)) {
      throw new ShakenError('ERR_REQ_FIELD_INVALID', 'each rph.auth value must be a Resource-Priority r-value namespace.priority (RFC 4412), e.g. "ets.0"', { field: `rph.auth[${i}]` });
    }
    if (!auth.includes(value)) auth.push(value);
  });
  return auth;
}

/** `{orig, dest, rph: {auth: [...]}, sph?, iat?}` → a canonical `RphRequest`, or a ShakenError naming the first bad field. */
export function parseRphInput(input: unknown): RphRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ShakenError('ERR_REQ_MALFORMED', 'request must be a JSON object');
  const body = input as Record<string, unknown>;
  const orig = parseOrig(body.orig);
  const dest = parseDest(body.dest);
  const rph = body.rph;
  if (rph === undefined || rph === null) throw new ShakenError('ERR_REQ_FIELD_MISSING', 'rph is required: {"auth":["ets.0"]}', { field: 'rph' });
  if (typeof rph !== 'object' || Array.isArray(rph)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'rph must be an object {"auth":["ets.0"]}', { field: 'rph' });
  const request: RphRequest = { orig, dest, auth: parseAuth((rph as Record<string, unknown>).auth) };
  if (body.sph !== undefined && body.sph !== null) {
    const sph = typeof body.sph === 'string' ? body.sph.trim().toLowerCase() : '';
    if (!SPH_VALUES.has(sph)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'sph must be "psap-callback" (RFC 9027)', { field: 'sph' });
    request.sph = sph;
  }
  const iat = parseIat(body.iat);
  if (iat !== undefined) request.iat = iat;
  return request;
}
