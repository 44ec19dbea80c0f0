import { ShakenError } from '../core/errors.js';
import type { AccountRecord } from '../core/ports.js';
import { oobPublishColumn, rphNamespacesColumn, toAccount } from './row-mapping.js';
import { newId, notFound, type StoreContext } from './store-context.js';
import { guarded, isUniqueViolation } from './store-errors.js';
import type { Store } from './store.js';

export type AccountQueries = Pick<Store, 'createAccount' | 'updateAccount' | 'getAccount' | 'listAccounts' | 'findAccountByName'>;

export function accountQueries({ db, clock, changes }: StoreContext): AccountQueries {
  const getAccount = (id: string): Promise<AccountRecord | undefined> =>
    guarded(async () => {
      const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toAccount(row);
    });

  return {
    getAccount,

    createAccount(a) {
      const row = {
        id: newId('acc'),
        name: a.name,
        default_attest: a.defaultAttest,
        max_attest: a.maxAttest,
        token_ttl_sec: a.tokenTtlSec,
        enabled: 1 as const,
        policy_mode: a.policyMode,
        non_numeric_orig: a.nonNumericOrig,
        inventory_version: 0,
        created_at: clock.now(),
      };
      return guarded(async () => {
        try {
          await changes.mutate(async (trx) => {
            await trx.insertInto('accounts').values(row).execute();
          });
        } catch (err) {
          if (isUniqueViolation(err)) {
            throw new ShakenError('ERR_REQ_CONFLICT', `account ${a.name} already exists`, { field: 'name' });
          }
          throw err;
        }
        // A new account has no rph right and does not publish out of band (migrations 010, 014: null defaults).
        return toAccount({ ...row, rph_namespaces: null, oob_publish: null });
      });
    },

    updateAccount(id, patch) {
      const set = {
        ...(patch.defaultAttest !== undefined && { default_attest: patch.defaultAttest }),
        ...(patch.maxAttest !== undefined && { max_attest: patch.maxAttest }),
        ...(patch.tokenTtlSec !== undefined && { token_ttl_sec: patch.tokenTtlSec }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled ? (1 as const) : (0 as const) }),
        ...(patch.policyMode !== undefined && { policy_mode: patch.policyMode }),
        ...(patch.nonNumericOrig !== undefined && { non_numeric_orig: patch.nonNumericOrig }),
        ...(patch.rphNamespaces !== undefined && { rph_namespaces: rphNamespacesColumn(patch.rphNamespaces) }),
        ...(patch.oobPublish !== undefined && { oob_publish: oobPublishColumn(patch.oobPublish) }),
      };
      return guarded(async () => {
        if (Object.keys(set).length === 0) {
          const current = await getAccount(id);
          if (!current) throw notFound('account', id, 'id');
          return current;
        }
        const row = await changes.mutate(async (trx) => {
          const updated = await trx.updateTable('accounts').set(set).where('id', '=', id).returningAll().executeTakeFirst();
          // Thrown inside the transaction so that the change counter is not bumped for nothing.
          if (!updated) throw notFound('account', id, 'id');
          return updated;
        });
        return toAccount(row);
      });
    },

    listAccounts() {
      return guarded(async () => {
        const rows = await db.selectFrom('accounts').selectAll().orderBy('name').execute();
        return rows.map(toAccount);
      });
    },

    findAccountByName(name) {
      return guarded(async () => {
        const row = await db.selectFrom('accounts').selectAll().where('name', '=', name).executeTakeFirst();
        return row && toAccount(row);
      });
    },
  };
}
