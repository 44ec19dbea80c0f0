import { newId, notFound, requireAccount, type StoreContext } from './store-context.js';
import { guarded } from './store-errors.js';
import type { Store } from './store.js';

export type RoutingRuleQueries = Pick<Store, 'addRoutingRule' | 'removeRoutingRule' | 'listRoutingRules'>;

export function routingRuleQueries({ db, clock, changes }: StoreContext): RoutingRuleQueries {
  return {
    addRoutingRule(rule) {
      return guarded(async () => {
        const row = { id: newId('route'), account_id: rule.accountId, prefix: rule.prefix, target: rule.target, priority: rule.priority, created_at: clock.now() };
        await changes.mutate(async (trx) => {
          await requireAccount(trx, rule.accountId);
          await trx.insertInto('routing_rules').values(row).execute();
        });
        return { id: row.id, ...rule };
      });
    },

    removeRoutingRule(id) {
      return guarded(() =>
        changes.mutate(async (trx) => {
          const row = await trx.deleteFrom('routing_rules').where('id', '=', id).returningAll().executeTakeFirst();
          if (!row) throw notFound('routing rule', id, 'id');
          return { id: row.id, accountId: row.account_id, prefix: row.prefix, target: row.target, priority: Number(row.priority) };
        }),
      );
    },

    listRoutingRules(accountId) {
      return guarded(async () => {
        const rows = await db.selectFrom('routing_rules').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
        return rows.map((r) => ({ id: r.id, accountId: r.account_id, prefix: r.prefix, target: r.target, priority: Number(r.priority) }));
      });
    },
  };
}
