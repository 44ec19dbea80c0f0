import { ShakenError } from '../errors.js';
import { identityValues, kindOf, MAX_IDENTITY_HEADERS, parseIdentityHeader } from '../verify/identity-header.js';
import { claimsOf, SHAKEN_PROFILE, type JudgedClaims } from '../verify/passport-decode.js';
import type { Orig } from '../types.js';
import { judgeDivClaims, type JudgedDiv } from './div-claims.js';
import { linkDivChain } from './div-chain.js';
import type { DivTarget } from './div-passport.js';
import { MAX_DIV_HOPS, type PassportKind } from './passport-set.js';

/**
 * What a retargeting provider takes from the PASSporTs a call arrived with (RFC 8946 §3: "a div PASSporT
 * claims set is populated with elements drawn from the PASSporT(s) received for a call"): the shaken `orig`
 * and `origid`, and the numbers the call was last sent to (the last hop's `dest`), one of which becomes `div`.
 */
export interface ReceivedCall {
  orig: Orig;
  origid: string | undefined;
  /** The last hop's `dest`: the shaken PASSporT's, or the last div's when the call was already forwarded. */
  lastDest: { tns: string[]; uris: string[] };
  /** The last hop's PASSporT (its JWS): what this hop diverts, nested whole in a div-o (RFC 8946 §5). */
  lastPassport: string;
  /** The kinds of the Identity headers received, in order (for the request log). */
  kinds: PassportKind[];
}

const FIELD = 'identity';

function refuse(reason: string): never {
  throw new ShakenError('ERR_REQ_FIELD_INVALID', reason, { field: FIELD });
}

/**
 * Reads the received Identity headers without verifying them: the signer only copies claims, and the
 * terminating verifier judges every PASSporT of the chain, this hop's included (RFC 8946 §4). Refuses a
 * set with no single shaken PASSporT, with a shaken or div whose claims cannot be read, or whose divs do not
 * form one chain from the shaken `dest`, since no honest next hop can be added to those.
 */
export function readReceivedCall(identity: unknown): ReceivedCall {
  const valid = typeof identity === 'string' ? identity !== '' : Array.isArray(identity) && identity.length > 0 && identity.every((x) => typeof x === 'string' && x !== '');
  if (!valid) refuse('identity must be the Identity header value, or an array of them, as the call arrived');
  const values = identityValues(identity as string | string[]);
  if (values.length === 0 || values.length > MAX_IDENTITY_HEADERS) refuse(`give 1 to ${MAX_IDENTITY_HEADERS} Identity headers`);

  const kinds: PassportKind[] = [];
  const shakens: { jws: string; claims: JudgedClaims }[] = [];
  const divs: { index: number; jws: string; claims: JudgedDiv }[] = [];
  values.forEach((value, index) => {
    const parsed = parseIdentityHeader(value);
    if (!parsed.ok) refuse(`Identity header ${index + 1} is not an Identity header: ${parsed.detail}`);
    const ident = parsed.header;
    const { kind } = kindOf(ident);
    kinds.push(kind);
    if (kind !== 'shaken' && kind !== 'div' && kind !== 'div-o') return;
    const claims = claimsOf(ident.jws);
    if (kind === 'shaken') {
      const j = claims && SHAKEN_PROFILE.judge(claims);
      if (!j?.ok) refuse(`the shaken PASSporT (header ${index + 1}) has no readable orig, dest and origid`);
      shakens.push({ jws: ident.jws, claims: j.value });
    } else {
      const j = claims && judgeDivClaims(claims);
      // A div-o is a div hop whose opt nests the PASSporT it diverts (RFC 8946 §5): it links the same way.
      if (!j?.ok) refuse(`the ${kind} PASSporT in header ${index + 1} has no readable claims`);
      divs.push({ index, jws: ident.jws, claims: j.value });
    }
  });
  // RFC 8946 §3: a div is drawn from the PASSporT(s) received; without exactly one shaken there is no origin to keep.
  if (shakens.length !== 1) refuse(shakens.length === 0 ? 'no shaken PASSporT among the Identity headers: a div is only added to a signed call' : 'several shaken PASSporTs: a call has one origin');
  const { jws: shakenJws, claims: shaken } = shakens[0]!;
  const shakenIndex = kinds.indexOf('shaken');

  let last: { tns: string[]; uris: string[] } = { tns: shaken.destTns, uris: shaken.claims.dest.uri ?? [] };
  let lastPassport = shakenJws;
  if (divs.length > 0) {
    // The chain's end is what we are about to extend, so it is linked without a number called now ('' matches none).
    const linked = linkDivChain({ index: shakenIndex, orig: shaken.claims.orig, origTn: shaken.origTn, destTns: shaken.destTns }, divs, '', MAX_DIV_HOPS);
    const broken = linked.problems.find((p) => p.reason !== 'not_connected');
    if (broken) refuse(`the received PASSporTs do not form one chain (${broken.reason}: ${broken.detail})`);
    const end = divs.find((d) => d.index === linked.chain[linked.chain.length - 1])!;
    last = { tns: end.claims.destTns, uris: end.claims.claims.dest.uri ?? [] };
    lastPassport = end.jws;
  }
  return { orig: shaken.claims.orig, origid: shaken.claims.origid, lastDest: last, lastPassport, kinds };
}

/**
 * The `div` of this hop: the given one, which must be a number the call was last sent to, or, when none is
 * given, the only one. RFC 8946 §3: with several identifiers in `dest` the retargeting entity selects one.
 */
export function divOfReceived(received: ReceivedCall, given: DivTarget | undefined): DivTarget {
  const { tns, uris } = received.lastDest;
  if (given !== undefined) {
    const sentThere = 'tn' in given ? tns.includes(given.tn) : uris.includes(given.uri);
    if (!sentThere) throw new ShakenError('ERR_REQ_FIELD_INVALID', `div must be a number the call was last sent to (${[...tns, ...uris].join(', ')})`, { field: 'div' });
    return given;
  }
  if (tns.length + uris.length === 1) return tns.length === 1 ? { tn: tns[0]! } : { uri: uris[0]! };
  throw new ShakenError('ERR_REQ_FIELD_MISSING', `the call was last sent to ${tns.length + uris.length} identifiers (${[...tns, ...uris].join(', ')}): name the retargeted one in div`, { field: 'div' });
}
