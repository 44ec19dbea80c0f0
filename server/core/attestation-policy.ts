import { ShakenError } from './errors.js';
import type { Attestation, AttestationReason, NonNumericOrigPolicy, PolicyMode, SourceKind } from './types.js';

// RFC 8588 §4: A (full) > B (partial) > C (gateway).
const RANK: Record<Attestation, number> = { A: 3, B: 2, C: 1 };

export function isAttestation(v: unknown): v is Attestation {
  return v === 'A' || v === 'B' || v === 'C';
}

export function parseAttestation(v: unknown, field: string): Attestation {
  const s = typeof v === 'string' ? v.trim().toUpperCase() : v;
  if (!isAttestation(s)) {
    throw new ShakenError('ERR_ATTEST_INVALID', 'attestation must be A, B or C', { field });
  }
  return s;
}

export function attestationRank(a: Attestation): number {
  return RANK[a];
}

export interface AttestationDecision {
  requested: Attestation;
  applied: Attestation;
  downgraded: boolean;
  reason: AttestationReason;
}

export interface PolicyAccount {
  defaultAttest: Attestation;
  maxAttest: Attestation;
  policyMode: PolicyMode;
  nonNumericOrig: NonNumericOrigPolicy;
}

export interface CallFacts {
  source: SourceKind;
  /** Canonical orig TN, undefined when orig is a URI (anonymous or non-numeric caller). */
  origTn: string | undefined;
  /** Consulted only in `enforce` mode for a customer source with a TN. */
  inInventory: (tn: string) => boolean;
}

/**
 * What a call deserves, then what it gets. RFC 8224 §6.1 and ATIS-1000074 §5.2.3: full attestation (A) only
 * for an authenticated customer whose number the account is known to own; B for an authenticated customer
 * with any other number; C for a gateway or interconnect source. The requested level (or the account default)
 * can lower that but never raise it, and the account maximum caps everything. `trust` mode skips only the
 * inventory check, for customers who keep their inventory elsewhere.
 */
export function decideAttestation(requested: Attestation | undefined, account: PolicyAccount, facts: CallFacts): AttestationDecision {
  const asked = requested ?? account.defaultAttest;
  let entitled: Attestation = 'A';
  let entitledWhy: AttestationReason = 'requested';
  if (facts.source === 'gateway') {
    entitled = 'C';
    entitledWhy = 'gateway-source';
  } else if (account.policyMode === 'enforce') {
    if (facts.origTn === undefined) {
      if (account.nonNumericOrig === 'refuse') {
        throw new ShakenError('ERR_ATTEST_REFUSED', 'this account does not sign calls whose caller is not a telephone number', { field: 'orig' });
      }
      entitled = account.nonNumericOrig;
      entitledWhy = 'non-numeric-caller';
    } else if (!facts.inInventory(facts.origTn)) {
      entitled = 'B';
      entitledWhy = 'tn-not-in-inventory';
    }
  }
  let applied = asked;
  let reason: AttestationReason = requested ? 'requested' : 'account-default';
  if (RANK[entitled] < RANK[applied]) {
    applied = entitled;
    reason = entitledWhy;
  }
  if (RANK[account.maxAttest] < RANK[applied]) {
    applied = account.maxAttest;
    reason = 'account-maximum';
  }
  return { requested: asked, applied, downgraded: applied !== asked, reason };
}
