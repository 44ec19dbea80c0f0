import { addRoutingRule, listRoutingRules, removeRoutingRule } from '../../manage/routing-rules.js';
import { optional, out, positional, required, table, type CommandTable } from '../command-kit.js';
import { accountOf, withStore } from '../resources.js';

export const ROUTE_COMMANDS: CommandTable = {
  'route add': {
    summary: 'Add a routing rule: calls to numbers starting with --prefix (none: all) go to --target, lowest --priority first.',
    options: { account: { type: 'string' }, prefix: { type: 'string' }, target: { type: 'string' }, priority: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const r = await addRoutingRule(store, account.id, { prefix: optional(ctx, 'prefix'), target: required(ctx, 'target'), priority: optional(ctx, 'priority') });
        out(ctx, r, () => `added route ${r.id}: ${r.prefix || '(any)'} → ${r.target} (priority ${r.priority})`);
      }),
  },

  'route list': {
    summary: "List an account's routing rules.",
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const rules = await listRoutingRules(store, account.id);
        out(ctx, rules, () => table([['ID', 'PREFIX', 'TARGET', 'PRIORITY'], ...rules.map((r) => [r.id, r.prefix || '(any)', r.target, String(r.priority)])]));
      }),
  },

  'route remove': {
    summary: "Remove one of the account's routing rules.",
    args: '<route id>',
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const r = await removeRoutingRule(store, account.id, positional(ctx, 0, 'route id'));
        out(ctx, r, () => `removed ${r.id}`);
      }),
  },
};
