import type { Attestation, ShakenClaims } from '../types.js';

/** 3GPP TS 24.229 verstat values; STANDARDS.md says which outcome gets which. */
import type { RcdReport } from '../rcd/rcd-types.js';

export type Verstat = 'TN-Validation-Passed' | 'TN-Validation-Failed' | 'No-TN-Validation';

/**
 * SIP status of a failed verification (RFC 8224 §6.2.2, RFC 8224 §13.2): 403 Stale Date, 436-438; 428 Use
 * Identity Header only for an SBC heartbeat that carries no Identity (`identity_absent`).
 */
export type VerifySipCode = 403 | 428 | 436 | 437 | 438;

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
  // An SBC heartbeat (core/heartbeat.ts) asks to verify a call that carries no Identity: nothing is judged, so
  // No-TN-Validation, with RFC 8224 §6.2.2's status for a missing Identity rather than one for a wrong one.
  identity_absent: { sip: 428, kind: 'other', text: 'the request carries no Identity header (nor, with an STI-CPS configured, has the CPS one for the call): nothing to verify' },
  identity_malformed: { sip: 438, kind: 'other', text: 'the Identity header is not a JWS followed by parameters' },
  no_shaken_identity: { sip: 438, kind: 'other', text: 'no Identity header carries a shaken PASSporT' },
  compact_form: { sip: 438, kind: 'other', text: 'the PASSporT is in compact form (empty claims); SHAKEN requires the full form' },
  passport_malformed: { sip: 438, kind: 'other', text: 'the PASSporT does not decode (base64url JSON header and claims, 64-byte signature)' },
  // ATIS-1000082's verification error table tells a header member that is missing (E9, 436 Bad Identity Info)
  // from one that is there with a wrong value (alg E11, typ E12: 437 Unsupported Credential) and from a ppt
  // the verifier does not support (E13, 438 Invalid Identity Header). STANDARDS.md "Verification".
  header_member_missing: { sip: 436, kind: 'other', text: 'the PASSporT header lacks alg, typ or ppt' },
  alg_unsupported: { sip: 437, kind: 'other', text: 'the signing algorithm is not ES256' },
  typ_unsupported: { sip: 437, kind: 'other', text: 'the PASSporT typ is not "passport"' },
  ppt_unsupported: { sip: 438, kind: 'other', text: 'the PASSporT ppt is not the one judged here ("shaken", or "div" for a div PASSporT)' },
  claims_missing: { sip: 438, kind: 'other', text: 'a mandatory claim (attest, dest, iat, orig, origid) is missing' },
  claims_invalid: { sip: 438, kind: 'other', text: 'a claim has the wrong type or form' },
  attest_invalid: { sip: 438, kind: 'other', text: 'attest is not A, B or C' },
  x5u_missing: { sip: 436, kind: 'other', text: 'the PASSporT header has no x5u' }, // ATIS-1000082 E9 as well
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
  // A call's PASSporTs that do not form one chain (RFC 8946 §4). Each PASSporT may be valid on its own, so the
  // credential is not in question (No-TN-Validation); the PASSporTs do not match the request, which RFC 8224
  // §6.2.2 answers 438 Invalid Identity Header (as orig_mismatch and dest_mismatch).
  several_shaken: { sip: 438, kind: 'other', text: 'the call carries more than one shaken PASSporT; a call has one origin' },
  div_duplicate: { sip: 438, kind: 'other', text: 'the same div PASSporT is carried twice' },
  div_branch: { sip: 438, kind: 'other', text: 'two div PASSporTs retarget the same number' },
  div_loop: { sip: 438, kind: 'other', text: 'a div PASSporT retargets the call back to a number it already left' },
  div_unlinked: { sip: 438, kind: 'other', text: 'a div PASSporT is no hop of the chain: its div is in no earlier dest (a wrong div, a missing hop, or a div URI)' },
  div_orig_mismatch: { sip: 438, kind: 'other', text: 'a div PASSporT\'s orig is not the shaken orig' },
  not_connected: { sip: 438, kind: 'other', text: 'the chain of PASSporTs does not end at the number called now (ruri, else the first to)' },
  too_many: { sip: 438, kind: 'other', text: 'more Identity headers or div hops than the verifier follows' },
  // RFC 9795 §4: an rcd PASSporT whose linked content (logo, jCard) does not match its rcdi, cannot be fetched, or has no digest.
  rcd_integrity: { sip: 438, kind: 'other', text: 'the Rich Call Data does not verify (a logo or jCard does not match its rcdi digest, could not be fetched, or has none)' },
} as const satisfies Record<string, ReasonSpec>;

export type VerifyReason = keyof typeof VERIFY_REASONS;
export const VERIFY_REASON_LIST = Object.keys(VERIFY_REASONS) as VerifyReason[];

/** RFC 3261 §21 / RFC 8224 §13.2 reason phrases: what a Reason header or an ATIS reasontext carries. */
export const SIP_REASON_PHRASE: Record<VerifySipCode, string> = {
  403: 'Stale Date',
  428: 'Use Identity Header',
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
  /** A call judged as a chain (a div, or several Identity headers): every PASSporT's verdict. */
  call?: CallReport;
  /** The call's Rich Call Data (RFC 9795), in the shaken PASSporT or an rcd one: what verified and what failed. */
  rcd?: RcdReport;
  /** Set when the PASSporTs came from an STI-CPS rather than the call's Identity headers (RFC 8816). */
  source?: 'out-of-band';
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
  /** A call judged as a chain (a div, or several Identity headers): every PASSporT's verdict. */
  call?: CallReport;
  /** Set when the PASSporTs were looked for at an STI-CPS rather than in the call's Identity headers (RFC 8816). */
  source?: 'out-of-band';
}

/**
 * The kinds of PASSporT a call may carry (RFC 8224 §6.2: several Identity headers, each judged on its own).
 * `div-o` (RFC 8946 §5) is judged as a div and its nested PASSporT as one more; `rph` (RFC 8443) is judged and
 * decides the call's priority, not its verstat; `rcd` (RFC 9795) is judged: its signature and certificate as any
 * PASSporT, then its `rcdi` digests (rcd/rcd-verify.ts); `other` is any ppt this verifier
 * does not support, which RFC 8224 §6.2 lets a verifier ignore.
 */
export const PASSPORT_KINDS = ['shaken', 'div', 'div-o', 'rph', 'rcd', 'other'] as const;
export type PassportKind = (typeof PASSPORT_KINDS)[number];

/**
 * Why the PASSporTs of a call do not form one chain from the caller to the number called now (RFC 8946 §4):
 *  - `no_shaken`/`several_shaken`: the chain has no single start.
 *  - `div_duplicate`: the same div PASSporT twice.
 *  - `div_branch`: two div PASSporTs retarget the same number (two next hops).
 *  - `div_loop`: a div retargets back to a number already left.
 *  - `div_unlinked`: a div no hop leads to (its `div` is in no earlier `dest`): a missing link or a stray.
 *  - `div_orig_mismatch`: a div's `orig` is not the shaken `orig` (RFC 8946 §3 copies it).
 *  - `not_connected`: the last `dest` does not contain the number called now.
 *  - `too_many`: more div PASSporTs than the verifier follows, or more Identity headers than it judges.
 */
export const CHAIN_PROBLEM_REASONS = ['no_shaken', 'several_shaken', 'div_duplicate', 'div_branch', 'div_loop', 'div_unlinked', 'div_orig_mismatch', 'not_connected', 'too_many'] as const;
export type ChainProblemReason = (typeof CHAIN_PROBLEM_REASONS)[number];

export interface ChainProblem {
  reason: ChainProblemReason;
  /** The Identity header (index as received) the problem is about, when one is. */
  index?: number;
  detail: string;
}

/** One Identity header of a call and its own verdict, as a result carries it (see CallReport). */
export interface PassportReport {
  /** Position of the Identity header as received (0-based); PASSporTs nested in a div-o follow the received ones. */
  index: number;
  /** For a PASSporT nested in a div-o's `opt` (RFC 8946 §5): the index of the div-o that carried it. */
  nestedIn?: number;
  kind: PassportKind;
  /** The ppt as read (Identity parameter, else the PASSporT header). */
  ppt?: string;
  /** For a div (or div-o) on the chain: its hop, 1 for the first retargeting. */
  hop?: number;
  /** true passed, false failed, null not judged (rcd, an unsupported ppt, a header that does not parse). */
  ok: boolean | null;
  /** This PASSporT's own verstat, when judged. */
  verstat?: Verstat;
  /** When it failed: its reason and SIP code, as a single PASSporT's result would say. */
  sip?: VerifySipCode;
  reason?: VerifyReason;
  /** Why it failed, or why it was not judged. */
  reasonText?: string;
  /** Its claims as judged (passed) or as received (failed, when they decoded). */
  claims?: unknown;
  x5u?: string;
  cert?: VerifiedCert;
  checks?: VerifyChecks;
  warnings?: string[];
  /**
   * For an rph PASSporT (RFC 8443): the r-values it vouches for (lower-case; when its claims decoded), and what it
   * does for the call (rph/rph-verdict.ts): whether it agrees with the shaken PASSporT and the caller, and whether it
   * authorises the call's priority (only when it passed and agrees).
   */
  rph?: { auth: string[]; sph?: string; agreesWithShaken: boolean | null; agreesWithCaller: boolean | null; authorizes: boolean };
  /** The Rich Call Data this PASSporT carries (RFC 9795): what verified and what failed. */
  rcd?: RcdReport;
}

/**
 * The `call` member of a result for a call with several PASSporTs (shaken plus div, RFC 8946): each header's
 * verdict in the order received, the headers in chain order, and why they do not form one chain.
 */
export interface CallReport {
  passports: PassportReport[];
  /** Indexes (as received) of the shaken and the div PASSporTs in chain order: shaken, hop 1, hop 2, … */
  chain: number[];
  problems: ChainProblem[];
  /**
   * The priority the call may be given, from its rph PASSporTs (RFC 8443 §5, RFC 9027): present when it carries one or
   * the request named Resource-Priority values. It never changes verstat.
   */
  priority?: { authorized: string[]; sph?: string; unauthorized?: string[] };
}

/** One PASSporT judged on its own (any ppt): its judged claims and certificate, or the failure. */
export type TokenVerdict<T> =
  /** `passportClaims`: the claims object as decoded (unjudged), for what reads members the profile does not (RCD). */
  | { ok: true; value: T; x5u: string; cert: VerifiedCert; checks: VerifyChecks; warnings: string[]; passportClaims: Record<string, unknown> }
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
