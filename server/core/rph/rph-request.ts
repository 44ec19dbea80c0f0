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

// RFC 4412 §3.1: r-value = namespace "." r-priority, each 1*( alphanum / "-" / "!" / "%" / "*" / "_" / "+" / "`" /
// "'" / "~" ) (token-nodot); compared case-insensitively, so held lower-case.
const R_VALUE = /^[a-z0-9!%*_+`'~-]+\.[a-z0-9!%*_+`'~-]+$/;

/** A lower-cased string is an RFC 4412 §3.1 r-value of sane length. */
export function isRValue(value: string): boolean {
  return value.length <= MAX_R_VALUE && R_VALUE.test(value);
}
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
    if (value === undefined || !isRValue(value)) {
      throw new ShakenError('ERR_REQ_FIELD_INVALID', 'each rph.auth value must be a Resource-Priority r-value namespace.priority (RFC 4412), e.g. "ets.0"', { field: `rph.auth[${i}]` });
    }
    if (!auth.includes(value)) auth.push(value);
  });
  return auth;
}

// RFC 5031 §4.2: the emergency service URN and its sub-services (urn:service:sos.police, ...), lower-case.
const SOS_URN = /^urn:service:sos(\.[a-z0-9-]{1,32}){0,4}$/;

/**
 * `dest` as for a shaken PASSporT, plus the emergency service URN: RFC 9027 §3 has an `esnet` rph PASSporT's dest be
 * either the dial string (911, 112: a tn) or `urn:service:sos` (RFC 5031), which a shaken dest (sip/sips/tel) refuses.
 */
function parseRphDest(raw: unknown): Dest {
  const uris = typeof raw === 'object' && raw !== null && Array.isArray((raw as Record<string, unknown>).uri) ? ((raw as Record<string, unknown>).uri as unknown[]) : undefined;
  const isSos = (v: unknown) => typeof v === 'string' && SOS_URN.test(v.trim().toLowerCase());
  if (uris === undefined || !uris.some(isSos)) return parseDest(raw);
  const sos = uris.filter(isSos).map((v) => (v as string).trim().toLowerCase());
  const rest = uris.filter((v) => !isSos(v));
  const others: Record<string, unknown> = { ...(raw as Record<string, unknown>), uri: rest };
  const hasTn = Array.isArray(others.tn) && others.tn.length > 0;
  const dest = rest.length > 0 || hasTn ? parseDest(others) : {};
  return { ...dest, uri: [...(dest.uri ?? []), ...sos] };
}

/** `{orig, dest, rph: {auth: [...]}, sph?, iat?}` → a canonical `RphRequest`, or a ShakenError naming the first bad field. */
export function parseRphInput(input: unknown): RphRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ShakenError('ERR_REQ_MALFORMED', 'request must be a JSON object');
  const body = input as Record<string, unknown>;
  const orig = parseOrig(body.orig);
  const dest = parseRphDest(body.dest);
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
