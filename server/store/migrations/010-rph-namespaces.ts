import type { Kysely, Migration } from 'kysely';

/**
 * Issue 15, priority calls (RFC 8443 rph PASSporTs): the Resource-Priority namespaces an operator granted an
 * account, lower-case, joined by `,` (`ets,wps`). Null, the value of every account that exists before this
 * migration, means none: signing an rph PASSporT stays refused until an operator grants it.
 * Self-contained on purpose: a migration must keep doing what it did when it shipped.
 */
export const rphNamespaces: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('accounts').addColumn('rph_namespaces', 'text').execute();
  },
};
