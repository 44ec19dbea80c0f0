import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import type { StoreEngine } from '../schema.js';

/**
 * Accounts, credentials, API keys, software key blobs, the request log and the change counter. One schema for
 * both engines; the only per-engine parts are the binary type and the request log's generated key, which have
 * no common spelling.
 */
export function initial(engine: StoreEngine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('default_attest', 'text', (c) => c.notNull().check(sql`default_attest in ('A', 'B', 'C')`))
        .addColumn('max_attest', 'text', (c) => c.notNull().check(sql`max_attest in ('A', 'B', 'C')`))
        .addColumn('token_ttl_sec', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1).check(sql`enabled in (0, 1)`))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('key_ref', 'text', (c) => c.notNull())
        .addColumn('chain_pem', 'text', (c) => c.notNull())
        .addColumn('x5u', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'retired')`))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute();
      await db.schema.createIndex('credentials_account_idx').on('credentials').column('account_id').execute();
      // Both engines support partial indexes, so "one active credential per account" holds even against a
      // writer that skips addCredential's transaction.
      await db.schema
        .createIndex('credentials_one_active_idx')
        .on('credentials')
        .column('account_id')
        .unique()
        .where(sql.ref('state'), '=', 'active')
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_keys_account_idx').on('api_keys').column('account_id').execute();

      await db.schema
        .createTable('key_blobs')
        .addColumn('ref', 'text', (c) => c.primaryKey())
        .addColumn('blob', engine === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      // No foreign keys here: the log must take every request, including ones naming an unknown account or key.
      await db.schema
        .createTable('request_log')
        .addColumn('id', engine === 'postgres' ? 'bigint' : 'integer', (c) =>
          // SQLite: an `integer primary key` is the rowid and numbers itself; it has no identity columns.
          engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey(),
        )
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('api_key_id', 'text')
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('orig', 'text')
        .addColumn('dest', 'text')
        .addColumn('attest_requested', 'text')
        .addColumn('attest_applied', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('latency_us', 'bigint', (c) => c.notNull())
        .addColumn('origid', 'text')
        .execute();
      await db.schema.createIndex('request_log_time_idx').on('request_log').column('time').execute();
      await db.schema
        .createIndex('request_log_account_time_idx')
        .on('request_log')
        .columns(['account_id', 'time'])
        .execute();

      await db.schema
        .createTable('meta')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('change_version', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('meta').values({ id: 1, change_version: 0 }).execute();
    },
  };
}
