import type { Dest, Orig, ShakenClaims } from './types.js';

/** An ES256 signature is raw R||S, 32 bytes each (RFC 7518 §3.4): what a key store returns and a verifier checks. */
export const ES256_SIGNATURE_BYTES = 64;

/**
 * RFC 8225 §9 deterministic JSON: members in lexicographic order at every level, no white space. The
 * claim set's order is fixed (attest, dest, iat, orig, origid), so it is written directly rather than by
 * sorting a generic object per call. `JSON.stringify` of a string gives RFC 8259 escaping.
 */
export function destJson(dest: Dest): string {
  const parts: string[] = [];
  if (dest.tn) parts.push(`"tn":${JSON.stringify(dest.tn)}`);
  if (dest.uri) parts.push(`"uri":${JSON.stringify(dest.uri)}`);
  return `{${parts.join(',')}}`;
}

export function origJson(orig: Orig): string {
  return 'tn' in orig ? `{"tn":${JSON.stringify(orig.tn)}}` : `{"uri":${JSON.stringify(orig.uri)}}`;
}

export function claimsJson(c: ShakenClaims): string {
  return `{"attest":"${c.attest}","dest":${destJson(c.dest)},"iat":${c.iat},"orig":${origJson(c.orig)},"origid":${JSON.stringify(c.origid)}}`;
}

/** RFC 8588 §3 header: alg ES256, ppt shaken, typ passport, x5u; members in lexicographic order. */
export function protectedHeaderJson(x5u: string): string {
  return `{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":${JSON.stringify(x5u)}}`;
}

export function base64url(data: string | Uint8Array): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString('base64url');
}

/** The JWS signing input `<header>.<payload>` (RFC 7515 §5.1), ASCII. */
export function signingInput(headerB64: string, claims: ShakenClaims): string {
  return `${headerB64}.${base64url(claimsJson(claims))}`;
}

/** `info` first, in angle brackets and equal to x5u, then alg and ppt as tokens (RFC 8224 §4.1, RFC 8588 §6). */
export function identityParams(x5u: string): string {
  return `;info=<${x5u}>;alg=ES256;ppt=shaken`;
}
