import { ShakenError } from './errors.js';
import type { Attestation, AttestationReason } from './types.js';

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

export interface AttestationDecision {
  requested: Attestation;
  applied: Attestation;
  downgraded: boolean;
  reason: AttestationReason;
}

/**
 * The level a call gets: what was asked for (or the account default), never above the account maximum.
 * The signer must not claim more than it can back (RFC 8224 §6.1), so the cap only ever lowers.
 */
export function decideAttestation(
  requested: Attestation | undefined,
  account: { defaultAttest: Attestation; maxAttest: Attestation },
): AttestationDecision {
  const asked = requested ?? account.defaultAttest;
  if (RANK[asked] > RANK[account.maxAttest]) {
    return { requested: asked, applied: account.maxAttest, downgraded: true, reason: 'account-maximum' };
  }
  return { requested: asked, applied: asked, downgraded: false, reason: requested ? 'requested' : 'account-default' };
}

export function attestationRank(a: Attestation): number {
  return RANK[a];
}
