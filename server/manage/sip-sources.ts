import { ShakenError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';
import { parseSbcDialect } from '../core/sbc-dialect.js';
import { canonicalCidr, type SipSource } from '../core/sip-sources.js';
import { writeAudit, type AuditActor } from './audit.js';
import type { Store } from '../store/store.js';
import { parseSourceKind } from './source-kind.js';

/**
 * Who may allow a block to overlap another account's: an admin (CLI, admin API, a dashboard admin). Given to
 * `addSipSource` by a caller that is one; the request's `allowOverlap` says whether it does. Who gave it is
 * written to the audit log.
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
 * A block overlapping another account's is refused (a neutral 409 that names neither) unless `allowOverlap` is
 * true and `grantor` (an admin) is given: anyone else's `allowOverlap` is ignored, as long as it is a boolean.
 * An overlap that was allowed is audited with both blocks and both accounts; the row names no account, so that
 * only an admin (or an unbound viewer, who sees every account anyway) reads it, never the operator of either.
 */
export async function addSipSource(
  store: Store,
  accountId: string,
  input: { cidr: unknown; sourceKind?: unknown; allowOverlap?: unknown; dialect?: unknown },
  grantor?: OverlapGrant,
): Promise<SipSourceAdded> {
  const grant = allowOverlapOf(input.allowOverlap) ? grantor : undefined;
  const source = { accountId, cidr: canonicalCidr(input.cidr), sourceKind: parseSourceKind(input.sourceKind), dialect: parseSbcDialect(input.dialect) };
  const added = await store.addSipSource(source, { allowOverlap: grant !== undefined });
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

/** `allowOverlap` of a request: absent (or null) or a boolean, whoever sends it and wherever. */
function allowOverlapOf(value: unknown): boolean {
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
  return store.removeSipSource(await ownedCidr(store, accountId, cidr));
}

/**
 * Sets the SBC dialect of one of the account's blocks (docs/sip-redirect-server.md#sbc-dialects): every quirk
 * as given, an absent one off. Another account's block is answered as one that does not exist, as for removal.
 */
export async function setSipSourceDialect(store: Store, accountId: string, cidr: unknown, dialect: unknown): Promise<SipSource> {
  const parsed = parseSbcDialect(dialect);
  return store.setSipSourceDialect(await ownedCidr(store, accountId, cidr), parsed);
}

/** The canonical spelling of `cidr` when it is one of the account's blocks; 404 otherwise, whoever holds it. */
async function ownedCidr(store: Store, accountId: string, cidr: unknown): Promise<string> {
  const canonical = canonicalCidr(cidr);
  const owned = (await store.listSipSources(accountId)).some((s) => s.cidr === canonical);
  if (!owned) throw new ShakenError('ERR_REQ_NOT_FOUND', `${canonical} is not a SIP source of this account`, { field: 'cidr' });
  return canonical;
}
