import type { Kysely, Migration } from 'kysely';

/**
 * Issue 12: dashboard login attempts are counted before the password is checked, in one atomic upsert per
 * attempt, so parallel guesses cannot all pass a count read before any of them was written. One row per
 * username+address key: the attempts since `window_start`. It replaces 005's row-per-failure table (whose
 * counts, at most 15 minutes of them, are not carried over).
 */
export const loginAttempts: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('dashboard_login_attempts')
      // SHA-256 of username and address: who tried is not kept in clear.
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('dashboard_login_attempts_window_idx').on('dashboard_login_attempts').column('window_start').execute();
    await db.schema.dropTable('dashboard_login_failures').execute();
  },
};
