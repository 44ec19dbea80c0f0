import type { SignResult } from './types.js';

/** What every transport tells a caller about a signature: the result less its internal references. */
export type SignReply = Pick<SignResult, 'identity' | 'attest' | 'requestedAttest' | 'downgraded' | 'attestReason' | 'origid' | 'iat' | 'x5u'> & {
  /** The brand signed (RFC 9795): its profile, where the claims went, and the rcd PASSporT's Identity header if separate. */
  rcd?: { profile: string; placement: 'shaken' | 'rcd'; identity?: string };
};

export function signReply(r: SignResult): SignReply {
  const reply: SignReply = {
    identity: r.identity,
    attest: r.attest,
    requestedAttest: r.requestedAttest,
    downgraded: r.downgraded,
    attestReason: r.attestReason,
    origid: r.origid,
    iat: r.iat,
    x5u: r.x5u,
  };
  if (r.rcd) reply.rcd = { profile: r.rcd.profile, placement: r.rcd.placement, ...(r.rcd.identity === undefined ? {} : { identity: r.rcd.identity }) };
  return reply;
}
