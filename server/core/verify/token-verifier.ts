import type { IdentityHeader } from './identity-header.js';
import type { PassportProfile } from './passport-decode.js';
import type { TokenVerdict, VerifyChecks } from './verify-result.js';
import type { RcdReport } from '../rcd/rcd-types.js';

/**
 * The single-PASSporT pipeline (header, claims by the profile, info/x5u, freshness, certificate chain,
 * revocation, signature) as the multi-PASSporT checks see it. Its own file so that the call-level code
 * (div/verify-call-passports.ts) and the verifier that calls it do not import each other.
 */
export interface TokenVerifier {
  verifyToken<T extends { iat: number }>(ident: IdentityHeader, profile: PassportProfile<T>, dateSec: number | undefined, checks: VerifyChecks): Promise<TokenVerdict<T>>;
  /** The Rich Call Data of a verified PASSporT's claims judged (RFC 9795 §4); undefined when it carries none. Absent: not judged. */
  checkRcd?(claims: Record<string, unknown>, placement: 'shaken' | 'rcd', x5u: string): Promise<RcdReport | undefined>;
}
