import type { Attestation, AttestationReason, NonNumericOrigPolicy, PolicyMode, SourceKind } from '../../server/core/types.js';
import type { InventoryEntry } from '../../server/core/tn-inventory.js';
import type { InviteOptions } from '../helpers/sip-client.js';

/**
 * The attestation policy as rows every transport runs (issue 8): source kind × inventory hit/miss ×
 * requested level × account maximum × mode. Accounts hold INVENTORY; IN and OUT are numbers inside and
 * outside it.
 */
export const INVENTORY: InventoryEntry[] = [{ kind: 'range', start: '14045266000', count: 100 }];
export const IN = '14045266060';
export const OUT = '14045267000';
export const ANONYMOUS_URI = 'sip:anonymous@anonymous.invalid';

export interface PolicyCase {
  mode: PolicyMode;
  source: SourceKind;
  orig: typeof IN | typeof OUT | typeof ANONYMOUS_URI;
  requested: Attestation | undefined;
  max: Attestation;
  nonNumeric?: NonNumericOrigPolicy;
  expect: { attest: Attestation; reason: AttestationReason } | { refused: true };
  /**
   * The SIP redirect server's answer to the case as an INVITE from one of the account's SIP sources
   * (`policyCaseInvite`), under `sip.onSignFailure=reject`: 302 with Identity, or 603 Decline with Reason cause
   * 603 (ERR_ATTEST_REFUSED in the SIP error table).
   */
  sip: { status: 302 } | { status: 603; cause: 603 };
}

const c = (mode: PolicyMode, source: SourceKind, orig: PolicyCase['orig'], requested: Attestation | undefined, max: Attestation, expect: PolicyCase['expect'], nonNumeric?: NonNumericOrigPolicy): PolicyCase => ({
  mode,
  source,
  orig,
  requested,
  max,
  expect,
  nonNumeric,
  sip: 'refused' in expect ? { status: 603, cause: 603 } : { status: 302 },
});

export const POLICY_CASES: PolicyCase[] = [
  c('enforce', 'customer', IN, 'A', 'A', { attest: 'A', reason: 'requested' }),
  c('enforce', 'customer', OUT, 'A', 'A', { attest: 'B', reason: 'tn-not-in-inventory' }),
  c('enforce', 'customer', IN, undefined, 'A', { attest: 'A', reason: 'account-default' }),
  c('enforce', 'customer', OUT, undefined, 'A', { attest: 'B', reason: 'tn-not-in-inventory' }),
  c('enforce', 'customer', IN, 'A', 'B', { attest: 'B', reason: 'account-maximum' }),
  c('enforce', 'customer', OUT, 'A', 'C', { attest: 'C', reason: 'account-maximum' }),
  c('enforce', 'customer', OUT, 'C', 'A', { attest: 'C', reason: 'requested' }),
  c('enforce', 'customer', IN, 'B', 'A', { attest: 'B', reason: 'requested' }),
  c('enforce', 'gateway', IN, 'A', 'A', { attest: 'C', reason: 'gateway-source' }),
  c('enforce', 'gateway', OUT, undefined, 'B', { attest: 'C', reason: 'gateway-source' }),
  c('enforce', 'customer', ANONYMOUS_URI, 'A', 'A', { attest: 'B', reason: 'non-numeric-caller' }, 'B'),
  c('enforce', 'customer', ANONYMOUS_URI, 'A', 'A', { attest: 'C', reason: 'non-numeric-caller' }, 'C'),
  c('enforce', 'customer', ANONYMOUS_URI, 'A', 'A', { refused: true }, 'refuse'),
  c('trust', 'customer', OUT, 'A', 'A', { attest: 'A', reason: 'requested' }),
  c('trust', 'customer', OUT, 'A', 'B', { attest: 'B', reason: 'account-maximum' }),
  c('trust', 'customer', ANONYMOUS_URI, 'A', 'A', { attest: 'A', reason: 'requested' }, 'refuse'),
  c('trust', 'gateway', IN, 'A', 'A', { attest: 'C', reason: 'gateway-source' }),
];

export function policyCaseTitle(p: PolicyCase): string {
  const what = 'refused' in p.expect ? 'refuses to sign' : `signs ${p.expect.attest} (${p.expect.reason})`;
  return `${p.mode}, ${p.source} source, orig ${p.orig === IN ? 'in inventory' : p.orig === OUT ? 'not in inventory' : 'anonymous'}${p.nonNumeric ? ` [non-numeric ${p.nonNumeric}]` : ''}, requested ${p.requested ?? 'nothing'}, maximum ${p.max}: ${what}`;
}

export function policyCaseBody(p: PolicyCase): Record<string, unknown> {
  return { orig: p.orig === ANONYMOUS_URI ? { uri: p.orig } : { tn: p.orig }, dest: { tn: ['18001234567'] }, ...(p.requested ? { attest: p.requested } : {}) };
}

/** The case as an INVITE: orig → From (a number in a sip: URI), the asked level → X-Attestation. */
export function policyCaseInvite(p: PolicyCase): InviteOptions {
  return {
    from: `<${p.orig === ANONYMOUS_URI ? p.orig : `sip:${p.orig}@pbx.example.net`}>;tag=caller1`,
    to: '<sip:18001234567@carrier.example.net>',
    uri: 'sip:18001234567@127.0.0.1',
    extra: p.requested ? [`X-Attestation: ${p.requested}`] : [],
  };
}
