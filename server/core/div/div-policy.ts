import { ShakenError } from '../errors.js';
import type { PolicyMode, SourceKind } from '../types.js';
import type { DivTarget } from './div-passport.js';

export interface DivFacts {
  policyMode: PolicyMode;
  source: SourceKind;
  /** Whether a canonical TN is in the account's inventory (consulted in enforce mode only). */
  inInventory: (tn: string) => boolean;
}

/**
 * Who may sign a div PASSporT, and for which numbers. A div says "this call was sent to `div` and I, its
 * provider, retargeted it" (RFC 8946 §1, §3); only the provider serving the `div` number can say so honestly,
 * as only an originating provider may claim A (RFC 8224 §6.1). The rule mirrors attestation policy:
 *  - trust mode: the operator vouches for the account; any `div` number is signed.
 *  - enforce mode: a customer source signs only for a `div` TN in its inventory; a gateway source, which owns
 *    no numbers, and a `div` URI (no inventory can hold it) are refused.
 * Refusals are ERR_ATTEST_REFUSED with field `div`: the signer will not assert what it cannot back.
 */
export function assertMaySignDiv(div: DivTarget, facts: DivFacts): void {
  if (facts.policyMode === 'trust') return;
  if (facts.source !== 'customer') throw new ShakenError('ERR_ATTEST_REFUSED', 'a gateway source may not sign div in enforce mode: it serves no numbers', { field: 'div' });
  if (!('tn' in div)) throw new ShakenError('ERR_ATTEST_REFUSED', 'in enforce mode div must be a telephone number of the account', { field: 'div' });
  if (!facts.inInventory(div.tn)) throw new ShakenError('ERR_ATTEST_REFUSED', `div ${div.tn} is not in the account's TN inventory`, { field: 'div.tn' });
}
