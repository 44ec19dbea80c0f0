import { ShakenError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';
import { canonicalCidr, type SipSource } from '../core/sip-sources.js';
import type { SourceKind } from '../core/types.js';
import { writeAudit, type AuditActor } from './audit.js';
import type { Store } from '../store/store.js';

function sourceKind(value: unknown): SourceKind {
  if (value === undefined || value === null || value === '') return 'customer';
  if (value === 'customer' || value === 'gateway') return value;
  throw new ShakenError('ERR_REQ_FIELD_INVALID', 'sourceKind must be customer or gateway', { field: 'sourceKind' });
}

/**
 * An admin's explicit permission to add a block overlapping another account's (CLI `--allow-overlap`, admin
 * API `allowOverlap: true`, a dashboard admin). Who gave it is written to the audit log.
 */
export interface OverlapGrant {
  actor: AuditActor;
  clock: Clock;
}

export interface SipSourceAdded {
  source: SipSource;
  /** Other accounts' blocks the new one overlaps: empty unless an overlap was granted. */
  overlaps: SipSource[];
}

/**
 * Gives an account a source block for the SIP redirect server; the block is stored in its canonical spelling.
 * A block overlapping another account's is refused (a neutral 409 that names neither) unless `grant` is given.
 * An overlap that was allowed is audited with both blocks and both accounts; the row names no account, so that
 * only an admin (or an unbound viewer, who sees every account anyway) reads it, never the operator of either.
 */
export async function addSipSource(store: Store, accountId: string, input: { cidr: unknown; sourceKind?: unknown }, grant?: OverlapGrant): Promise<SipSourceAdded> {
  const added = await store.addSipSource({ accountId, cidr: canonicalCidr(input.cidr), sourceKind: sourceKind(input.sourceKind) }, { allowOverlap: grant !== undefined });
  if (grant && added.overlaps.length > 0) {
    await writeAudit(store, grant.clock, grant.actor, {
      action: 'sipsource.overlap-allowed',
      target: `sipsource:${added.source.cidr}`,
      accountId: null,
      detail: {
        block: { cidr: added.source.cidr, accountId, sourceKind: added.source.sourceKind },
        overlaps: added.overlaps.map((s) => ({ cidr: s.cidr, accountId: s.accountId })),
      },
    });
  }
  return added;
}

/** `allowOverlap` of an API body: absent or a boolean. */
export function allowOverlapOf(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ShakenError('ERR_REQ_FIELD_INVALID', 'allowOverlap must be true or false', { field: 'allowOverlap' });
  return value;
}

export function listSipSources(store: Store, accountId: string): Promise<SipSource[]> {
  return store.listSipSources(accountId);
}

/**
 * Removes one of the account's blocks. Another account's block is answered exactly as a block that does not
 * exist (404, same words), never removed.
 */
export async function removeSipSource(store: Store, accountId: string, cidr: unknown): Promise<SipSource> {
  const canonical = canonicalCidr(cidr);
  const owned = (await store.listSipSources(accountId)).some((s) => s.cidr === canonical);
  if (!owned) throw new ShakenError('ERR_REQ_NOT_FOUND', `${canonical} is not a SIP source of this account`, { field: 'cidr' });
  return store.removeSipSource(canonical);
}
