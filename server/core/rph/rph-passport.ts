import { destJson, origJson } from '../passport.js';
import type { Dest, Orig } from '../types.js';

/**
 * Claims of an rph PASSporT (RFC 8443 §3): `orig`, `dest`, `iat` as in RFC 8225, plus `rph` whose `auth` lists
 * the Resource-Priority r-values (RFC 4412 `namespace.priority`, e.g. `ets.0`, `wps.1`) the signer vouches the
 * caller is authorised for. RFC 9027 §4 adds `sph` (the SIP Priority header value, `psap-callback`) for
 * emergency-services call-backs. There is no `attest` and no `origid`: an rph asserts priority, not the caller.
 */
export interface RphClaims {
  dest: Dest;
  iat: number;
  orig: Orig;
  rph: { auth: string[] };
  sph?: string;
}

/** RFC 8225 §9 deterministic JSON: members sorted (dest, iat, orig, rph, sph), no white space. */
export function rphClaimsJson(c: RphClaims): string {
  const sph = c.sph === undefined ? '' : `,"sph":${JSON.stringify(c.sph)}`;
  return `{"dest":${destJson(c.dest)},"iat":${c.iat},"orig":${origJson(c.orig)},"rph":{"auth":${JSON.stringify(c.rph.auth)}}${sph}}`;
}

/** RFC 8443 §3: the header names `"ppt":"rph"`; otherwise as RFC 8588 §3 (ES256, typ passport, x5u). */
export function rphHeaderJson(x5u: string): string {
  return `{"alg":"ES256","ppt":"rph","typ":"passport","x5u":${JSON.stringify(x5u)}}`;
}

/** RFC 8443 §4 / RFC 8224 §4: the Identity header of an rph PASSporT says `ppt=rph`; info first, equal to x5u. */
export function rphIdentityParams(x5u: string): string {
  return `;info=<${x5u}>;alg=ES256;ppt=rph`;
}

/** A signed rph PASSporT. */
export interface RphSignResult {
  /** The full Identity header value: `<jws>;info=<x5u>;alg=ES256;ppt=rph`. */
  identity: string;
  passport: string;
  claims: RphClaims;
  x5u: string;
  credentialId: string;
  accountId: string;
}
