import { destJson, origJson } from '../passport.js';
import type { Dest, ShakenClaims, Orig } from '../types.js';
import { canonicalJson } from './canonical-json.js';
import type { RcdAssertion } from './rcd-types.js';

/** Claims of a separate `rcd` PASSporT (RFC 9795 (ppt "rcd"), `ppt: rcd`): orig, dest, iat, plus the assertion. */
export interface RcdPassportClaims extends RcdAssertion {
  dest: Dest;
  iat: number;
  orig: Orig;
}

/** `"crn":…,` when there is a call reason: it sorts before `dest` in both claim sets. */
function crnMember(a: RcdAssertion): string {
  return a.crn === undefined ? '' : `"crn":${JSON.stringify(a.crn)},`;
}

/** `,"rcd":…` and `,"rcdi":…`: they sort after every other member in both claim sets. */
function rcdMembers(a: RcdAssertion): string {
  return `,"rcd":${canonicalJson(a.rcd)}${a.rcdi === undefined ? '' : `,"rcdi":${canonicalJson(a.rcdi)}`}`;
}

/**
 * RFC 8225 §9 JSON of shaken claims plus RCD: attest, crn, dest, iat, orig, origid, rcd, rcdi in that order.
 * Written directly, as passport.ts writes the plain claim set; only the open-ended `rcd` and `rcdi` are sorted.
 */
export function shakenRcdClaimsJson(c: ShakenClaims, a: RcdAssertion): string {
  return `{"attest":"${c.attest}",${crnMember(a)}"dest":${destJson(c.dest)},"iat":${c.iat},"orig":${origJson(c.orig)},"origid":${JSON.stringify(c.origid)}${rcdMembers(a)}}`;
}

/** RFC 8225 §9 JSON of an rcd PASSporT's claims: crn, dest, iat, orig, rcd, rcdi. */
export function rcdClaimsJson(c: RcdPassportClaims): string {
  return `{${crnMember(c)}"dest":${destJson(c.dest)},"iat":${c.iat},"orig":${origJson(c.orig)}${rcdMembers(c)}}`;
}

/** RFC 9795 (ppt "rcd"): the header of an rcd PASSporT names `"ppt":"rcd"`; otherwise as RFC 8588 §3. */
export function rcdHeaderJson(x5u: string): string {
  return `{"alg":"ES256","ppt":"rcd","typ":"passport","x5u":${JSON.stringify(x5u)}}`;
}

/** RFC 8224 §4.1: `info` first and equal to x5u, then alg and ppt. */
export function rcdIdentityParams(x5u: string): string {
  return `;info=<${x5u}>;alg=ES256;ppt=rcd`;
}
