import { ShakenError } from '../errors.js';
import { parseDest, parseIat, parseOrig, parseOrigid, validUri } from '../sign-request.js';
import { canonicalTn } from '../tn.js';
import type { Dest, Orig } from '../types.js';
import type { DivTarget } from './div-passport.js';

/** A div sign request after validation: numbers canonical (RFC 8224 §8.3), fields well-formed. */
export interface DivRequest {
  orig: Orig;
  dest: Dest;
  div: DivTarget;
  iat?: number;
  origid?: string;
}

function parseDiv(raw: unknown): DivTarget {
  if (raw === undefined || raw === null) throw new ShakenError('ERR_REQ_FIELD_MISSING', 'div is required: the number the call was sent to before retargeting', { field: 'div' });
  // RFC 8946 §3: div is an object holding one tn or one uri; a bare string is taken as a tn for convenience.
  if (typeof raw === 'string') return { tn: canonicalTn(raw, 'div') };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'div must be an object {"tn":"..."}', { field: 'div' });
  const o = raw as Record<string, unknown>;
  if ((o.tn === undefined) === (o.uri === undefined)) throw new ShakenError('ERR_REQ_FIELD_INVALID', 'div must hold exactly one of tn or uri', { field: 'div' });
  if (o.tn !== undefined) {
    if (Array.isArray(o.tn)) throw new ShakenError('ERR_TN_INVALID', 'div.tn must be a single string, not an array', { field: 'div.tn' });
    return { tn: canonicalTn(o.tn, 'div.tn') };
  }
  return { uri: validUri(o.uri, 'div.uri') };
}

/** `{orig, dest, div, iat?, origid?}` → a canonical `DivRequest`, or a ShakenError naming the first bad field. */
export function parseDivInput(input: unknown): DivRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ShakenError('ERR_REQ_MALFORMED', 'request must be a JSON object');
  const body = input as Record<string, unknown>;
  const request: DivRequest = { orig: parseOrig(body.orig), dest: parseDest(body.dest), div: parseDiv(body.div) };
  // RFC 8946 §3: a div PASSporT is made only when retargeting changed the canonical dest; one that names the
  // number it goes to now as where it was sent before must not be produced.
  const div = request.div;
  if ('tn' in div ? request.dest.tn?.includes(div.tn) : request.dest.uri?.includes(div.uri)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'div names a number the call is still sent to: a div PASSporT is only made when retargeting changes dest', { field: 'div' });
  }
  const iat = parseIat(body.iat);
  if (iat !== undefined) request.iat = iat;
  const origid = parseOrigid(body.origid);
  if (origid !== undefined) request.origid = origid;
  return request;
}
