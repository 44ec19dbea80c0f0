import { systemClock } from '../../core/ports.js';
import { addSipSource, listSipSources, removeSipSource } from '../../manage/sip-sources.js';
import { CLI_ACTOR, flag, out, required, table, type CommandTable } from '../command-kit.js';
import { accountOf, withStore } from '../resources.js';

export const SIPSOURCE_COMMANDS: CommandTable = {
  'sipsource add': {
    summary: "Let SIP requests from an address or block (--cidr) belong to the account; --gateway marks an interconnect (attestation C at most); --allow-overlap lets it overlap another account's block (audited).",
    options: { account: { type: 'string' }, cidr: { type: 'string' }, gateway: { type: 'boolean' }, 'allow-overlap': { type: 'boolean' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const input = { cidr: required(ctx, 'cidr'), sourceKind: flag(ctx, 'gateway') ? 'gateway' : 'customer', allowOverlap: flag(ctx, 'allow-overlap') };
        const { source: s, overlaps } = await addSipSource(store, account.id, input, { actor: CLI_ACTOR, clock: systemClock });
        out(ctx, overlaps.length > 0 ? { ...s, overlaps } : s, () =>
          `added SIP source ${s.cidr} (${s.sourceKind}) to ${account.name}` +
          overlaps.map((o) => `\n  overlaps ${o.cidr} of account ${o.accountId} (allowed; recorded in the audit log)`).join(''),
        );
      }),
  },

  'sipsource list': {
    summary: "List an account's SIP source addresses.",
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const sources = await listSipSources(store, account.id);
        out(ctx, sources, () => table([['CIDR', 'KIND'], ...sources.map((s) => [s.cidr, s.sourceKind])]));
      }),
  },

  'sipsource remove': {
    summary: "Remove one of the account's SIP source addresses.",
    options: { account: { type: 'string' }, cidr: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const s = await removeSipSource(store, account.id, required(ctx, 'cidr'));
        out(ctx, s, () => `removed SIP source ${s.cidr}`);
      }),
  },
};
