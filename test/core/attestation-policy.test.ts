import { describe, expect, it } from 'vitest';
import { decideAttestation, type CallFacts, type PolicyAccount } from '../../server/core/attestation-policy.js';
import type { Attestation, NonNumericOrigPolicy, PolicyMode, SourceKind } from '../../server/core/types.js';

const LEVELS: Attestation[] = ['A', 'B', 'C'];
const lowest = (...xs: Attestation[]): Attestation => xs.reduce((a, b) => (a > b ? a : b)); // 'C' > 'B' > 'A' as strings
type Orig = 'tn-in-inventory' | 'tn-not-in-inventory' | 'uri';

function facts(source: SourceKind, orig: Orig): CallFacts {
  return {
    source,
    origTn: orig === 'uri' ? undefined : orig === 'tn-in-inventory' ? '14045266060' : '19995550000',
    inInventory: (tn) => tn === '14045266060',
  };
}

// The rule written once more, as a table, independently of the implementation's control flow.
function entitlement(source: SourceKind, orig: Orig, mode: PolicyMode, nonNumeric: NonNumericOrigPolicy): Attestation | 'refuse' {
  if (source === 'gateway') return 'C';
  if (mode === 'trust') return 'A';
  return { 'tn-in-inventory': 'A', 'tn-not-in-inventory': 'B', uri: nonNumeric }[orig] as Attestation | 'refuse';
}

describe('attestation decision matrix (RFC 8224 §6.1, ATIS-1000074 §5.2.3)', () => {
  for (const mode of ['enforce', 'trust'] as PolicyMode[]) {
    for (const source of ['customer', 'gateway'] as SourceKind[]) {
      for (const orig of ['tn-in-inventory', 'tn-not-in-inventory', 'uri'] as Orig[]) {
        for (const nonNumeric of ['B', 'C', 'refuse'] as NonNumericOrigPolicy[]) {
          it(`${mode} mode, ${source} source, orig ${orig}, non-numeric callers ${nonNumeric}: every requested level under every maximum`, () => {
            for (const max of LEVELS) {
              for (const requested of [...LEVELS, undefined]) {
                const account: PolicyAccount = { defaultAttest: max, maxAttest: max, policyMode: mode, nonNumericOrig: nonNumeric };
                const deserved = entitlement(source, orig, mode, nonNumeric);
                const run = () => decideAttestation(requested, account, facts(source, orig));
                if (deserved === 'refuse') {
                  expect(run).toThrow(expect.objectContaining({ code: 'ERR_ATTEST_REFUSED', field: 'orig' }));
                  continue;
                }
                const asked = requested ?? max;
                const d = run();
                expect(d.applied, `max ${max}, requested ${requested}`).toBe(lowest(asked, deserved, max));
                expect(d.requested).toBe(asked);
                expect(d.downgraded).toBe(d.applied !== asked);
              }
            }
          });
        }
      }
    }
  }
});

describe('attestation reasons', () => {
  const enforce: PolicyAccount = { defaultAttest: 'A', maxAttest: 'A', policyMode: 'enforce', nonNumericOrig: 'C' };

  it('gives A to a customer whose number is in the inventory, as requested', () => {
    expect(decideAttestation('A', enforce, facts('customer', 'tn-in-inventory'))).toEqual({ requested: 'A', applied: 'A', downgraded: false, reason: 'requested' });
  });
  it('lowers A to B for a number outside the inventory and says why', () => {
    expect(decideAttestation('A', enforce, facts('customer', 'tn-not-in-inventory'))).toEqual({ requested: 'A', applied: 'B', downgraded: true, reason: 'tn-not-in-inventory' });
  });
  it('gives a gateway source C whatever it asks for', () => {
    expect(decideAttestation('A', enforce, facts('gateway', 'tn-in-inventory'))).toMatchObject({ applied: 'C', reason: 'gateway-source' });
  });
  it('gives a non-numeric caller the account rule', () => {
    expect(decideAttestation(undefined, enforce, facts('customer', 'uri'))).toMatchObject({ applied: 'C', reason: 'non-numeric-caller', requested: 'A' });
  });
  it('names the account maximum when it, not the inventory, is what lowered the level', () => {
    expect(decideAttestation('A', { ...enforce, maxAttest: 'C', defaultAttest: 'C' }, facts('customer', 'tn-not-in-inventory'))).toMatchObject({ applied: 'C', reason: 'account-maximum' });
  });
  it('lets a request lower the level without calling it a downgrade', () => {
    expect(decideAttestation('C', enforce, facts('customer', 'tn-in-inventory'))).toEqual({ requested: 'C', applied: 'C', downgraded: false, reason: 'requested' });
  });
  it('uses the account default when nothing is requested, without raising it to the maximum', () => {
    expect(decideAttestation(undefined, { ...enforce, defaultAttest: 'B' }, facts('customer', 'tn-in-inventory'))).toEqual({ requested: 'B', applied: 'B', downgraded: false, reason: 'account-default' });
  });
  it('does not consult the inventory in trust mode', () => {
    let asked = 0;
    const f = { ...facts('customer', 'tn-not-in-inventory'), inInventory: () => (asked++, false) };
    expect(decideAttestation('A', { ...enforce, policyMode: 'trust' }, f)).toMatchObject({ applied: 'A' });
    expect(asked).toBe(0);
  });
});
