import { systemClock } from '../../core/ports.js';
import type { RcdProfile } from '../../core/rcd/rcd-profile.js';
import { addRcdProfile, listRcdProfiles, ownedRcdProfile, refreshRcdProfile, removeRcdProfile } from '../../manage/rcd-profiles.js';
import { createConfiguredFetcher } from '../../verify-fetch/node-verifier.js';
import { many, optional, out, positional, required, table, UsageError, type CommandContext, type CommandTable } from '../command-kit.js';
import { accountOf, withStore } from '../resources.js';

/** The fetcher under `verify.*` limits (https only, no private addresses unless the lab switch), as a node uses. */
function contentDeps(ctx: CommandContext) {
  return { fetcher: createConfiguredFetcher(ctx.config), clock: systemClock };
}

function jcdOf(ctx: CommandContext): unknown {
  const raw = optional(ctx, 'jcd');
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new UsageError('--jcd must be a jCard in JSON: ["vcard",[["version",{},"text","4.0"],["fn",{},"text","…"]]]');
  }
}

function describe(p: RcdProfile): string {
  const lines = [
    `${p.id}: "${p.rcd.nam}" in the ${p.placement} PASSporT`,
    `  numbers:  ${[...p.tns, ...p.prefixes.map((x) => `${x}…`)].join(', ')}`,
    `  reasons:  ${p.crn.length ? p.crn.map((c) => JSON.stringify(c)).join(', ') : '(none)'}`,
  ];
  if (p.rcd.icn) lines.push(`  logo:     ${p.rcd.icn} ${p.icnDigest ?? '(not fetched)'}`);
  if (p.rcd.jcl) lines.push(`  jCard:    ${p.rcd.jcl} ${p.jclDigest ?? '(not fetched)'}`);
  if (p.rcd.jcd) lines.push('  jCard:    inline');
  for (const [pointer, digest] of Object.entries(p.nestedDigests ?? {})) lines.push(`  in card:  ${pointer} ${digest}`);
  if (p.contentCheckedAt) lines.push(`  fetched:  ${p.contentCheckedAt.toISOString()}`);
  return lines.join('\n');
}

export const RCD_COMMANDS: CommandTable = {
  'rcd add': {
    summary:
      'Vet a brand (RFC 9795 Rich Call Data) for an account: --nam (shown name), --icn (logo https URL), --jcl (jCard URL) or --jcd (inline jCard JSON), --crn (allowed call reason, repeatable), --tn/--prefix (calling numbers it may be used for, repeatable), --placement shaken|rcd. Linked content is fetched and digested now.',
    options: {
      account: { type: 'string' },
      nam: { type: 'string' },
      apn: { type: 'string' },
      icn: { type: 'string' },
      jcl: { type: 'string' },
      jcd: { type: 'string' },
      crn: { type: 'string', multiple: true },
      tn: { type: 'string', multiple: true },
      prefix: { type: 'string', multiple: true },
      placement: { type: 'string' },
    },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const rcd = { nam: required(ctx, 'nam'), apn: optional(ctx, 'apn'), icn: optional(ctx, 'icn'), jcl: optional(ctx, 'jcl'), jcd: jcdOf(ctx) };
        const input = { rcd, crn: many(ctx, 'crn'), tns: many(ctx, 'tn'), prefixes: many(ctx, 'prefix'), placement: optional(ctx, 'placement') };
        const p = await addRcdProfile(store, account.id, input, contentDeps(ctx));
        out(ctx, p, () => `added RCD profile ${describe(p)}`);
      }),
  },

  'rcd list': {
    summary: "List an account's RCD profiles (vetted brands).",
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const profiles = await listRcdProfiles(store, account.id);
        out(ctx, profiles, () =>
          table([['ID', 'NAME', 'PLACEMENT', 'NUMBERS', 'REASONS'], ...profiles.map((p) => [p.id, p.rcd.nam, p.placement, String(p.tns.length + p.prefixes.length), String(p.crn.length)])]),
        );
      }),
  },

  'rcd show': {
    summary: 'Show one RCD profile.',
    args: '<profile id>',
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const p = await ownedRcdProfile(store, account.id, positional(ctx, 0, 'profile id'));
        out(ctx, p, () => describe(p));
      }),
  },

  'rcd refresh': {
    summary: "Fetch an RCD profile's logo and jCard again and keep their new digests (rcdi) for signing.",
    args: '<profile id>',
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const p = await refreshRcdProfile(store, account.id, positional(ctx, 0, 'profile id'), contentDeps(ctx));
        out(ctx, p, () => `refreshed ${describe(p)}`);
      }),
  },

  'rcd remove': {
    summary: 'Remove an RCD profile: the account can no longer sign that brand.',
    args: '<profile id>',
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await accountOf(ctx, store);
        const p = await removeRcdProfile(store, account.id, positional(ctx, 0, 'profile id'));
        out(ctx, p, () => `removed ${p.id}`);
      }),
  },
};
