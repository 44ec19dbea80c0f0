import type { Kysely, Migration } from 'kysely';
import type { StoreEngine } from '../schema.js';

/**
 * Issue 7's dashboard: users, server-side sessions (so any worker or node can check a cookie), login failures
 * (rate limiting that holds across workers), the audit log of every change, and the day each certificate
 * expiry webhook was sent (once per credential per day, whichever node sends it).
 */
export function dashboard(engine: StoreEngine): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('dashboard_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('dashboard_sessions')
        // SHA-256 of the cookie value: a copy of the table does not let anyone in.
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('dashboard_users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('dashboard_sessions_user_idx').on('dashboard_sessions').column('user_id').execute();

      await db.schema
        .createTable('dashboard_login_failures')
        .addColumn('id', engine === 'postgres' ? 'bigint' : 'integer', (c) =>
          engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey(),
        )
        // SHA-256 of username and address: who tried is not kept in clear.
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('dashboard_login_failures_key_idx').on('dashboard_login_failures').columns(['key', 'time']).execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', engine === 'postgres' ? 'bigint' : 'integer', (c) =>
          engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey(),
        )
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        // The account the change concerns, so an operator sees its own account's entries only.
        .addColumn('account_id', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_log_account_idx').on('audit_log').columns(['account_id', 'id']).execute();

      await db.schema
        .createTable('expiry_notices')
        .addColumn('credential_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('expiry_notices_pk', ['credential_id', 'day'])
        .execute();

      // Failures by reason and signed-by-attestation reports scan a time range per outcome.
      await db.schema.createIndex('request_log_outcome_time_idx').on('request_log').columns(['outcome', 'time']).execute();
    },
  };
}
