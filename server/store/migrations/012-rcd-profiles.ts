import type { Kysely, Migration } from 'kysely';

/**
 * Issue 16's RCD profiles (RFC 9795): the brands an operator vetted for an account, the numbers each may be used
 * for, and the digests of its linked content as last fetched. JSON columns hold canonical JSON (RFC 8225 §9)
 * so both engines store the same text.
 */
export const rcdProfiles: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('rcd_profiles')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('rcd', 'text', (c) => c.notNull())
      .addColumn('crn', 'text', (c) => c.notNull())
      .addColumn('tns', 'text', (c) => c.notNull())
      .addColumn('prefixes', 'text', (c) => c.notNull())
      .addColumn('placement', 'text', (c) => c.notNull())
      .addColumn('icn_digest', 'text')
      .addColumn('jcl_digest', 'text')
      .addColumn('content_checked_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rcd_profiles_account_idx').on('rcd_profiles').column('account_id').execute();
  },
};
