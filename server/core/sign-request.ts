import { ShakenError } from './errors.js';
import { parseAttestation } from './attestation-policy.js';
import { canonicalTn } from './tn.js';
import { parseRcdRequest } from './rcd/rcd-policy.js';
import type { CallDate, Dest, Orig, SignRequest } from './types.js';

/** The loosely typed shape every transport decodes into; validation happens here, once. */
export interface SignInput {
  orig?: unknown;
  dest?: unknown;
  attest?: unknown;
  origid?: unknown;
  iat?: unknown;
  rcd?: unknown;
}

const MAX_DEST = 100;
const MAX_URI_LENGTH = 256;
// RFC 8225 §5.2.1 allows URIs for orig/dest; we accept the schemes a voice network uses, with no
// white space or control characters (they would end up inside a SIP header).
const URI = /^(sips?|tel):[\x21-\x7e]+$/i;
// RFC 4122 UUID, any version, as RFC 8588 §6 asks of origid.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validUri(input: unknown, field: string): string {
  if (typeof input !== 'string' || input.length > MAX_URI_LENGTH || !URI.test(input)) {
    throw new ShakenError('ERR_URI_INVALID', `must be a sip:, sips: or tel: URI of at most ${MAX_URI_LENGTH} printable characters`, { field });
  }
  return input;
}

export function parseOrig(raw: unknown): Orig {
  if (raw === undefined || raw === null) {
    throw new ShakenError('ERR_REQ_FIELD_MISSING', 'orig is required', { field: 'orig' });
  }
  if (!isObject(raw)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'orig must be an object {"tn":"..."}', { field: 'orig' });
  }
  const hasTn = raw.tn !== undefined;
  const hasUri = raw.uri !== undefined;
  if (hasTn === hasUri) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'orig must hold exactly one of tn or uri', { field: 'orig' });
  }
  if (hasTn) {
    // A one-element array is a common client mistake; RFC 8225 makes orig.tn a single string.
    if (Array.isArray(raw.tn)) {
      throw new ShakenError('ERR_TN_INVALID', 'orig.tn must be a single string, not an array', { field: 'orig.tn' });
    }
    return { tn: canonicalTn(raw.tn, 'orig.tn') };
  }
  return { uri: validUri(raw.uri, 'orig.uri') };
}

/** A list field as an array (one string is a list of one), checked for shape but not yet item by item. */
function rawList(raw: unknown, field: string): unknown[] | undefined {
  if (raw === undefined) return undefined;
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `${field} must be an array of strings`, { field });
  }
  return list;
}

export function parseDest(raw: unknown): Dest {
  if (raw === undefined || raw === null) {
    throw new ShakenError('ERR_REQ_FIELD_MISSING', 'dest is required', { field: 'dest' });
  }
  if (!isObject(raw)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'dest must be an object {"tn":["..."]}', { field: 'dest' });
  }
  const rawTn = rawList(raw.tn, 'dest.tn');
  const rawUri = rawList(raw.uri, 'dest.uri');
  const count = (rawTn?.length ?? 0) + (rawUri?.length ?? 0);
  // Counted before any entry is parsed, so an oversized list costs nothing. The limit is on tn and uri together:
  // every entry becomes part of the signed token and of the SIP header that carries it.
  if (count > MAX_DEST) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `dest holds ${count} entries (tn and uri together); at most ${MAX_DEST}`, { field: 'dest' });
  }
  if (count === 0) {
    throw new ShakenError('ERR_DEST_EMPTY', 'dest must name at least one tn or uri', { field: 'dest' });
  }
  const dest: Dest = {};
  if (rawTn && rawTn.length > 0) dest.tn = rawTn.map((v, i) => canonicalTn(v, `dest.tn[${i}]`));
  if (rawUri && rawUri.length > 0) dest.uri = rawUri.map((v, i) => validUri(v, `dest.uri[${i}]`));
  return dest;
}

export function parseOrigid(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' || !UUID.test(raw)) {
    throw new ShakenError('ERR_REQ_ORIGID_INVALID', 'origid must be an RFC 4122 UUID', { field: 'origid' });
  }
  // Kept as given: an origid is never rewritten in transit (RFC 8588 §6).
  return raw;
}

export function parseIat(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  // RFC 8225 §5.1.1: NumericDate in whole seconds; a string or milliseconds is a caller bug, not something to fix up.
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw <= 0 || raw > 1e11) {
    throw new ShakenError('ERR_REQ_IAT_INVALID', 'iat must be an integer number of seconds since the epoch', { field: 'iat' });
  }
  return raw;
}

/** The iat a call's Date gives (RFC 8224 §4.1); an unreadable Date is refused like a bad iat. */
export function iatOfDate(date: CallDate): number {
  if (!date.readable) throw new ShakenError('ERR_REQ_IAT_INVALID', 'the Date header is not a date', { field: 'date' });
  return parseIat(date.sec)!;
}

/**
 * Turns whatever a transport decoded into a canonical `SignRequest`, or throws a `ShakenError` naming the
 * first field at fault. `headerAttest`, when present, is a transport-level override (HTTP `X-Attestation`,
 * gRPC `x-attestation`, SIP `X-Attestation`) and wins over the body's `attest`.
 */
export function parseSignInput(input: unknown, headerAttest?: unknown): SignRequest {
  if (!isObject(input)) {
    throw new ShakenError('ERR_REQ_MALFORMED', 'request must be a JSON object');
  }
  const body = input as SignInput;
  const request: SignRequest = { orig: parseOrig(body.orig), dest: parseDest(body.dest) };
  const attest =
    headerAttest !== undefined && headerAttest !== ''
      ? parseAttestation(headerAttest, 'X-Attestation')
      : body.attest !== undefined && body.attest !== null
        ? parseAttestation(body.attest, 'attest')
        : undefined;
  if (attest) request.attest = attest;
  const origid = parseOrigid(body.origid);
  if (origid) request.origid = origid;
  const iat = parseIat(body.iat);
  if (iat !== undefined) request.iat = iat;
  const rcd = parseRcdRequest(body.rcd);
  if (rcd !== undefined) request.rcd = rcd;
  return request;
}
