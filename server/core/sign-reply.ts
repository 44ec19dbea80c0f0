import type { SignResult } from './types.js';

/** What every transport tells a caller about a signature: the result less its internal references. */
export type SignReply = Pick<SignResult, 'identity' | 'attest' | 'requestedAttest' | 'downgraded' | 'attestReason' | 'origid' | 'iat' | 'x5u'>;

export function signReply(r: SignResult): SignReply {
  return {
    identity: r.identity,
    attest: r.attest,
    requestedAttest: r.requestedAttest,
    downgraded: r.downgraded,
    attestReason: r.attestReason,
    origid: r.origid,
    iat: r.iat,
    x5u: r.x5u,
  };
}
