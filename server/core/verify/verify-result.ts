import type { Attestation, ShakenClaims } from '../types.js';

/** 3GPP TS 24.229 verstat values; STANDARDS.md says which outcome gets which. */
export type Verstat = 'TN-Validation-Passed' | 'TN-Validation-Failed' | 'No-TN-Validation';

/** SIP status of a failed verification (RFC 8224 §6.2.2, RFC 8224 §13.2): 403 Stale Date, 436-438. */
export type VerifySipCode = 403 | 436 | 437 | 438;

interface ReasonSpec {
  sip: VerifySipCode;
  /**
   * `chain`: the credential or the signature failed (TN-Validation-Failed); `other`: the token could not be
   * judged or does not match the call (No-TN-Validation). STANDARDS.md "Verification".
   */
  kind: 'chain' | 'other';
  /** What the check found, for people; the detail of one call is appended to it. */
  text: string;
}

/**
 * Every way a verification can fail, each with its SIP code (STANDARDS.md: 436 Bad Identity Info, 437
 * Unsupported Credential, 438 Invalid Identity Header, 403 Stale Date). A new reason breaks the build of
 * every `satisfies Record<VerifyReason, …>` table until it is mapped.
 */
export const VERIFY_REASONS = {
  identity_malformed: { sip: 438, kind: 'other', text: 'the Identity header is not a JWS followed by parameters' },
  no_shaken_identity: { sip: 438, kind: 'other', text: 'no Identity header carries a shaken PASSporT' },
  compact_form: { sip: 438, kind: 'other', text: 'the PASSporT is in compact form (empty claims); SHAKEN requires the full form' },
  passport_malformed: { sip: 438, kind: 'other', text: 'the PASSporT does not decode (base64url JSON header and claims, 64-byte signature)' },
  alg_unsupported: { sip: 437, kind: 'other', text: 'the signing algorithm is not ES256' },
  typ_unsupported: { sip: 437, kind: 'other', text: 'the PASSporT typ is not "passport"' },
  ppt_unsupported: { sip: 437, kind: 'other', text: 'the PASSporT ppt is not "shaken"' },
  claims_missing: { sip: 438, kind: 'other', text: 'a mandatory claim (attest, dest, iat, orig, origid) is missing' },
  claims_invalid: { sip: 438, kind: 'other', text: 'a claim has the wrong type or form' },
  attest_invalid: { sip: 438, kind: 'other', text: 'attest is not A, B or C' },
  x5u_missing: { sip: 436, kind: 'other', text: 'the PASSporT header has no x5u' },
  info_missing: { sip: 436, kind: 'other', text: 'the Identity header has no info parameter' },
  info_invalid: { sip: 436, kind: 'other', text: 'the info parameter is not an <absolute URI>' },
  x5u_mismatch: { sip: 436, kind: 'other', text: 'the info parameter differs from the PASSporT x5u' },
  x5u_refused: { sip: 436, kind: 'other', text: 'the certificate URL is not allowed (https only; no userinfo, query, fragment, private address or redirect elsewhere)' },
  x5u_unreachable: { sip: 436, kind: 'other', text: 'the certificate could not be fetched' },
  x5u_content_invalid: { sip: 436, kind: 'other', text: 'the certificate URL does not serve a certificate chain' },
  iat_stale: { sip: 403, kind: 'other', text: 'iat is too far from the verifier\'s clock' },
  date_stale: { sip: 403, kind: 'other', text: 'the SIP Date is too far from the verifier\'s clock' },
  cert_key_unsupported: { sip: 437, kind: 'chain', text: 'the certificate key is not ECDSA P-256' },
  cert_untrusted: { sip: 437, kind: 'chain', text: 'the certificate does not chain to a configured STI-CA trust anchor' },
  cert_expired: { sip: 437, kind: 'chain', text: 'a certificate of the chain has expired' },
  cert_not_yet_valid: { sip: 437, kind: 'chain', text: 'a certificate of the chain is not valid yet' },
  cert_no_tnauthlist: { sip: 437, kind: 'chain', text: 'the certificate has no TNAuthList (RFC 8226)' },
  cert_revoked: { sip: 437, kind: 'chain', text: 'the certificate is revoked' },
  crl_unavailable: { sip: 437, kind: 'other', text: 'the revocation status could not be established and the CRL policy is hard-fail' },
  signature_invalid: { sip: 438, kind: 'chain', text: 'the signature does not verify with the certificate key' },
  orig_mismatch: { sip: 438, kind: 'other', text: 'orig does not match the calling number (P-Asserted-Identity, else From)' },
  dest_mismatch: { sip: 438, kind: 'other', text: 'dest does not contain the called number (To)' },
} as const satisfies Record<string, ReasonSpec>;

export type VerifyReason = keyof typeof VERIFY_REASONS;
export const VERIFY_REASON_LIST = Object.keys(VERIFY_REASONS) as VerifyReason[];

/** RFC 3261 §21 / RFC 8224 §13.2 reason phrases: what a Reason header or an ATIS reasontext carries. */
export const SIP_REASON_PHRASE: Record<VerifySipCode, string> = {
  403: 'Stale Date',
  436: 'Bad Identity Info',
  437: 'Unsupported Credential',
  438: 'Invalid Identity Header',
};

/**
 * Per-check outcome: true passed, false failed, null not run (an earlier check failed, or nothing to compare
 * with). Order is the order they run in.
 */
export interface VerifyChecks {
  identityHeader: boolean | null;
  passportHeader: boolean | null;
  claims: boolean | null;
  info: boolean | null;
  freshness: boolean | null;
  certificate: boolean | null;
  chain: boolean | null;
  tnAuthList: boolean | null;
  /** null also when revocation could not be established and the policy let the call pass (see `cert.revocation`). */
  notRevoked: boolean | null;
  signature: boolean | null;
  orig: boolean | null;
  dest: boolean | null;
}

export function emptyChecks(): VerifyChecks {
  return {
    identityHeader: null,
    passportHeader: null,
    claims: null,
    info: null,
    freshness: null,
    certificate: null,
    chain: null,
    tnAuthList: null,
    notRevoked: null,
    signature: null,
    orig: null,
    dest: null,
  };
}

/** `good`: a CRL was read and the certificate is not on it; `unavailable`: no CRL could be read (soft-fail); `not-checked`: policy off or no CRL distribution point. */
export type RevocationStatus = 'good' | 'unavailable' | 'not-checked';

export interface VerifiedCert {
  spc: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notAfter: Date;
  /** True when the chain came from the cache rather than a fetch made for this call. */
  fromCache: boolean;
  revocation: RevocationStatus;
}

export interface VerifyPassed {
  ok: true;
  verstat: 'TN-Validation-Passed';
  attest: Attestation;
  origid: string;
  claims: ShakenClaims;
  x5u: string;
  cert: VerifiedCert;
  checks: VerifyChecks;
  /** Things that did not fail the call but an operator should see (`crl_unavailable` under soft-fail). */
  warnings: string[];
}

export interface VerifyFailed {
  ok: false;
  verstat: 'TN-Validation-Failed' | 'No-TN-Validation';
  sip: VerifySipCode;
  reason: VerifyReason;
  /** The reason's text plus what this call showed; never secrets (there are none in a PASSporT). */
  reasonText: string;
  /** ATIS-1000082 verificationResponse `reasoncode`: the SIP code of the failure. */
  atisReasonCode: VerifySipCode;
  checks: VerifyChecks;
  /** The claims as received, when they decoded: useful in logs even when the verification failed. */
  claims?: unknown;
  x5u?: string;
}

/** One PASSporT judged on its own (any ppt): its judged claims and certificate, or the failure. */
export type TokenVerdict<T> =
  | { ok: true; value: T; x5u: string; cert: VerifiedCert; checks: VerifyChecks; warnings: string[] }
  | VerifyFailed;

/** STYLE.md §3: a failed verification is a value, not an exception. */
export type VerifyResult = VerifyPassed | VerifyFailed;

export function failed(reason: VerifyReason, checks: VerifyChecks, detail?: string, extra: { claims?: unknown; x5u?: string } = {}): VerifyFailed {
  const spec: ReasonSpec = VERIFY_REASONS[reason];
  const result: VerifyFailed = {
    ok: false,
    verstat: spec.kind === 'chain' ? 'TN-Validation-Failed' : 'No-TN-Validation',
    sip: spec.sip,
    reason,
    reasonText: detail ? `${spec.text}: ${detail}` : spec.text,
    atisReasonCode: spec.sip,
    checks,
  };
  if (extra.claims !== undefined) result.claims = extra.claims;
  if (extra.x5u !== undefined) result.x5u = extra.x5u;
  return result;
}
