import type { Kysely, Migration } from 'kysely';

/**
 * Issue 16: the `rcdi` digests of photos and logos nested in an RCD profile's jCard (RFC 9795 JSON pointers
 * `/jcd/1/<i>/<j>` and `/jcl/1/<i>/<j>` → digest), as canonical JSON (RFC 8225 §9) of one object. Null, the
 * value of every profile that exists before this migration, means none: such a profile's jCard could not link
 * http(s) content. Self-contained on purpose: a migration must keep doing what it did when it shipped.
 */
export const rcdNestedDigests: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('rcd_profiles').addColumn('nested_digests', 'text').execute();
  },
};
