import { canonicalTn } from '../tn.js';
import { judgeDest, judgeOrig, type Judged } from '../verify/passport-decode.js';
import type { PassportProfile } from '../verify/passport-decode.js';
import type { DivClaims, DivTarget } from './div-passport.js';

/** A div PASSporT's claims once judged, with canonical numbers for linking the chain. */
export interface JudgedDiv {
  claims: DivClaims;
  iat: number;
  origTn: string | undefined;
  destTns: string[];
  /** The canonical `div` tn, or undefined when `div` is a URI. */
  divTn: string | undefined;
}

function judgeDivTarget(v: unknown): Judged<{ div: DivTarget; divTn: string | undefined }> {
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { ok: false, reason: 'claims_invalid', detail: 'div is not an object' };
  if (typeof o.tn === 'string' && o.uri === undefined) {
    try {
      return { ok: true, value: { div: { tn: o.tn }, divTn: canonicalTn(o.tn, 'div.tn') } };
    } catch {
      return { ok: false, reason: 'claims_invalid', detail: 'div.tn is not a telephone number' };
    }
  }
  if (typeof o.uri === 'string' && o.tn === undefined) return { ok: true, value: { div: { uri: o.uri }, divTn: undefined } };
  return { ok: false, reason: 'claims_invalid', detail: 'div must hold exactly one tn or uri string' };
}

/**
 * RFC 8946 §3: a div PASSporT carries `orig`, `dest`, `iat` and `div`; `origid` (ATIS-1000085) is read when
 * present but not required, so a div from a non-SHAKEN signer is still judged. Extension claims are allowed
 * (RFC 8225 §8.3); `opt` (div-o, RFC 8946 §5) is not interpreted here.
 */
export function judgeDivClaims(c: Record<string, unknown>): Judged<JudgedDiv> {
  const missing = (['dest', 'div', 'iat', 'orig'] as const).filter((k) => c[k] === undefined);
  if (missing.length > 0) return { ok: false, reason: 'claims_missing', detail: missing.join(', ') };
  if (typeof c.iat !== 'number' || !Number.isSafeInteger(c.iat) || c.iat < 0) return { ok: false, reason: 'claims_invalid', detail: 'iat is not a whole number of seconds' };
  if (c.origid !== undefined && (typeof c.origid !== 'string' || c.origid === '')) return { ok: false, reason: 'claims_invalid', detail: 'origid is not a non-empty string' };
  const o = judgeOrig(c.orig);
  if (!o.ok) return o;
  const d = judgeDest(c.dest);
  if (!d.ok) return d;
  const t = judgeDivTarget(c.div);
  if (!t.ok) return t;
  const claims: DivClaims = { dest: d.value.dest, div: t.value.div, iat: c.iat, orig: o.value.orig };
  if (typeof c.origid === 'string') claims.origid = c.origid;
  return { ok: true, value: { claims, iat: c.iat, origTn: o.value.origTn, destTns: d.value.destTns, divTn: t.value.divTn } };
}

/** RFC 8946 §3: the header says `"ppt":"div"`; otherwise judged as a shaken header is. */
export const DIV_PROFILE: PassportProfile<JudgedDiv> = { ppt: 'div', judge: judgeDivClaims };
