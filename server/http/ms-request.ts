import { ShakenError } from '../core/errors.js';

// Decoding of the 3GPP Ms request bodies (TS 24.229 Annex V, as the public OpenAPI description "3GPP-based Call
// Authentication APIs" renders it): the wrapper objects, the members only this interface has (ppt, div.hi,
// profileId, requestId, identityHeaders, protectedHeaders, displayName), and the shape each core call takes.
// Everything the core already checks (numbers, attest, iat, origid, rph values, the Identity headers) is
// passed on unchecked and judged there, once.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{"<name>":{…}}` → the inner object; a missing or unparsable body is the caller's error. */
export function unwrap(body: unknown, name: 'signingRequest' | 'verificationRequest'): Json {
  if (body === undefined) throw new ShakenError('ERR_REQ_BODY_MISSING', 'the request has no body');
  if (!isObject(body)) throw new ShakenError('ERR_REQ_MALFORMED', 'the body is not a JSON object');
  const inner = body[name];
  if (inner === undefined || inner === null) throw new ShakenError('ERR_REQ_FIELD_MISSING', `the body is {"${name}":{…}}`, { field: name });
  if (!isObject(inner)) throw new ShakenError('ERR_REQ_FIELD_INVALID', `${name} must be an object`, { field: name });
  return inner;
}

const MAX_OPAQUE = 256;

/** `requestId`, `profileId`, `displayName`: opaque strings of printable characters, kept as given. */
export function opaque(req: Json, name: string): string | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > MAX_OPAQUE || /[\x00-\x1f\x7f]/.test(v)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `${name} must be a string of at most ${MAX_OPAQUE} printable characters`, { field: name });
  }
  return v;
}

/** The three PASSporTs one `/signing` resource makes, chosen by `ppt` (absent: shaken). */
export type MsPpt = 'shaken' | 'div' | 'rph';

export function pptOf(req: Json): MsPpt {
  const v = req.ppt;
  if (v === undefined || v === null || v === '' || v === 'shaken') return 'shaken';
  if (v === 'div' || v === 'rph') return v;
  throw new ShakenError('ERR_REQ_FIELD_INVALID', 'ppt must be "shaken", "div" or "rph"', { field: 'ppt' });
}

// RFC 7044 §5 (index-val): numbers joined by dots, "1", "1.1", "1.1.2"; bounded here so a value stays a header parameter.
const HI_INDEX = /^[0-9]{1,5}(\.[0-9]{1,5}){0,31}$/;

/** Members a ppt does not use but a client may send anyway (Oracle's div heartbeat carries attest): left out. */
function members(req: Json, names: readonly string[]): Json {
  const out: Json = {};
  for (const name of names) if (req[name] !== undefined) out[name] = req[name];
  return out;
}

/** A member only another ppt has: a client that sends it has most likely forgotten `ppt`. */
function refuseForeign(req: Json, ppt: MsPpt, name: string, owner: MsPpt): void {
  if (ppt !== owner && req[name] !== undefined && req[name] !== null) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `${name} applies only to ppt "${owner}"`, { field: name });
  }
}

export interface MsSigning {
  ppt: MsPpt;
  /** What the core call of that ppt takes (SigningService.handle, handleDiv, handleRph). */
  input: Json;
  /** The History-Info index of the diverting user's entry (div only); not a PASSporT claim (RFC 8946 §3). */
  hi?: string;
}

/** A signingRequest → the ppt, the core input for it, and the History-Info index of a div. */
export function signingOf(req: Json): MsSigning {
  const ppt = pptOf(req);
  refuseForeign(req, ppt, 'div', 'div');
  refuseForeign(req, ppt, 'rph', 'rph');
  refuseForeign(req, ppt, 'sph', 'rph');
  if (ppt === 'shaken') return { ppt, input: members(req, ['orig', 'dest', 'attest', 'origid', 'iat']) };
  if (ppt === 'rph') return { ppt, input: members(req, ['orig', 'dest', 'rph', 'sph', 'iat']) };
  const input = members(req, ['orig', 'dest', 'div', 'origid', 'iat']);
  if (!isObject(input.div) || input.div.hi === undefined) return { ppt, input };
  const { hi, ...div } = input.div;
  if (typeof hi !== 'string' || !HI_INDEX.test(hi)) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', 'div.hi must be a History-Info index such as "1.1" (RFC 7044)', { field: 'div.hi' });
  }
  return { ppt, input: { ...input, div }, hi };
}

/** `{"tn":"…"}` (or `{"tn":["…"]}`) as our API takes it; `{"uri":"sip:…"}` as the address string whose number is read. */
function party(v: unknown): unknown {
  if (isObject(v) && v.tn === undefined && typeof v.uri === 'string') return v.uri;
  return v;
}

function stringList(req: Json, name: string): string[] {
  const v = req[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ShakenError('ERR_REQ_FIELD_INVALID', `${name} must be an array of strings`, { field: name });
  return v as string[];
}

// The verificationRequest members the public description marks mandatory besides identityHeader, whose absence
// the core judges (a call with only identityHeaders, e.g. an rph, is a verification, not a malformed request).
const MANDATORY = ['from', 'to', 'time'] as const;

export interface MsVerification {
  /** What Verifier.handle takes: `{identity, from, to, ruri?, time}`. */
  input: Json;
  /** The Identity header values in the order given to the core: identityHeader first, then identityHeaders. */
  identities: string[];
}

/** A verificationRequest → the core input; `dest` (the Request-URI) is where a chain of div PASSporTs must end. */
export function verificationOf(req: Json): MsVerification {
  for (const name of MANDATORY) {
    if (req[name] === undefined || req[name] === null) throw new ShakenError('ERR_REQ_FIELD_MISSING', `${name} is required`, { field: name });
  }
  const shaken = req.identityHeader;
  if (shaken !== undefined && shaken !== null && typeof shaken !== 'string') throw new ShakenError('ERR_REQ_FIELD_INVALID', 'identityHeader must be a string', { field: 'identityHeader' });
  const identities = [...(typeof shaken === 'string' && shaken !== '' ? [shaken] : []), ...stringList(req, 'identityHeaders')];
  // Carried for the client's own records; the verifier judges the PASSporTs against the call's numbers only.
  stringList(req, 'protectedHeaders');
  const input: Json = { identity: identities.length === 0 ? undefined : identities.length === 1 ? identities[0] : identities, from: party(req.from), to: party(req.to), time: req.time };
  if (req.dest !== undefined && req.dest !== null) input.ruri = party(req.dest);
  return { input, identities };
}
