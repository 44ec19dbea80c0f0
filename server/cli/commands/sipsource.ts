import { systemClock } from '../../core/ports.js';
import type { SbcDialect } from '../../core/sbc-dialect.js';
import { addSipSource, listSipSources, removeSipSource, setSipSourceDialect } from '../../manage/sip-sources.js';
import { CLI_ACTOR, flag, out, required, table, type CommandContext, type CommandTable } from '../command-kit.js';
import { accountOf, withStore } from '../resources.js';

/** The SBC dialect flags (docs/sip-redirect-server.md#sbc-dialects), each a quirk that is off unless given. */
const DIALECT_OPTIONS = { 'identity-in-contact': { type: 'boolean' }, 'multiple-choices': { type: 'boolean' }, 'attestation-headers': { type: 'boolean' } } as const;

function dialectOf(ctx: CommandContext): SbcDialect {
  return { identityInContact: flag(ctx, 'identity-in-contact'), multipleChoices: flag(ctx, 'multiple-choices'), attestationHeaders: flag(ctx, 'attestation-headers') };
}

/** The quirks that are on, by their flag names; `plain` when none is. */
function dialectText(d: SbcDialect | undefined): string {
  const on = [d?.identityInContact && 'identity-in-contact', d?.multipleChoices && 'multiple-choices', d?.attestationHeaders && 'attestation-headers'].filter(Boolean);
  return on.length > 0 ? on.join(',') : 'plain';
}

export const SIPSOURCE_COMMANDS: CommandTable = {
  'sipsource add': {
    summary:
      "Let SIP requests from an address or block (--cidr) belong to the account; --gateway marks an interconnect (attestation C at most); --allow-overlap lets it overlap another account's block (audited); --identity-in-contact, --multiple-choices, --attestation-headers set the SBC dialect.",
    options: { account: { type: 'string' }, cidr: { type: 'string' }, gateway: { type: 'boolean' }, 'allow-overlap': { type: 'boolean' }, ...DIALECT_OPTIONS },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const input = { cidr: required(ctx, 'cidr'), sourceKind: flag(ctx, 'gateway') ? 'gateway' : 'customer', allowOverlap: flag(ctx, 'allow-overlap'), dialect: dialectOf(ctx) };
        const { source: s, overlaps } = await addSipSource(store, account.id, input, { actor: CLI_ACTOR, clock: systemClock });
        out(ctx, overlaps.length > 0 ? { ...s, overlaps } : s, () =>
          `added SIP source ${s.cidr} (${s.sourceKind}, dialect ${dialectText(s.dialect)}) to ${account.name}` +
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
        out(ctx, sources, () => table([['CIDR', 'KIND', 'DIALECT'], ...sources.map((s) => [s.cidr, s.sourceKind, dialectText(s.dialect)])]));
      }),
  },

  'sipsource dialect': {
    summary: "Set the SBC dialect of one of the account's SIP source blocks: exactly the quirks given (--identity-in-contact, --multiple-choices, --attestation-headers) are on; none given is the plain dialect.",
    options: { account: { type: 'string' }, cidr: { type: 'string' }, ...DIALECT_OPTIONS },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const s = await setSipSourceDialect(store, account.id, required(ctx, 'cidr'), dialectOf(ctx));
        out(ctx, s, () => `SIP source ${s.cidr} of ${account.name}: dialect ${dialectText(s.dialect)}`);
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
