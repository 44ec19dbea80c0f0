import { assertCredentialUsable, parseCertificateChain, type CertInfo } from './cert-chain.js';
import { signerConstraintsOf, type SignerConstraints } from './rcd/claim-constraints.js';
import { resolveX5u } from './certificate-publisher.js';
import { ShakenError } from './errors.js';
import type { CredentialRecord, KeySigner } from './ports.js';
import { base64url, identityParams, protectedHeaderJson } from './passport.js';

/** A credential made ready to sign: certificate parsed, key checked, fixed header parts precomputed. */
export interface SigningCredential {
  id: string;
  accountId: string;
  keyRef: string;
  /** Absolute: a hosted credential's path already resolved against the serving node's publicUrl. */
  x5u: string;
  /** base64url of the protected header, fixed per credential. */
  headerB64: string;
  /** `;info=<x5u>;alg=ES256;ppt=shaken`, fixed per credential. */
  identityParams: string;
  leaf: CertInfo;
  /** The chain as its x5u serves it (cert-chain.ts `ParsedChain.pem`). */
  chainPem: string;
  notBeforeMs: number;
  notAfterMs: number;
  /**
   * The leaf's JWT Claim Constraints (RFC 8226 §8, RFC 9118), read once when the credential is loaded; RCD outside
   * them is refused (sign-service.ts). Absent: none. Kept as data: an extension that does not decode refuses RCD
   * only, not every call.
   */
  rcdConstraints?: SignerConstraints;
}

// The x5u goes inside `<...>` in a SIP header: no white space, controls, angle brackets or quotes.
const SAFE_URL = /^https?:\/\/[\x21-\x7e]+$/;

export function assertValidX5u(x5u: string, field = 'x5u'): void {
  if (!SAFE_URL.test(x5u) || /[<>"]/.test(x5u)) {
    throw new ShakenError('ERR_CRED_INVALID', 'x5u must be an absolute http(s) URL without spaces, quotes or angle brackets', { field });
  }
  let url: URL;
  try {
    url = new URL(x5u);
  } catch {
    throw new ShakenError('ERR_CRED_INVALID', 'x5u is not a valid URL', { field });
  }
  // ATIS-1000074 verifiers refuse x5u with userinfo, query or fragment.
  if (url.username || url.password || url.search || url.hash) {
    throw new ShakenError('ERR_CRED_INVALID', 'x5u must not carry userinfo, a query or a fragment', { field });
  }
}

/**
 * Parses the chain, fetches the key's public half and refuses a credential that must not sign at `nowMs`
 * (expired, not yet valid, key/certificate mismatch, not P-256). Runs once per credential load, never per call.
 * `publicUrl` is the serving node's base URL, which a hosted credential's x5u path is resolved against.
 */
export async function prepareSigningCredential(
  record: CredentialRecord,
  keys: KeySigner,
  nowMs: number,
  publicUrl: string,
): Promise<SigningCredential> {
  const x5u = resolveX5u(record.x5u, publicUrl);
  assertValidX5u(x5u);
  const chain = parseCertificateChain(record.chainPem);
  const publicKey = await keys.publicKey(record.keyRef);
  assertCredentialUsable(chain, publicKey, nowMs);
  return {
    id: record.id,
    accountId: record.accountId,
    keyRef: record.keyRef,
    x5u,
    headerB64: base64url(protectedHeaderJson(x5u)),
    identityParams: identityParams(x5u),
    leaf: chain.leaf,
    chainPem: chain.pem,
    notBeforeMs: chain.leaf.notBefore.getTime(),
    notAfterMs: chain.leaf.notAfter.getTime(),
    rcdConstraints: signerConstraintsOf(chain.leafDer),
  };
}

/** Re-checked on every call because a cached credential can expire while the service runs. */
export function assertStillValid(c: SigningCredential, nowMs: number): void {
  if (nowMs > c.notAfterMs) {
    throw new ShakenError('ERR_CRED_EXPIRED', `the account's certificate expired at ${new Date(c.notAfterMs).toISOString()}`);
  }
  if (nowMs < c.notBeforeMs) {
    throw new ShakenError('ERR_CRED_NOT_YET_VALID', `the account's certificate is valid only from ${new Date(c.notBeforeMs).toISOString()}`);
  }
}
