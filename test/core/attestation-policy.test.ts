import { describe, expect, it } from 'vitest';
import { decideAttestation } from '../../server/core/attestation-policy.js';
import type { Attestation } from '../../server/core/types.js';

const levels: Attestation[] = ['A', 'B', 'C'];
const rank = { A: 3, B: 2, C: 1 };

describe('attestation decision', () => {
  for (const max of levels) {
    for (const requested of [...levels, undefined]) {
      const account = { defaultAttest: max, maxAttest: max };
      const asked = requested ?? account.defaultAttest;
      const expected = rank[asked] > rank[max] ? max : asked;
      it(`applies ${expected} when ${requested ?? 'nothing'} is requested under maximum ${max}`, () => {
        const d = decideAttestation(requested, account);
        expect(d.applied).toBe(expected);
        expect(d.requested).toBe(asked);
        expect(d.downgraded).toBe(expected !== asked);
        expect(d.reason).toBe(expected !== asked ? 'account-maximum' : requested ? 'requested' : 'account-default');
      });
    }
  }

  it('uses the account default when nothing is requested, without raising it to the maximum', () => {
    expect(decideAttestation(undefined, { defaultAttest: 'B', maxAttest: 'A' })).toEqual({ requested: 'B', applied: 'B', downgraded: false, reason: 'account-default' });
  });

  it('caps requested attestation A to the account maximum B and reports the downgrade', () => {
    expect(decideAttestation('A', { defaultAttest: 'B', maxAttest: 'B' })).toEqual({ requested: 'A', applied: 'B', downgraded: true, reason: 'account-maximum' });
  });
});
