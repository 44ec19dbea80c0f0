import { sql, type SqlBool } from 'kysely';
import type { Kysely, Migration } from 'kysely';

/**
 * Issue 14, forwarded calls (RFC 8946 div PASSporTs): each request-log record names the call's PASSporT kinds
 * in order, joined by `,` (`shaken`, `shaken,div`, `shaken,div,div`, `shaken,div-o`). Rows written before this
 * have none and read as null (nothing was recorded, which is not the same as "shaken only").
 *
 * Two partial indexes hold only the rows whose list has a `div` or `div-o` (the only kinds with `div` in their
 * name), so "forwarded calls only" in the log view and its live tail (newest first, or after an id; for all
 * accounts or one) never walks the rest of a large log on the node's event loop. Both engines use a partial
 * index only when the query repeats its condition word for word: `passport-filter.ts` builds that condition,
 * and a test checks the plan. Old rows all have a null list, so building them adds no entries; it still reads
 * the table once (PostgreSQL blocks log writes meanwhile).
 * Self-contained on purpose: a migration must keep doing what it did when it shipped.
 */
export const requestLogPassports: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('request_log').addColumn('passports', 'text').execute();
    const forwarded = sql<SqlBool>`passports like '%div%'`;
    await db.schema.createIndex('request_log_div_idx').on('request_log').column('id').where(forwarded).execute();
    await db.schema.createIndex('request_log_account_div_idx').on('request_log').columns(['account_id', 'id']).where(forwarded).execute();
  },
};
