import type { Dest, Orig } from '../types.js';
import type { RphSignResult } from './rph-passport.js';

/**
 * What every transport tells a caller about a signed rph PASSporT: the Identity header (`;ppt=rph`, RFC 8443 §4)
 * and the claims it asserts, less the internal references (credential, account). The `auth` values are echoed in
 * their canonical (lower-case) form, which is what the Resource-Priority header of the call should carry.
 */
export interface RphReply {
  identity: string;
  rph: { auth: string[] };
  sph?: string;
  dest: Dest;
  orig: Orig;
  iat: number;
  x5u: string;
}

export function rphReply(r: RphSignResult): RphReply {
  const { claims } = r;
  const reply: RphReply = { identity: r.identity, rph: { auth: claims.rph.auth }, dest: claims.dest, orig: claims.orig, iat: claims.iat, x5u: r.x5u };
  if (claims.sph !== undefined) reply.sph = claims.sph;
  return reply;
}
