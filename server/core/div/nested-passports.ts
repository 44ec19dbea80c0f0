import { kindOf, MAX_IDENTITY_HEADERS, parseIdentityHeader, type ParsedIdentity, type ReadIdentities } from '../verify/identity-header.js';
import { decodePassport, type Judged, type PassportProfile } from '../verify/passport-decode.js';
import { judgeDivClaims, type JudgedDiv } from './div-claims.js';

/** A PASSporT in full form (RFC 7515 §7.1): three base64url segments, nothing else (no parameters smuggled in). */
const FULL_FORM_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A div-o's claims once judged: a div's, plus the nested PASSporT (RFC 8946 §5). */
export interface JudgedDivO extends JudgedDiv {
  opt: string;
}

/** RFC 8946 §5: a div-o holds what a div holds (§3) and `opt`, the diverted PASSporT in full form. */
export function judgeDivOClaims(c: Record<string, unknown>): Judged<JudgedDivO> {
  if (c.opt === undefined) return { ok: false, reason: 'claims_missing', detail: 'opt' };
  if (typeof c.opt !== 'string' || !FULL_FORM_JWS.test(c.opt)) return { ok: false, reason: 'claims_invalid', detail: 'opt is not a PASSporT in full form (header.claims.signature)' };
  const j = judgeDivClaims(c);
  return j.ok ? { ok: true, value: { ...j.value, opt: c.opt } } : j;
}

export const DIV_O_PROFILE: PassportProfile<JudgedDivO> = { ppt: 'div-o', judge: judgeDivOClaims };

/** One PASSporT to judge: an Identity header as received, or one unpacked from a div-o's `opt`. */
export interface CallPassportSource {
  /** The Identity header value: as received, or built for a nested PASSporT (`<jws>;info=<its x5u>;ppt=<its ppt>`). */
  value: string;
  parsed: ParsedIdentity;
  /** For a nested PASSporT, the index of the source that carried it in its `opt`. */
  nestedIn?: number;
}

/** The PASSporT nested in a div-o's `opt`, with the header members its Identity parameters are built from. */
function decodedOpt(parsed: ParsedIdentity): { jws: string; x5u: unknown; ppt: unknown; alg: unknown } | undefined {
  if (!parsed.ok || kindOf(parsed.header).kind !== 'div-o') return undefined;
  const d = decodePassport(parsed.header.jws);
  const opt = d.ok ? d.value.claims.opt : undefined;
  if (typeof opt !== 'string' || !FULL_FORM_JWS.test(opt)) return undefined;
  const inner = decodePassport(opt);
  if (!inner.ok) return { jws: opt, x5u: undefined, ppt: undefined, alg: undefined };
  const h = inner.value.header;
  return { jws: opt, x5u: h.x5u, ppt: h.ppt, alg: h.alg };
}

/**
 * The received Identity headers followed by every PASSporT nested in a div-o's `opt` (RFC 8946 §5), depth
 * first, so a call whose earlier headers were dropped on the way (the reason div-o exists) is still judged
 * whole: each nested PASSporT is verified like a received one (its own signature, certificate, freshness) and
 * takes its place in the chain. One the call also carries as a header is not added twice. Bounded: no more
 * sources than the verifier judges headers. Received headers are not parsed again; only nested ones are.
 */
export function withNestedPassports(received: ReadIdentities): CallPassportSource[] {
  const sources: CallPassportSource[] = received.values.map((value, i) => ({ value, parsed: received.parsed[i]! }));
  const seen = new Set(received.parsed.flatMap((p) => (p.ok ? [p.header.jws] : [])));
  for (let i = 0; i < sources.length && sources.length < MAX_IDENTITY_HEADERS; i++) {
    const opt = decodedOpt(sources[i]!.parsed);
    if (!opt || seen.has(opt.jws)) continue;
    seen.add(opt.jws);
    // Its own x5u is its info (RFC 8224 §4.1 asks the two to agree); without one it fails as a received header would.
    // Parameters are copied from its own header, and only tokens: a quoted or bracketed value could smuggle more in.
    const token = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9._-]+$/.test(v);
    const info = typeof opt.x5u === 'string' && !/[<>\s]/.test(opt.x5u) ? `;info=<${opt.x5u}>` : '';
    const alg = token(opt.alg) ? `;alg=${opt.alg as string}` : '';
    const ppt = token(opt.ppt) ? `;ppt=${opt.ppt as string}` : '';
    const value = `${opt.jws}${info}${alg}${ppt}`;
    sources.push({ value, parsed: parseIdentityHeader(value), nestedIn: i });
  }
  return sources;
}
