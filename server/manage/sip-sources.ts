import { ShakenError } from '../core/errors.js';
import { canonicalCidr, type SipSource } from '../core/sip-sources.js';
import type { SourceKind } from '../core/types.js';
import type { Store } from '../store/store.js';

function sourceKind(value: unknown): SourceKind {
  if (value === undefined || value === null || value === '') return 'customer';
  if (value === 'customer' || value === 'gateway') return value;
  throw new ShakenError('ERR_REQ_FIELD_INVALID', 'sourceKind must be customer or gateway', { field: 'sourceKind' });
}

/** Gives an account a source block for the SIP redirect server; the block is stored in its canonical spelling. */
export function addSipSource(store: Store, accountId: string, input: { cidr: unknown; sourceKind?: unknown }): Promise<SipSource> {
  return store.addSipSource({ accountId, cidr: canonicalCidr(input.cidr), sourceKind: sourceKind(input.sourceKind) });
}

export function listSipSources(store: Store, accountId: string): Promise<SipSource[]> {
  return store.listSipSources(accountId);
}

/** Removes one of the account's blocks; another account's block is reported as not found, never removed. */
export async function removeSipSource(store: Store, accountId: string, cidr: unknown): Promise<SipSource> {
  const canonical = canonicalCidr(cidr);
  const owned = (await store.listSipSources(accountId)).some((s) => s.cidr === canonical);
  if (!owned) throw new ShakenError('ERR_REQ_NOT_FOUND', `${canonical} is not a SIP source of this account`, { field: 'cidr' });
  return store.removeSipSource(canonical);
}
