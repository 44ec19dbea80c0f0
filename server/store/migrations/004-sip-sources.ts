import type { Kysely, Migration } from 'kysely';

/**
 * Issue 5's SIP redirect server knows an account by the address a request comes from: per account, CIDR
 * blocks with the kind of source they are (customer trunk or gateway). Issue 6 logs verifications beside
 * signatures, told apart by `kind`; rows written before this are all signatures.
 */
export const sipSources: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('sip_sources')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('cidr', 'text', (c) => c.notNull())
      .addColumn('source_kind', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      // One block belongs to one account: an address must never be ambiguous between accounts.
      .addPrimaryKeyConstraint('sip_sources_pk', ['cidr'])
      .execute();
    await db.schema.createIndex('sip_sources_account_idx').on('sip_sources').column('account_id').execute();
    await db.schema.alterTable('request_log').addColumn('kind', 'text', (c) => c.notNull().defaultTo('sign')).execute();
  },
};
