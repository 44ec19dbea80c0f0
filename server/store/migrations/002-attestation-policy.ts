import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';

/**
 * Issue 8's attestation policy: per-account mode and non-numeric-caller rule, the API key's source kind, and
 * the TN inventory. Accounts that exist before this migration keep today's behaviour (`trust`); the
 * application creates new accounts in `enforce` mode.
 */
export const attestationPolicy: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .alterTable('accounts')
      .addColumn('policy_mode', 'text', (c) => c.notNull().defaultTo('trust').check(sql`policy_mode in ('enforce', 'trust')`))
      .execute();
    await db.schema
      .alterTable('accounts')
      .addColumn('non_numeric_orig', 'text', (c) => c.notNull().defaultTo('B').check(sql`non_numeric_orig in ('B', 'C', 'refuse')`))
      .execute();
    await db.schema.alterTable('accounts').addColumn('inventory_version', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema
      .alterTable('api_keys')
      .addColumn('source_kind', 'text', (c) => c.notNull().defaultTo('customer').check(sql`source_kind in ('customer', 'gateway')`))
      .execute();
    await db.schema.alterTable('request_log').addColumn('attest_reason', 'text').execute();
    await db.schema
      .createTable('tn_inventory')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('tn', 'range', 'prefix')`))
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      // Keyset pagination walks this key when an inventory is streamed to the nodes.
      .addPrimaryKeyConstraint('tn_inventory_pk', ['account_id', 'kind', 'value'])
      .execute();
  },
};
