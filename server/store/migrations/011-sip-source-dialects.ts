import type { Kysely, Migration } from 'kysely';

/**
 * Issue 15, SBC dialects: how the SBC behind a SIP source wants the redirect server's 3xx written
 * (server/core/sbc-dialect.ts). One 0/1 column per quirk, every one off for the rows already there, so every
 * existing source keeps today's answers. Self-contained on purpose: a migration must keep doing what it did
 * when it shipped.
 */
export const sipSourceDialects: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    for (const column of ['identity_in_contact', 'multiple_choices', 'attestation_headers']) {
      await db.schema.alterTable('sip_sources').addColumn(column, 'integer', (c) => c.notNull().defaultTo(0)).execute();
    }
  },
};
