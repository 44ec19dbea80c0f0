import { sql, type SqlBool } from 'kysely';
import type { Kysely, Migration } from 'kysely';

/**
 * Issue 16, branded calls (RFC 9795 Rich Call Data): each request-log record says which RCD profile a signed
 * call used (`rcd_profile`, the profile id) and, for a verification, whether the call's RCD verified
 * (`rcd_verified`: 1 verified, 0 failed). Rows written before this, and calls without RCD, read as null.
 *
 * Two partial indexes hold only the branded rows, so "branded calls only" in the log view and its live tail
 * never walks the rest of a large log; `passport-filter.ts` repeats their condition word for word (both engines
 * match a partial index only then). Old rows are all null, so building them adds no entries.
 * Self-contained on purpose: a migration must keep doing what it did when it shipped.
 */
export const requestLogRcd: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('request_log').addColumn('rcd_profile', 'text').execute();
    await db.schema.alterTable('request_log').addColumn('rcd_verified', 'integer').execute();
    const branded = sql<SqlBool>`(rcd_profile is not null or rcd_verified is not null)`;
    await db.schema.createIndex('request_log_rcd_idx').on('request_log').column('id').where(branded).execute();
    await db.schema.createIndex('request_log_account_rcd_idx').on('request_log').columns(['account_id', 'id']).where(branded).execute();
  },
};
