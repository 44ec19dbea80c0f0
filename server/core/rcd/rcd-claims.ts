import { destJson, origJson } from '../passport.js';
import type { Dest, ShakenClaims, Orig } from '../types.js';
import { canonicalJson } from './canonical-json.js';
import type { RcdAssertion } from './rcd-types.js';



/** Claims of a separate `rcd` PASSporT (RFC 9795 §4, `ppt: rcd`): orig, dest, iat, plus the assertion. */
export interface RcdPassportClaims extends RcdAssertion {
  dest: Dest;
  iat: number;
  orig: Orig;
}

/** A shaken claim set carrying RCD (ATIS-1000094's profile; RFC 9795 §9 lets any PASSporT carry the claims). */
export type ShakenRcdClaims = ShakenClaims & RcdAssertion;

function assertionMembers(a: RcdAssertion): Record<string, unknown> {
  const m: Record<string, unknown> = { rcd: a.rcd };
  if (a.rcdi !== undefined) m.rcdi = a.rcdi;
  if (a.crn !== undefined) m.crn = a.crn;
  return m;
}

/** RFC 8225 §9 JSON of shaken claims plus RCD: attest, crn, dest, iat, orig, origid, rcd, rcdi in that order. */
export function shakenRcdClaimsJson(c: ShakenClaims, a: RcdAssertion): string {
  return canonicalJson({ ...assertionMembers(a), attest: c.attest, dest: JSON.parse(destJson(c.dest)), iat: c.iat, orig: JSON.parse(origJson(c.orig)), origid: c.origid });
}

/** RFC 8225 §9 JSON of an rcd PASSporT's claims: crn, dest, iat, orig, rcd, rcdi. */
export function rcdClaimsJson(c: RcdPassportClaims): string {
  return canonicalJson({ ...assertionMembers(c), dest: JSON.parse(destJson(c.dest)), iat: c.iat, orig: JSON.parse(origJson(c.orig)) });
}

/** RFC 9795 §4: the header of an rcd PASSporT names `"ppt":"rcd"`; otherwise as RFC 8588 §3. */
export function rcdHeaderJson(x5u: string): string {
  return `{"alg":"ES256","ppt":"rcd","typ":"passport","x5u":${JSON.stringify(x5u)}}`;
}

/** RFC 8224 §4.1: `info` first and equal to x5u, then alg and ppt. */
export function rcdIdentityParams(x5u: string): string {
  return `;info=<${x5u}>;alg=ES256;ppt=rcd`;
}
