import type { ApiKeyRecord } from '../core/ports.js';
import { toApiKey } from './row-mapping.js';
import { newId, notFound, requireAccount, type StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store } from './store.js';

export type ApiKeyQueries = Pick<Store, 'createApiKey' | 'revokeApiKey' | 'getApiKey' | 'listApiKeys'>;

export function apiKeyQueries({ db, clock, changes }: StoreContext): ApiKeyQueries {
  const getApiKey = (id: string): Promise<ApiKeyRecord | undefined> =>
    guarded(async () => {
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toApiKey(row);
    });

  return {
    getApiKey,

    createApiKey(k) {
      return guarded(async () => {
        const row = {
          id: newId('key'),
          account_id: k.accountId,
          name: k.name,
          secret_hash: k.secretHash,
          source_kind: k.sourceKind,
          created_at: clock.now(),
          revoked_at: null,
        };
        await changes.mutate(async (trx) => {
          await requireAccount(trx, k.accountId);
          await trx.insertInto('api_keys').values(row).execute();
        });
        return toApiKey(row);
      });
    },

    /** Revoking a revoked key returns it unchanged (first revocation time kept, no change recorded). */
    revokeApiKey(id) {
      return guarded(async () => {
        const revoked = await changes.mutateIf(
          (trx) =>
            trx
              .updateTable('api_keys')
              .set({ revoked_at: clock.now() })
              .where('id', '=', id)
              .where('revoked_at', 'is', null)
              .returningAll()
              .executeTakeFirst(),
          (row) => row !== undefined,
        );
        if (revoked) return toApiKey(revoked);
        const existing = await getApiKey(id);
        if (!existing) throw notFound('api key', id, 'id');
        return existing;
      });
    },

    listApiKeys(accountId) {
      return guarded(async () => {
        let q = db.selectFrom('api_keys').selectAll();
        if (accountId !== undefined) q = q.where('account_id', '=', accountId);
        const rows = await q.orderBy('created_at').orderBy('id').execute();
        return rows.map(toApiKey);
      });
    },
  };
}
