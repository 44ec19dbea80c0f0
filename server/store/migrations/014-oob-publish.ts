import type { Kysely, Migration } from 'kysely';

/**
 * Issue 18, out-of-band SHAKEN (ATIS-1000096/1000105): whether an account's signed PASSporTs are also published
 * to the STI-CPS, and for which called-number prefixes (routes known to cross TDM). Null, the value of every
 * account that exists before this migration, means off; `*` means every destination; otherwise the prefixes
 * joined by `,`. Self-contained on purpose: a migration must keep doing what it did when it shipped.
 */
export const oobPublish: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('accounts').addColumn('oob_publish', 'text').execute();
  },
};
