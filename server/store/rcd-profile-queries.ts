import { canonicalJson } from '../core/rcd/canonical-json.js';
import type { RcdClaim } from '../core/rcd/rcd-types.js';
import type { RcdProfile } from '../core/rcd/rcd-profile.js';
import type { RcdProfilesTable } from './schema.js';
import { newId, notFound, requireAccount, type StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store } from './store.js';

export type RcdProfileQueries = Pick<Store, 'addRcdProfile' | 'updateRcdProfileContent' | 'removeRcdProfile' | 'listRcdProfiles' | 'getRcdProfile'>;

function profileOf(r: RcdProfilesTable): RcdProfile {
  return {
    id: r.id,
    accountId: r.account_id,
    rcd: JSON.parse(r.rcd) as RcdClaim,
    crn: JSON.parse(r.crn) as string[],
    tns: JSON.parse(r.tns) as string[],
    prefixes: JSON.parse(r.prefixes) as string[],
    placement: r.placement,
    icnDigest: r.icn_digest,
    jclDigest: r.jcl_digest,
    nestedDigests: r.nested_digests === null ? {} : (JSON.parse(r.nested_digests) as Record<string, string>),
    contentCheckedAt: r.content_checked_at === null ? null : new Date(Number(r.content_checked_at)),
    createdAt: new Date(Number(r.created_at)),
  };
}

/** Nested-content digests as stored: canonical JSON, or null when there are none. */
function nestedColumn(d: Record<string, string> | undefined): string | null {
  return d === undefined || Object.keys(d).length === 0 ? null : canonicalJson(d);
}

export function rcdProfileQueries({ db, clock, changes }: StoreContext): RcdProfileQueries {
  return {
    addRcdProfile(p) {
      return guarded(async () => {
        const row: RcdProfilesTable = {
          id: newId('rcd'),
          account_id: p.accountId,
          rcd: canonicalJson(p.rcd),
          crn: JSON.stringify(p.crn),
          tns: JSON.stringify(p.tns),
          prefixes: JSON.stringify(p.prefixes),
          placement: p.placement,
          icn_digest: p.icnDigest,
          jcl_digest: p.jclDigest,
          nested_digests: nestedColumn(p.nestedDigests),
          content_checked_at: p.contentCheckedAt === null ? null : p.contentCheckedAt.getTime(),
          created_at: clock.now(),
        };
        await changes.mutate(async (trx) => {
          await requireAccount(trx, p.accountId);
          await trx.insertInto('rcd_profiles').values(row).execute();
        });
        return profileOf(row);
      });
    },

    updateRcdProfileContent(id, content) {
      return guarded(() =>
        changes.mutate(async (trx) => {
          const row = await trx
            .updateTable('rcd_profiles')
            .set({ icn_digest: content.icnDigest, jcl_digest: content.jclDigest, nested_digests: nestedColumn(content.nestedDigests), content_checked_at: content.checkedAt.getTime() })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirst();
          if (!row) throw notFound('RCD profile', id, 'id');
          return profileOf(row);
        }),
      );
    },

    removeRcdProfile(id) {
      return guarded(() =>
        changes.mutate(async (trx) => {
          const row = await trx.deleteFrom('rcd_profiles').where('id', '=', id).returningAll().executeTakeFirst();
          if (!row) throw notFound('RCD profile', id, 'id');
          return profileOf(row);
        }),
      );
    },

    listRcdProfiles(accountId) {
      return guarded(async () => {
        const rows = await db.selectFrom('rcd_profiles').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
        return rows.map(profileOf);
      });
    },

    getRcdProfile(id) {
      return guarded(async () => {
        const row = await db.selectFrom('rcd_profiles').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? profileOf(row) : undefined;
      });
    },
  };
}
