import type { Kysely, Migration } from 'kysely';

/**
 * Issue 12, "answered means recorded": a record shipped from the local journal carries a key naming where it
 * was journaled (segment and byte offset), so replaying a segment after a crash inserts nothing twice. Records
 * written without the journal keep it null, which a unique index allows any number of times on both engines.
 */
export const requestLogJournal: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('request_log').addColumn('journal_key', 'text').execute();
    await db.schema.createIndex('request_log_journal_key_idx').on('request_log').column('journal_key').unique().execute();
  },
};
