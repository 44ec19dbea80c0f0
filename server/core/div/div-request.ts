import { ShakenError } from '../errors.js';
import { parseDest, parseIat, parseOrig, parseOrigid, validUri } from '../sign-request.js';
import { canonicalTn } from '../tn.js';
import type { Dest, Orig } from '../types.js';
import { divOfReceived, readReceivedCall } from './div-from-passports.js';
import type { DivPpt, DivTarget } from './div-passport.js';
import type { PassportKind } from './passport-set.js';

/** A div sign request after validation: numbers canonical (RFC 8224 §8.3), fields well-formed. */
export interface DivRequest {
  orig: Orig;
  dest: Dest;
  div: DivTarget;
  iat?: number;
  origid?: string;
  /** The kinds of the Identity headers the call arrived with, when the request gave them (`identity`). */
  received?: PassportKind[];
  /** `div`, or `div-o` with `opt`: the diverted PASSporT nested (RFC 8946 §5). */
  ppt: DivPpt;
  opt?: string;
}

function parsePpt(raw: unknown): DivPpt {
  if (raw === undefined || raw === null || raw === 'div') return 'div';
  if (raw === 'div-o') return 'div-o';
  throw new ShakenError('ERR_REQ_FIELD_INVALID', 'ppt must be "div" or "div-o"', { field: 'ppt' });
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

/**
 * `{orig, dest, div, iat?, origid?}`, or `{identity, dest, div?, iat?, ppt?}` where `orig`, `origid` and `div` are
 * drawn from the PASSporTs the call arrived with (RFC 8946 §3; div-from-passports.ts) → a canonical
 * `DivRequest`, or a ShakenError naming the first bad field.
 */
export function parseDivInput(input: unknown): DivRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ShakenError('ERR_REQ_MALFORMED', 'request must be a JSON object');
  const body = input as Record<string, unknown>;
  let request: DivRequest;
  const ppt = parsePpt(body.ppt);
  if (body.identity !== undefined && body.identity !== null) {
    // One source for what the original signer asserted: the received PASSporTs, never a second copy beside them.
    for (const field of ['orig', 'origid'] as const) {
      if (body[field] !== undefined && body[field] !== null) throw new ShakenError('ERR_REQ_FIELD_INVALID', `${field} is taken from the shaken PASSporT when identity is given; send one or the other`, { field });
    }
    const received = readReceivedCall(body.identity);
    const dest = parseDest(body.dest);
    const given = body.div === undefined || body.div === null ? undefined : parseDiv(body.div);
    request = { orig: received.orig, dest, div: divOfReceived(received, given), received: received.kinds, ppt };
    if (received.origid !== undefined) request.origid = received.origid;
    if (ppt === 'div-o') request.opt = received.lastPassport;
  } else {
    // A div-o nests the PASSporT it diverts: only the received Identity headers can supply it.
    if (ppt === 'div-o') throw new ShakenError('ERR_REQ_FIELD_MISSING', 'a div-o nests the PASSporT it diverts: give the call\'s Identity headers in identity', { field: 'identity' });
    request = { orig: parseOrig(body.orig), dest: parseDest(body.dest), div: parseDiv(body.div), ppt };
    const origid = parseOrigid(body.origid);
    if (origid !== undefined) request.origid = origid;
  }
  // RFC 8946 §3: a div PASSporT is made only when retargeting changed the canonical dest; one that names the
  // number it goes to now as where it was sent before must not be produced.
  const div = request.div;
  if ('tn' in div ? request.dest.tn?.includes(div.tn) : request.dest.uri?.includes(div.uri)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'div names a number the call is still sent to: a div PASSporT is only made when retargeting changes dest', { field: 'div' });
  }
  const iat = parseIat(body.iat);
  if (iat !== undefined) request.iat = iat;
  return request;
}
