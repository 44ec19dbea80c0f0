import { sql } from 'kysely';
import { ShakenError } from '../core/errors.js';
import { admitSipSource } from '../core/sip-sources.js';
import { notFound, requireAccount, type StoreContext } from './store-context.js';
import { guarded, isUniqueViolation } from './store-errors.js';
import type { Store } from './store.js';

export type SipSourceQueries = Pick<Store, 'addSipSource' | 'removeSipSource' | 'listSipSources'>;

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
            await trx.insertInto('sip_sources').values({ account_id: source.accountId, cidr: source.cidr, source_kind: source.sourceKind, created_at: clock.now() }).execute();
            return { source, overlaps };
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
          return { accountId: row.account_id, cidr: row.cidr, sourceKind: row.source_kind };
        }),
      );
    },

    listSipSources(accountId) {
      return guarded(async () => {
        let q = db.selectFrom('sip_sources').selectAll().orderBy('created_at').orderBy('cidr');
        if (accountId !== undefined) q = q.where('account_id', '=', accountId);
        return (await q.execute()).map((r) => ({ accountId: r.account_id, cidr: r.cidr, sourceKind: r.source_kind }));
      });
    },
  };
}
