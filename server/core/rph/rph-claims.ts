import type { Judged, PassportProfile } from '../verify/passport-decode.js';
import { judgeDest, judgeOrig } from '../verify/passport-decode.js';
import type { RphClaims } from './rph-passport.js';
import { isRValue } from './rph-request.js';

/** A received rph PASSporT's claims once judged: canonical numbers, and the r-values lower-case. */
export interface JudgedRph {
  claims: RphClaims;
  iat: number;
  origTn: string | undefined;
  destTns: string[];
  /** The `rph.auth` r-values, lower-case (RFC 4412 compares them case-insensitively). */
  auth: string[];
  sph?: string;
}

/**
 * RFC 8443 §3: an rph PASSporT carries `orig`, `dest`, `iat` and `rph`, whose `auth` is an array of Resource-Priority
 * r-values (RFC 4412 §3.1 syntax); RFC 9027 §4 adds `sph`, whose one defined value is `psap-callback`. No `attest`
 * or `origid`: an rph vouches for the caller's priority, not for the number. Other claims are allowed (RFC 8225 §8.3).
 */
export function judgeRphClaims(c: Record<string, unknown>): Judged<JudgedRph> {
  const missing = (['dest', 'iat', 'orig', 'rph'] as const).filter((k) => c[k] === undefined);
  if (missing.length > 0) return { ok: false, reason: 'claims_missing', detail: missing.join(', ') };
  if (typeof c.iat !== 'number' || !Number.isSafeInteger(c.iat) || c.iat < 0) return { ok: false, reason: 'claims_invalid', detail: 'iat is not a whole number of seconds' };
  const rph = c.rph as Record<string, unknown> | null;
  if (typeof rph !== 'object' || rph === null || Array.isArray(rph)) return { ok: false, reason: 'claims_invalid', detail: 'rph is not an object' };
  const raw = rph.auth;
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((v) => typeof v === 'string' && isRValue(v.toLowerCase()))) {
    return { ok: false, reason: 'claims_invalid', detail: 'rph.auth is not a non-empty array of Resource-Priority r-values (RFC 4412 §3.1)' };
  }
  if (c.sph !== undefined && c.sph !== 'psap-callback') return { ok: false, reason: 'claims_invalid', detail: 'sph is not "psap-callback" (RFC 9027 §4)' };
  const o = judgeOrig(c.orig);
  if (!o.ok) return o;
  const d = judgeDest(c.dest);
  if (!d.ok) return d;
  const auth = [...new Set((raw as string[]).map((v) => v.toLowerCase()))];
  const claims: RphClaims = { dest: d.value.dest, iat: c.iat, orig: o.value.orig, rph: { auth: raw as string[] } };
  const judged: JudgedRph = { claims, iat: c.iat, origTn: o.value.origTn, destTns: d.value.destTns, auth };
  if (c.sph !== undefined) {
    claims.sph = c.sph;
    judged.sph = c.sph;
  }
  return { ok: true, value: judged };
}

/** RFC 8443 §3: the header says `"ppt":"rph"`; otherwise judged as a shaken header is (ES256, typ, x5u). */
export const RPH_PROFILE: PassportProfile<JudgedRph> = { ppt: 'rph', judge: judgeRphClaims };
