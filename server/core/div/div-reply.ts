import type { Dest, Orig } from '../types.js';
import type { DivSignResult, DivTarget } from './div-passport.js';

/**
 * What every transport tells a caller about a signed div PASSporT: the Identity header and the claims it
 * asserts (RFC 8946 §3), less the internal references (credential, account). `orig` and `origid` are echoed
 * because with `identity` input the core drew them from the received shaken PASSporT.
 */
export interface DivReply {
  identity: string;
  div: DivTarget;
  dest: Dest;
  orig: Orig;
  origid: string;
  iat: number;
  x5u: string;
}

export function divReply(r: DivSignResult): DivReply {
  const { claims } = r;
  // The core always sets origid (given, drawn from the shaken PASSporT, or minted); DivClaims keeps it optional
  // only because a received div from another signer may lack it.
  return { identity: r.identity, div: claims.div, dest: claims.dest, orig: claims.orig, origid: claims.origid ?? '', iat: claims.iat, x5u: r.x5u };
}
