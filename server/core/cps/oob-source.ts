import { decodePassport } from '../verify/passport-decode.js';

/**
 * Where a verifier finds the PASSporTs of a call that arrived without Identity (RFC 8816: the terminating side
 * retrieves from the STI-CPS by calling and called number). Never throws: an unreachable CPS is a result.
 */
export interface OutOfBandSource {
  retrieve(origTn: string, destTn: string): Promise<{ ok: true; passports: string[] } | { ok: false; detail: string }>;
}

/**
 * The Identity header a PASSporT would have had in band (RFC 8224 §4.1): `info` is its x5u and `ppt` its ppt, so the
 * verifier judges it exactly as if it had come in the INVITE. A PASSporT whose header does not decode goes as is and
 * fails there.
 */
export function identityOfPassport(jws: string): string {
  const d = decodePassport(jws);
  if (!d.ok) return jws;
  const { x5u, ppt } = d.value.header;
  if (typeof x5u !== 'string' || /[<>\s]/.test(x5u)) return jws;
  return `${jws};info=<${x5u}>;alg=ES256${typeof ppt === 'string' && /^[\w-]+$/.test(ppt) ? `;ppt=${ppt}` : ''}`;
}
