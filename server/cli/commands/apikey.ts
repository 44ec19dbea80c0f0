import { createApiKey, listApiKeys, revokeApiKey } from '../../manage/api-keys.js';
import { flag, optional, out, positional, table, type CommandTable } from '../command-kit.js';
import { accountIdIfGiven, accountOf, withStore } from '../resources.js';

export const APIKEY_COMMANDS: CommandTable = {
  'apikey create': {
    summary: 'Create an API key for an account; the key is printed once.',
    options: { account: { type: 'string' }, name: { type: 'string' }, gateway: { type: 'boolean' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const { record, token } = await createApiKey(store, account.id, optional(ctx, 'name'), flag(ctx, 'gateway') ? 'gateway' : 'customer');
        out(ctx, { id: record.id, accountId: record.accountId, name: record.name, apiKey: token }, () =>
          `created API key ${record.id} for ${account.name}. It is shown only now:\n${token}`,
        );
      }),
  },

  'apikey revoke': {
    summary: 'Revoke one of the account\'s API keys (takes effect on running nodes within the change-poll interval).',
    args: '<key id>',
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const k = await revokeApiKey(store, account.id, positional(ctx, 0, 'API key id'));
        out(ctx, { id: k.id, revokedAt: k.revokedAt }, () => `revoked ${k.id}`);
      }),
  },

  'apikey list': {
    summary: 'List API keys (never their secrets).',
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const list = await listApiKeys(store, await accountIdIfGiven(ctx, store));
        out(ctx, list, () =>
          table([['ID', 'ACCOUNT', 'NAME', 'CREATED', 'REVOKED'], ...list.map((k) => [k.id, k.accountId, k.name, k.createdAt.toISOString(), k.revokedAt?.toISOString() ?? '-'])]),
        );
      }),
  },
};
