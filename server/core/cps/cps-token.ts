import { judgeDest, judgeOrig, type Judged, type PassportHeader, type PassportProfile } from '../verify/passport-decode.js';

/**
 * The claims of an STI-CPS request token: a JWT in the Authorization header, signed with the requesting
 * provider's STI certificate (x5u in its header). Members as TransNexus documents for its ATIS-1000096 CPS
 * (https://cps.transnexus.com/): iat, exp, aud, iss, the requester's SPC (`spc`, or `sub` in its earlier
 * text), action, jti, orig/dest and, for a publish, the digest of the PASSporTs. See docs/out-of-band.md.
 */
export interface CpsTokenClaims {
  iat: number;
  /** NumericDate when the published PASSporTs are to be deleted (publish); absent on a retrieve. */
  exp: number | undefined;
  aud: readonly string[];
  iss: string;
  /** The requesting provider's SPC: `spc`, else `sub`. */
  requester: string;
  action: string;
  jti: string;
  origTn: string;
  destTns: readonly string[];
  /** `sha256-<base64 SHA-256 of the JCS form of the body's passports array>` (publish only). */
  passports: string | undefined;
}

function str(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

/** RFC 7515 §4.1: ES256 only (never `none` or HMAC), an x5u to fetch the certificate from, no critical extension. */
function judgeTokenHeader(header: Readonly<Record<string, unknown>>): Judged<PassportHeader> {
  if (header.alg !== 'ES256') return { ok: false, reason: 'alg_unsupported', detail: `alg ${JSON.stringify(header.alg)}`.slice(0, 60) };
  if (header.crit !== undefined) return { ok: false, reason: 'passport_malformed', detail: 'crit names extensions this CPS does not implement' };
  if (!str(header.x5u)) return { ok: false, reason: 'x5u_missing' };
  return { ok: true, value: { x5u: header.x5u } };
}

function judgeTokenClaims(c: Record<string, unknown>): Judged<CpsTokenClaims> {
  const requester = c.spc ?? c.sub;
  const missing = (['iat', 'aud', 'iss', 'action', 'jti', 'orig', 'dest'] as const).filter((k) => c[k] === undefined);
  if (requester === undefined) missing.push('spc' as never);
  if (missing.length > 0) return { ok: false, reason: 'claims_missing', detail: missing.join(', ') };
  if (typeof c.iat !== 'number' || !Number.isSafeInteger(c.iat) || c.iat < 0) return { ok: false, reason: 'claims_invalid', detail: 'iat is not a whole number of seconds' };
  if (c.exp !== undefined && (typeof c.exp !== 'number' || !Number.isSafeInteger(c.exp))) return { ok: false, reason: 'claims_invalid', detail: 'exp is not a whole number of seconds' };
  // RFC 7519 §4.1.3: aud is one string or an array of them.
  const aud = typeof c.aud === 'string' ? [c.aud] : c.aud;
  if (!Array.isArray(aud) || !aud.every(str)) return { ok: false, reason: 'claims_invalid', detail: 'aud is not a string or an array of strings' };
  if (!str(c.iss) || !str(requester) || !str(c.action) || !str(c.jti)) return { ok: false, reason: 'claims_invalid', detail: 'iss, spc (or sub), action and jti must be non-empty strings' };
  if (c.passports !== undefined && !str(c.passports)) return { ok: false, reason: 'claims_invalid', detail: 'passports is not a string' };
  const o = judgeOrig(c.orig);
  if (!o.ok) return o;
  if (o.value.origTn === undefined) return { ok: false, reason: 'claims_invalid', detail: 'orig has no tn' };
  const d = judgeDest(c.dest);
  if (!d.ok) return d;
  return {
    ok: true,
    value: { iat: c.iat, exp: c.exp as number | undefined, aud, iss: c.iss, requester, action: c.action, jti: c.jti, origTn: o.value.origTn, destTns: d.value.destTns, passports: c.passports as string | undefined },
  };
}

/**
 * The verifier's single-token pipeline (freshness of iat, certificate path to the configured STI-CA anchors,
 * validity, TNAuthList, revocation, signature) judges a CPS request token with this profile: only the header
 * and claim rules differ from a PASSporT's.
 */
export const CPS_TOKEN_PROFILE: PassportProfile<CpsTokenClaims> = {
  ppt: 'cps-request',
  judge: judgeTokenClaims,
  header: judgeTokenHeader,
};
