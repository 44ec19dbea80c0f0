import { base64url } from '../passport.js';
import type { ShakenClaims } from '../types.js';
import { rcdClaimsJson, rcdHeaderJson, shakenRcdClaimsJson } from './rcd-claims.js';
import type { RcdDecision } from './rcd-policy.js';


/**
 * The payload of the shaken PASSporT for a call: RFC 8225 §9 JSON of its claims, with the RCD claims among them
 * when the profile puts them there (ATIS-1000094). Returned base64url, ready to sign after the header.
 */
export function shakenPayloadB64(claims: ShakenClaims, rcd: RcdDecision | undefined): string | undefined {
  return rcd?.placement === 'shaken' ? base64url(shakenRcdClaimsJson(claims, rcd.assertion)) : undefined;
}

/** The signing input of a separate rcd PASSporT (RFC 9795 (ppt "rcd")) with the shaken one's orig, dest and iat. */
export function rcdSigningInput(claims: ShakenClaims, rcd: RcdDecision, x5u: string): string {
  // Object.assign, not a non-empty spread followed by properties it lacks (V8's slow case: docs/architecture.md,
  // "Nothing slow on the hot path"). The JSON's member order is rcdClaimsJson's own.
  const c = Object.assign({}, rcd.assertion, { dest: claims.dest, iat: claims.iat, orig: claims.orig });
  return `${base64url(rcdHeaderJson(x5u))}.${base64url(rcdClaimsJson(c))}`;
}
