import { toCredential } from './row-mapping.js';
import { newId, requireAccount, type StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store } from './store.js';

export type CredentialQueries = Pick<Store, 'addCredential' | 'getCredential' | 'getActiveCredential' | 'listCredentials'>;

export function credentialQueries({ db, clock, changes }: StoreContext): CredentialQueries {
  return {
    addCredential(c) {
      return guarded(async () => {
        const now = clock.now();
        const row = {
          id: newId('cred'),
          account_id: c.accountId,
          key_ref: c.keyRef,
          chain_pem: c.chainPem,
          x5u: c.x5u,
          state: 'active' as const,
          created_at: now,
          retired_at: null,
        };
        await changes.mutate(async (trx) => {
          await requireAccount(trx, c.accountId);
          // Retire first: the partial unique index allows one active credential per account at any instant.
          await trx
            .updateTable('credentials')
            .set({ state: 'retired', retired_at: now })
            .where('account_id', '=', c.accountId)
            .where('state', '=', 'active')
            .execute();
          await trx.insertInto('credentials').values(row).execute();
        });
        return toCredential(row);
      });
    },

    getCredential(id) {
      return guarded(async () => {
        const row = await db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
        return row && toCredential(row);
      });
    },

    getActiveCredential(accountId) {
      return guarded(async () => {
        const row = await db
          .selectFrom('credentials')
          .selectAll()
          .where('account_id', '=', accountId)
          .where('state', '=', 'active')
          .executeTakeFirst();
        return row && toCredential(row);
      });
    },

    listCredentials(accountId) {
      return guarded(async () => {
        let q = db.selectFrom('credentials').selectAll();
        if (accountId !== undefined) q = q.where('account_id', '=', accountId);
        const rows = await q.orderBy('created_at').orderBy('id').execute();
        return rows.map(toCredential);
      });
    },
  };
}
