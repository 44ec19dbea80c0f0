import { destJson, origJson } from '../passport.js';
import type { Dest, Orig } from '../types.js';

/**
 * The `div` claim (RFC 8946 §3): the number (or URI) the call was sent to before this retargeting. One value,
 * not an array: a div PASSporT records one hop.
 */
export type DivTarget = { tn: string } | { uri: string };

/**
 * `div` (RFC 8946 §3), or `div-o` (RFC 8946 §5): the same claims plus `opt`, the PASSporT this hop diverts nested
 * whole, for paths that may drop the Identity header carrying it.
 */
export type DivPpt = 'div' | 'div-o';

/**
 * Claims of a div PASSporT. RFC 8946 §3: `orig` (copied from the PASSporT of the call as first signed), `dest`
 * (the new target), `iat`, `div` (the target before retargeting). ATIS-1000085 (SHAKEN profile of div) adds
 * `origid` and carries no `attest`: a retargeting provider vouches for the retargeting, not for the caller.
 */
export interface DivClaims {
  dest: Dest;
  div: DivTarget;
  iat: number;
  orig: Orig;
  origid?: string;
  /** div-o only: the diverted PASSporT in full form (its JWS), nested (RFC 8946 §5). */
  opt?: string;
}

/** RFC 8225 §9 deterministic JSON: members sorted (dest, div, iat, opt, orig, origid), no white space. */
export function divClaimsJson(c: DivClaims): string {
  const opt = c.opt === undefined ? '' : `,"opt":${JSON.stringify(c.opt)}`;
  const origid = c.origid === undefined ? '' : `,"origid":${JSON.stringify(c.origid)}`;
  return `{"dest":${destJson(c.dest)},"div":${origJson(c.div)},"iat":${c.iat}${opt},"orig":${origJson(c.orig)}${origid}}`;
}

/** RFC 8946 §3/§5: the header names `"ppt":"div"` (or `div-o`); otherwise as RFC 8588 §3 (ES256, typ passport, x5u). */
export function divHeaderJson(x5u: string, ppt: DivPpt = 'div'): string {
  return `{"alg":"ES256","ppt":"${ppt}","typ":"passport","x5u":${JSON.stringify(x5u)}}`;
}

/** RFC 8224 §4 / RFC 8946 §3: the Identity header of a div PASSporT says `ppt=div` (or `div-o`); info first, equal to x5u. */
export function divIdentityParams(x5u: string, ppt: DivPpt = 'div'): string {
  return `;info=<${x5u}>;alg=ES256;ppt=${ppt}`;
}

/** A signed div PASSporT. */
export interface DivSignResult {
  /** The full Identity header value: `<jws>;info=<x5u>;alg=ES256;ppt=div`. */
  identity: string;
  passport: string;
  claims: DivClaims;
  x5u: string;
  credentialId: string;
  accountId: string;
}
