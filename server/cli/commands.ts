import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { parseCertificateChain, daysUntilExpiry } from '../core/cert-chain.js';
import { isHostedX5u, resolveX5u } from '../core/certificate-publisher.js';
import { ShakenError } from '../core/errors.js';
import { systemClock } from '../core/ports.js';
import { createSigningService } from '../core/sign-service.js';
import { redactedConfig, resolvePublicUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openKeyStores, openPkcs11, pkcs11Options, type KeyStores } from '../key-stores.js';
import { hsmKeyOf } from '../../hsm/pkcs11/pkcs11-uri.js';
import type { Pkcs11KeyStore } from '../../hsm/pkcs11/pkcs11-store.js';
import { createAccount, findAccount, updateAccount } from '../manage/accounts.js';
import { exportInventory, importInventory, parseInventoryLine, readLines } from '../manage/inventory.js';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createApiKey } from '../manage/api-keys.js';
import { addRoutingRule } from '../manage/routing-rules.js';
import { addSipSource, listSipSources, removeSipSource } from '../manage/sip-sources.js';
import { importCredential } from '../manage/credentials.js';
import { storeOptions } from '../config/store-options.js';
import { openStore } from '../store/open-store.js';
import { RequestLogWriter } from '../store/request-log-writer.js';
import type { Store } from '../store/store.js';
import { VERIFY_COMMANDS } from './verify-commands.js';
import { CLI_ACTOR, USER_COMMANDS } from './user-commands.js';

export class UsageError extends Error {}

export interface CommandContext {
  config: Config;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
}

export interface Command {
  summary: string;
  args?: string;
  options: ParseArgsConfig['options'];
  /** A number is the exit code (verify: 1 when the token fails); nothing means 0. */
  run(ctx: CommandContext): Promise<void | number>;
}

export function out(ctx: CommandContext, data: unknown, text: () => string): void {
  process.stdout.write(ctx.json ? JSON.stringify(data, null, 2) + '\n' : text() + '\n');
}

function required(ctx: CommandContext, name: string): string {
  const v = ctx.values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function positional(ctx: CommandContext, index: number, what: string): string {
  const v = ctx.positionals[index];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

export async function withStore<T>(ctx: CommandContext, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeOptions(ctx.config));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function withKeys<T>(ctx: CommandContext, work: (store: Store, keys: KeyStores) => Promise<T>): Promise<T> {
  return withStore(ctx, async (store) => {
    const keys = await openKeyStores(ctx.config, store);
    try {
      return await work(store, keys);
    } finally {
      await keys.router.close();
    }
  });
}

/** The PKCS#11 store alone (no database): `tokens` names the ones to open, default the configured ones. */
async function withPkcs11<T>(ctx: CommandContext, tokens: string[] | undefined, work: (hsm: Pkcs11KeyStore) => Promise<T>): Promise<T> {
  const hsm = await openPkcs11(await pkcs11Options(ctx.config, tokens));
  try {
    return await work(hsm);
  } finally {
    await hsm.close();
  }
}

/**
 * A credential's x5u as a node with this configuration publishes it. A hosted one is stored as a path, and each
 * serving node puts its own publicUrl in front: this CLI's setting only decides what is shown here.
 */
function shownX5u(config: Config, stored: string): string {
  return resolveX5u(stored, resolvePublicUrl(config, config.http.port));
}

async function readText(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
}

export const table = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
};

export const COMMANDS: Record<string, Command> = {
  serve: { summary: 'Run the service (HTTP API, x5u hosting).', options: {}, run: async () => undefined },

  'account create': {
    summary: 'Create an account.',
    args: '<name>',
    options: { default: { type: 'string' }, max: { type: 'string' }, ttl: { type: 'string' }, mode: { type: 'string' }, 'non-numeric': { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const a = await createAccount(store, {
          name: positional(ctx, 0, 'account name'),
          defaultAttest: ctx.values.default,
          maxAttest: ctx.values.max,
          tokenTtlSec: ctx.values.ttl,
          policyMode: ctx.values.mode,
          nonNumericOrig: ctx.values['non-numeric'],
        });
        out(ctx, a, () => `created account ${a.name} (${a.id}): default ${a.defaultAttest}, maximum ${a.maxAttest}, token TTL ${a.tokenTtlSec} s, policy ${a.policyMode}`);
      }),
  },

  'account update': {
    summary: 'Change an account: attestation default/maximum, token TTL, policy mode, non-numeric callers, enabled.',
    args: '<name|id>',
    options: {
      default: { type: 'string' },
      max: { type: 'string' },
      ttl: { type: 'string' },
      mode: { type: 'string' },
      'non-numeric': { type: 'string' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
    },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        if (ctx.values.enable && ctx.values.disable) throw new UsageError('give --enable or --disable, not both');
        const before = await findAccount(store, positional(ctx, 0, 'account name'));
        const a = await updateAccount(store, before, {
          defaultAttest: ctx.values.default,
          maxAttest: ctx.values.max,
          tokenTtlSec: ctx.values.ttl,
          policyMode: ctx.values.mode,
          nonNumericOrig: ctx.values['non-numeric'],
          enabled: ctx.values.enable ? true : ctx.values.disable ? false : undefined,
        });
        out(ctx, a, () => `updated ${a.name}: default ${a.defaultAttest}, maximum ${a.maxAttest}, TTL ${a.tokenTtlSec} s, policy ${a.policyMode}, non-numeric ${a.nonNumericOrig}, ${a.enabled ? 'enabled' : 'disabled'}`);
      }),
  },

  'account list': {
    summary: 'List accounts.',
    options: {},
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const list = await store.listAccounts();
        out(ctx, list, () =>
          table([['ID', 'NAME', 'DEFAULT', 'MAX', 'TTL', 'POLICY', 'NON-NUMERIC', 'ENABLED'], ...list.map((a) => [a.id, a.name, a.defaultAttest, a.maxAttest, String(a.tokenTtlSec), a.policyMode, a.nonNumericOrig, String(a.enabled)])]),
        );
      }),
  },

  'apikey create': {
    summary: 'Create an API key for an account; the key is printed once.',
    options: { account: { type: 'string' }, name: { type: 'string' }, gateway: { type: 'boolean' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const { record, token } = await createApiKey(store, account.id, (ctx.values.name as string | undefined) ?? 'default', ctx.values.gateway ? 'gateway' : 'customer');
        out(ctx, { id: record.id, accountId: record.accountId, name: record.name, apiKey: token }, () =>
          `created API key ${record.id} for ${account.name}. It is shown only now:\n${token}`,
        );
      }),
  },

  'apikey revoke': {
    summary: 'Revoke an API key (takes effect on running nodes within the change-poll interval).',
    args: '<key id>',
    options: {},
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const k = await store.revokeApiKey(positional(ctx, 0, 'API key id'));
        out(ctx, { id: k.id, revokedAt: k.revokedAt }, () => `revoked ${k.id}`);
      }),
  },

  'apikey list': {
    summary: 'List API keys (never their secrets).',
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const accountId = ctx.values.account ? (await findAccount(store, ctx.values.account as string)).id : undefined;
        const list = (await store.listApiKeys(accountId)).map(({ secretHash: _omit, ...k }) => k);
        out(ctx, list, () =>
          table([['ID', 'ACCOUNT', 'NAME', 'CREATED', 'REVOKED'], ...list.map((k) => [k.id, k.accountId, k.name, k.createdAt.toISOString(), k.revokedAt?.toISOString() ?? '-'])]),
        );
      }),
  },

  'inventory import': {
    summary: 'Import TN inventory from CSV (kind,value,count); all rows or none. --replace drops entries not in the file.',
    options: { account: { type: 'string' }, file: { type: 'string' }, replace: { type: 'boolean' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const file = required(ctx, 'file');
        const r = await importInventory(store, account.id, () => readLines(file), { replace: ctx.values.replace === true });
        if (r.errorCount > 0) {
          const shown = r.errors.map((e) => `  line ${e.line}: ${e.reason}`).join('\n');
          throw new ShakenError('ERR_REQ_FIELD_INVALID', `${r.errorCount} bad row(s), nothing imported:\n${shown}${r.errorCount > r.errors.length ? `\n  ... and ${r.errorCount - r.errors.length} more` : ''}`, { field: 'file' });
        }
        out(ctx, { imported: r.imported, total: await store.countInventory(account.id) }, () => `imported ${r.imported} entries into ${account.name}`);
      }),
  },

  'inventory export': {
    summary: 'Write the TN inventory as CSV to stdout (or --out file).',
    options: { account: { type: 'string' }, out: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const target = ctx.values.out ? createWriteStream(ctx.values.out as string) : process.stdout;
        for await (const line of exportInventory(store, account.id)) {
          if (!target.write(line + '\n')) await once(target, 'drain');
        }
        if (target !== process.stdout) await new Promise((r) => (target as WriteStream).end(r));
      }),
  },

  'inventory add': {
    summary: 'Add numbers (--tn), a range (--range START,COUNT) or a prefix (--prefix) to the TN inventory.',
    options: { account: { type: 'string' }, tn: { type: 'string', multiple: true }, range: { type: 'string', multiple: true }, prefix: { type: 'string', multiple: true } },
    run: (ctx) => changeInventory(ctx, 'add'),
  },

  'inventory remove': {
    summary: 'Remove entries from the TN inventory (same options as add).',
    options: { account: { type: 'string' }, tn: { type: 'string', multiple: true }, range: { type: 'string', multiple: true }, prefix: { type: 'string', multiple: true } },
    run: (ctx) => changeInventory(ctx, 'remove'),
  },

  'route add': {
    summary: 'Add a routing rule: calls to numbers starting with --prefix (none: all) go to --target, lowest --priority first.',
    options: { account: { type: 'string' }, prefix: { type: 'string' }, target: { type: 'string' }, priority: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const r = await addRoutingRule(store, account.id, { prefix: ctx.values.prefix, target: required(ctx, 'target'), priority: ctx.values.priority });
        out(ctx, r, () => `added route ${r.id}: ${r.prefix || '(any)'} → ${r.target} (priority ${r.priority})`);
      }),
  },

  'route list': {
    summary: "List an account's routing rules.",
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const rules = await store.listRoutingRules(account.id);
        out(ctx, rules, () => table([['ID', 'PREFIX', 'TARGET', 'PRIORITY'], ...rules.map((r) => [r.id, r.prefix || '(any)', r.target, String(r.priority)])]));
      }),
  },

  'route remove': {
    summary: 'Remove a routing rule.',
    args: '<route id>',
    options: {},
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const r = await store.removeRoutingRule(positional(ctx, 0, 'route id'));
        out(ctx, r, () => `removed ${r.id}`);
      }),
  },

  'sipsource add': {
    summary: "Let SIP requests from an address or block (--cidr) belong to the account; --gateway marks an interconnect (attestation C at most); --allow-overlap lets it overlap another account's block (audited).",
    options: { account: { type: 'string' }, cidr: { type: 'string' }, gateway: { type: 'boolean' }, 'allow-overlap': { type: 'boolean' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const grant = ctx.values['allow-overlap'] === true ? { actor: CLI_ACTOR, clock: systemClock } : undefined;
        const { source: s, overlaps } = await addSipSource(store, account.id, { cidr: required(ctx, 'cidr'), sourceKind: ctx.values.gateway ? 'gateway' : 'customer' }, grant);
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
        const account = await findAccount(store, required(ctx, 'account'));
        const sources = await listSipSources(store, account.id);
        out(ctx, sources, () => table([['CIDR', 'KIND'], ...sources.map((s) => [s.cidr, s.sourceKind])]));
      }),
  },

  'sipsource remove': {
    summary: 'Remove one of the account\'s SIP source addresses.',
    options: { account: { type: 'string' }, cidr: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const s = await removeSipSource(store, account.id, required(ctx, 'cidr'));
        out(ctx, s, () => `removed SIP source ${s.cidr}`);
      }),
  },

  'credential import': {
    summary: 'Import a certificate chain with its key (PEM file or key reference); it becomes the active credential.',
    options: { account: { type: 'string' }, chain: { type: 'string' }, key: { type: 'string' }, 'key-ref': { type: 'string' }, x5u: { type: 'string' } },
    run: (ctx) =>
      withKeys(ctx, async (store, keys) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const chainPem = await readText(required(ctx, 'chain'), 'chain');
        const keyPath = ctx.values.key as string | undefined;
        const c = await importCredential(
          { store, software: keys.software, keys: keys.router, nowMs: Date.now() },
          {
            accountId: account.id,
            chainPem,
            keyPem: keyPath ? await readText(keyPath, 'key') : undefined,
            keyRef: ctx.values['key-ref'] as string | undefined,
            x5u: ctx.values.x5u as string | undefined,
          },
        );
        const x5u = shownX5u(ctx.config, c.x5u);
        out(ctx, { id: c.id, accountId: c.accountId, keyRef: c.keyRef, x5u, hosted: isHostedX5u(c.x5u), state: c.state }, () =>
          `imported credential ${c.id} for ${account.name} (key ${c.keyRef}); x5u ${x5u}${isHostedX5u(c.x5u) ? ' (hosted: each node serves it under its own publicUrl)' : ''}`,
        );
      }),
  },

  'credential list': {
    summary: 'List credentials with certificate details and days to expiry.',
    options: { account: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const accountId = ctx.values.account ? (await findAccount(store, ctx.values.account as string)).id : undefined;
        const now = Date.now();
        const list = (await store.listCredentials(accountId)).map((c) => {
          const leaf = parseCertificateChain(c.chainPem).leaf;
          const hsm = hsmKeyOf(c.keyRef) ?? null;
          return { id: c.id, accountId: c.accountId, state: c.state, keyRef: c.keyRef, hsm, x5u: shownX5u(ctx.config, c.x5u), hosted: isHostedX5u(c.x5u), subject: leaf.subject, spc: leaf.spc, notAfter: leaf.notAfter, daysLeft: daysUntilExpiry(leaf, now) };
        });
        const keyColumn = (c: (typeof list)[number]) => (c.hsm ? `hsm ${c.hsm.token}/${c.hsm.label ?? c.hsm.id}` : c.keyRef.startsWith('soft:') ? 'software' : c.keyRef);
        out(ctx, list, () =>
          table([['ID', 'ACCOUNT', 'STATE', 'KEY', 'SPC', 'EXPIRES', 'DAYS', 'X5U'], ...list.map((c) => [c.id, c.accountId, c.state, keyColumn(c), c.spc ?? '-', c.notAfter.toISOString().slice(0, 10), String(c.daysLeft) + (c.daysLeft < 30 ? ' (!)' : ''), c.x5u])]),
        );
      }),
  },

  'hsm keygen': {
    summary: 'Generate a P-256 key inside a PKCS#11 token (sensitive, never extractable) and print its key reference.',
    options: { token: { type: 'string' }, label: { type: 'string' }, id: { type: 'string' } },
    run: async (ctx) => {
      const token = required(ctx, 'token');
      const label = required(ctx, 'label');
      const idHex = ctx.values.id as string | undefined;
      if (idHex !== undefined && !/^(?:[0-9a-fA-F]{2})+$/.test(idHex)) throw new UsageError('--id must be hex bytes, e.g. 0102');
      await withPkcs11(ctx, [token], async (hsm) => {
        const ref = await hsm.generate({ token, label, id: idHex === undefined ? undefined : Buffer.from(idHex, 'hex') });
        out(ctx, { token, label, ref }, () => `generated key "${label}" on token "${token}": ${ref}\nafter your STI-CA issues its certificate: shakenstack credential import --account <name> --chain chain.pem --key-ref '${ref}'`);
      });
    },
  },

  'hsm list': {
    summary: 'List the EC keys on PKCS#11 tokens (default: the configured ones) with the key reference of each.',
    options: { token: { type: 'string' } },
    run: (ctx) =>
      withPkcs11(ctx, ctx.values.token ? [ctx.values.token as string] : undefined, async (hsm) => {
        const keys = await hsm.listKeys();
        out(ctx, keys, () =>
          table([['TOKEN', 'LABEL', 'ID', 'SENSITIVE', 'EXTRACTABLE', 'REF'], ...keys.map((k) => [k.token, k.label, k.id, String(k.sensitive), String(k.extractable), k.ref])]),
        );
      }),
  },

  'pki init': {
    summary: 'Create a test PKI (root, intermediate, SHAKEN leaf with TNAuthList) in a folder. Not for production.',
    options: { out: { type: 'string' }, spc: { type: 'string' }, org: { type: 'string' } },
    run: async (ctx) => {
      const dir = resolve(required(ctx, 'out'));
      const { createLabPki: createTestPki } = await import('../pki/lab-pki.js');
      const pki = await createTestPki({ spc: ctx.values.spc as string | undefined, organization: ctx.values.org as string | undefined });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const files: [string, string, number][] = [
        ['root.pem', pki.root.certPem, 0o644],
        ['root.key', pki.root.keyPem, 0o600],
        ['intermediate.pem', pki.intermediate.certPem, 0o644],
        ['intermediate.key', pki.intermediate.keyPem, 0o600],
        ['leaf.pem', pki.leaf.certPem, 0o644],
        ['leaf.key', pki.leaf.keyPem, 0o600],
        ['chain.pem', pki.chainPem, 0o644],
      ];
      for (const [name, text, mode] of files) await writeFile(join(dir, name), text, { mode });
      out(ctx, { dir, files: files.map((f) => f[0]) }, () =>
        `wrote ${files.map((f) => f[0]).join(', ')} to ${dir}\nimport with: shakenstack credential import --account <name> --chain ${join(dir, 'chain.pem')} --key ${join(dir, 'leaf.key')}`,
      );
    },
  },

  sign: {
    summary: 'Sign one call with an account\'s credential and print the Identity header.',
    options: { account: { type: 'string' }, orig: { type: 'string' }, dest: { type: 'string' }, attest: { type: 'string' }, origid: { type: 'string' } },
    run: (ctx) =>
      withKeys(ctx, async (store, keys) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const log = new RequestLogWriter(store, { flushIntervalMs: 1000, maxBatch: 100 });
        const publicUrl = resolvePublicUrl(ctx.config, ctx.config.http.port);
        const signing = createSigningService({ directory: store, keys: keys.router, clock: systemClock, log, cacheTtlMs: 1000, publicUrl: () => publicUrl });
        try {
          const r = await signing.signAs({ accountId: account.id, transport: 'cli', sourceKind: 'customer' }, {
            orig: { tn: required(ctx, 'orig') },
            dest: { tn: required(ctx, 'dest').split(',') },
            attest: ctx.values.attest,
            origid: ctx.values.origid,
          });
          out(ctx, r, () => r.identity);
        } finally {
          await log.close();
        }
      }),
  },

  ...VERIFY_COMMANDS,

  ...USER_COMMANDS,

  config: {
    summary: 'Print the effective configuration (secrets masked).',
    options: {},
    run: async (ctx) => out(ctx, redactedConfig(ctx.config), () => JSON.stringify(redactedConfig(ctx.config), null, 2)),
  },
};

async function changeInventory(ctx: CommandContext, op: 'add' | 'remove'): Promise<void> {
  const lines = [
    ...((ctx.values.tn as unknown as string[] | undefined) ?? []).map((v) => `tn,${v}`),
    ...((ctx.values.range as unknown as string[] | undefined) ?? []).map((v) => `range,${v}`),
    ...((ctx.values.prefix as unknown as string[] | undefined) ?? []).map((v) => `prefix,${v}`),
  ];
  if (lines.length === 0) throw new UsageError('give at least one --tn, --range or --prefix');
  const entries = lines.map((l) => parseInventoryLine(l));
  await withStore(ctx, async (store) => {
    const account = await findAccount(store, required(ctx, 'account'));
    if (op === 'add') await store.addInventory(account.id, entries);
    const removed = op === 'remove' ? await store.removeInventory(account.id, entries) : 0;
    const total = await store.countInventory(account.id);
    out(ctx, { op, entries: entries.length, removed, total }, () => (op === 'add' ? `added ${entries.length}` : `removed ${removed}`) + ` (inventory of ${account.name}: ${total} entries)`);
  });
}

export function usage(name?: string): string {
  if (name && COMMANDS[name]) {
    const c = COMMANDS[name];
    const opts = Object.keys(c.options ?? {}).map((o) => `--${o}`).join(' ');
    return `usage: shakenstack ${name}${c.args ? ' ' + c.args : ''} ${opts} [--config file.json] [--json]\n  ${c.summary}\n`;
  }
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${(n + (c.args ? ' ' + c.args : '')).padEnd(28)} ${c.summary}`);
  return `usage: shakenstack <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nglobal options: --config <file.json>  --json  --help\n`;
}
