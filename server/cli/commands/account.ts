import { createAccount, findAccount, updateAccount } from '../../manage/accounts.js';
import { UsageError, flag, optional, out, positional, table, type CommandTable } from '../command-kit.js';
import { withStore } from '../resources.js';

/** `--rph ets,wps` grants those namespaces; `--rph none` clears the grant (an empty argument is easy to lose in a shell). */
function rphOption(value: string | undefined): string | string[] | undefined {
  return value?.trim().toLowerCase() === 'none' ? [] : value;
}

/** `--oob-publish on` (every destination), `off`, or called-number prefixes `1404,1202` (routes that cross TDM). */
function oobPublishOption(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  return v === 'on' ? { destPrefixes: [] } : v === 'off' ? null : { destPrefixes: v.split(',').map((x) => x.trim()).filter((x) => x !== '') };
}

function oobText(publish: { destPrefixes: readonly string[] } | undefined): string {
  return publish === undefined ? 'off' : publish.destPrefixes.length === 0 ? 'all' : publish.destPrefixes.join(',');
}

function rphText(namespaces: readonly string[] | undefined): string {
  return namespaces && namespaces.length > 0 ? namespaces.join(',') : 'none';
}

export const ACCOUNT_COMMANDS: CommandTable = {
  'account create': {
    summary: 'Create an account.',
    args: '<name>',
    options: { default: { type: 'string' }, max: { type: 'string' }, ttl: { type: 'string' }, mode: { type: 'string' }, 'non-numeric': { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const a = await createAccount(store, {
          name: positional(ctx, 0, 'account name'),
          defaultAttest: optional(ctx, 'default'),
          maxAttest: optional(ctx, 'max'),
          tokenTtlSec: optional(ctx, 'ttl'),
          policyMode: optional(ctx, 'mode'),
          nonNumericOrig: optional(ctx, 'non-numeric'),
        });
        out(ctx, a, () => `created account ${a.name} (${a.id}): default ${a.defaultAttest}, maximum ${a.maxAttest}, token TTL ${a.tokenTtlSec} s, policy ${a.policyMode}`);
      }),
  },

  'account update': {
    summary: 'Change an account: attestation default/maximum, token TTL, policy mode, non-numeric callers, priority-call (rph) namespaces, out-of-band publishing (--oob-publish on|off|1404,1202), enabled.',
    args: '<name|id>',
    options: {
      default: { type: 'string' },
      max: { type: 'string' },
      ttl: { type: 'string' },
      mode: { type: 'string' },
      'non-numeric': { type: 'string' },
      rph: { type: 'string' },
      'oob-publish': { type: 'string' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
    },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        if (flag(ctx, 'enable') && flag(ctx, 'disable')) throw new UsageError('give --enable or --disable, not both');
        const before = await findAccount(store, positional(ctx, 0, 'account name'));
        const a = await updateAccount(store, before, {
          defaultAttest: optional(ctx, 'default'),
          maxAttest: optional(ctx, 'max'),
          tokenTtlSec: optional(ctx, 'ttl'),
          policyMode: optional(ctx, 'mode'),
          nonNumericOrig: optional(ctx, 'non-numeric'),
          rphNamespaces: rphOption(optional(ctx, 'rph')),
          oobPublish: oobPublishOption(optional(ctx, 'oob-publish')),
          enabled: flag(ctx, 'enable') ? true : flag(ctx, 'disable') ? false : undefined,
        });
        out(ctx, a, () => `updated ${a.name}: default ${a.defaultAttest}, maximum ${a.maxAttest}, TTL ${a.tokenTtlSec} s, policy ${a.policyMode}, non-numeric ${a.nonNumericOrig}, rph ${rphText(a.rphNamespaces)}, out-of-band ${oobText(a.oobPublish)}, ${a.enabled ? 'enabled' : 'disabled'}`);
      }),
  },

  'account list': {
    summary: 'List accounts.',
    options: {},
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const list = await store.listAccounts();
        out(ctx, list, () =>
          table([['ID', 'NAME', 'DEFAULT', 'MAX', 'TTL', 'POLICY', 'NON-NUMERIC', 'RPH', 'OOB', 'ENABLED'], ...list.map((a) => [a.id, a.name, a.defaultAttest, a.maxAttest, String(a.tokenTtlSec), a.policyMode, a.nonNumericOrig, rphText(a.rphNamespaces), oobText(a.oobPublish), String(a.enabled)])]),
        );
      }),
  },
};
