import type { Kysely, Migration } from 'kysely';

/** Issue 5's routing rules: per account, destination prefix → target URI with a priority. One target per row. */
export const routingRules: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('routing_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('routing_rules_account_idx').on('routing_rules').column('account_id').execute();
  },
};
