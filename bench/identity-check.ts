import { verify, type KeyObject } from 'node:crypto';

export interface CheckedPassport {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/**
 * Throws unless `identity` is an RFC 8224 Identity value (`<jws>;info=<…>;…`) whose compact JWS is an ES256
 * PASSporT signed by `publicKey` (RFC 8225 §5, RFC 8588 §3). A bench only trusts a server's numbers after
 * one of its answers passes this.
 */
export function checkIdentity(identity: string, publicKey: KeyObject): CheckedPassport {
  const jws = identity.split(';')[0]!.trim();
  const parts = jws.split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWS: ${identity.slice(0, 120)}`);
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (header.alg !== 'ES256' || header.ppt !== 'shaken') throw new Error(`unexpected PASSporT header ${JSON.stringify(header)}`);
  for (const claim of ['attest', 'dest', 'iat', 'orig', 'origid']) {
    if (!(claim in claims)) throw new Error(`PASSporT lacks the ${claim} claim`);
  }
  const signature = Buffer.from(s, 'base64url');
  if (signature.length !== 64) throw new Error(`ES256 signature is ${signature.length} bytes, not 64`);
  if (!verify('sha256', Buffer.from(`${h}.${p}`, 'ascii'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) {
    throw new Error('the PASSporT signature does not verify');
  }
  return { header, claims };
}
