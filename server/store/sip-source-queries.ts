import { sql } from 'kysely';
import { ShakenError } from '../core/errors.js';
import { PLAIN_DIALECT, type SbcDialect } from '../core/sbc-dialect.js';
import { admitSipSource, type SipSource } from '../core/sip-sources.js';
import type { SipSourcesTable } from './schema.js';
import { notFound, requireAccount, type StoreContext } from './store-context.js';
import { guarded, isUniqueViolation } from './store-errors.js';
import type { Store } from './store.js';

export type SipSourceQueries = Pick<Store, 'addSipSource' | 'removeSipSource' | 'listSipSources' | 'setSipSourceDialect'>;

/** A row as the core's source; 0/1 columns become the dialect's booleans here and nowhere else. */
function toSipSource(r: SipSourcesTable): SipSource {
  return {
    accountId: r.account_id,
    cidr: r.cidr,
    sourceKind: r.source_kind,
    dialect: { identityInContact: r.identity_in_contact === 1, multipleChoices: r.multiple_choices === 1, attestationHeaders: r.attestation_headers === 1 },
  };
}

function dialectColumns(d: SbcDialect): Pick<SipSourcesTable, 'identity_in_contact' | 'multiple_choices' | 'attestation_headers'> {
  return { identity_in_contact: d.identityInContact ? 1 : 0, multiple_choices: d.multipleChoices ? 1 : 0, attestation_headers: d.attestationHeaders ? 1 : 0 };
}

export function sipSourceQueries({ db, engine, clock, changes }: StoreContext): SipSourceQueries {
  return {
    addSipSource(source, options = {}) {
      return guarded(async () => {
        try {
          return await changes.mutate(async (trx) => {
            await requireAccount(trx, source.accountId);
            // Check and insert as one step: two racing adds must not both pass the overlap check. SQLite's
            // `begin immediate` already serialises writers; PostgreSQL needs a lock that conflicts with itself
            // (and not with readers).
            if (engine === 'postgres') await sql`lock table sip_sources in share row exclusive mode`.execute(trx);
            const rows = await trx.selectFrom('sip_sources').select(['account_id', 'cidr', 'source_kind']).execute();
            const overlaps = admitSipSource(source, rows.map((r) => ({ accountId: r.account_id, cidr: r.cidr, sourceKind: r.source_kind })), options);
            const dialect = source.dialect ?? PLAIN_DIALECT;
            await trx
              .insertInto('sip_sources')
              .values({ account_id: source.accountId, cidr: source.cidr, source_kind: source.sourceKind, created_at: clock.now(), ...dialectColumns(dialect) })
              .execute();
            return { source: { ...source, dialect }, overlaps };
          });
        } catch (err) {
          // Only a writer that skipped the check above gets here; say no more than the check would.
          if (isUniqueViolation(err)) throw new ShakenError('ERR_REQ_CONFLICT', `${source.cidr} overlaps a SIP source block this account does not hold`, { field: 'cidr' });
          throw err;
        }
      });
    },

    removeSipSource(cidr) {
      return guarded(() =>
        changes.mutate(async (trx) => {
          const row = await trx.deleteFrom('sip_sources').where('cidr', '=', cidr).returningAll().executeTakeFirst();
          if (!row) throw notFound('SIP source', cidr, 'cidr');
          return toSipSource(row);
        }),
      );
    },

    setSipSourceDialect(cidr, dialect) {
      return guarded(() =>
        changes.mutate(async (trx) => {
          const row = await trx.updateTable('sip_sources').set(dialectColumns(dialect)).where('cidr', '=', cidr).returningAll().executeTakeFirst();
          if (!row) throw notFound('SIP source', cidr, 'cidr');
          return toSipSource(row);
        }),
      );
    },

    listSipSources(accountId) {
      return guarded(async () => {
        let q = db.selectFrom('sip_sources').selectAll().orderBy('created_at').orderBy('cidr');
        if (accountId !== undefined) q = q.where('account_id', '=', accountId);
        return (await q.execute()).map(toSipSource);
      });
    },
  };
}
