import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { parseCertificateChain, daysUntilExpiry } from '../core/cert-chain.js';
import { ShakenError } from '../core/errors.js';
import { systemClock } from '../core/ports.js';
import { createSigningService } from '../core/sign-service.js';
import { redactedConfig, resolvePublicUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openKeyStores, type KeyStores } from '../key-stores.js';
import { createAccount, findAccount } from '../manage/accounts.js';
import { createApiKey } from '../manage/api-keys.js';
import { importCredential } from '../manage/credentials.js';
import { storeOptions } from '../config/store-options.js';
import { openStore } from '../store/open-store.js';
import { RequestLogWriter } from '../store/request-log-writer.js';
import type { Store } from '../store/store.js';

export class UsageError extends Error {}

export interface CommandContext {
  config: Config;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
}

interface Command {
  summary: string;
  args?: string;
  options: ParseArgsConfig['options'];
  run(ctx: CommandContext): Promise<void>;
}

function out(ctx: CommandContext, data: unknown, text: () => string): void {
  process.stdout.write(ctx.json ? JSON.stringify(data, null, 2) + '\n' : text() + '\n');
}

function required(ctx: CommandContext, name: string): string {
  const v = ctx.values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function positional(ctx: CommandContext, index: number, what: string): string {
  const v = ctx.positionals[index];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

async function withStore<T>(ctx: CommandContext, work: (store: Store) => Promise<T>): Promise<T> {
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

async function readText(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ShakenError('ERR_REQ_FIELD_INVALID', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { field, cause: e });
  }
}

const table = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
};

export const COMMANDS: Record<string, Command> = {
  serve: { summary: 'Run the service (HTTP API, x5u hosting).', options: {}, run: async () => undefined },

  'account create': {
    summary: 'Create an account.',
    args: '<name>',
    options: { default: { type: 'string' }, max: { type: 'string' }, ttl: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const a = await createAccount(store, {
          name: positional(ctx, 0, 'account name'),
          defaultAttest: ctx.values.default,
          maxAttest: ctx.values.max,
          tokenTtlSec: ctx.values.ttl,
        });
        out(ctx, a, () => `created account ${a.name} (${a.id}): default ${a.defaultAttest}, maximum ${a.maxAttest}, token TTL ${a.tokenTtlSec} s`);
      }),
  },

  'account list': {
    summary: 'List accounts.',
    options: {},
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const list = await store.listAccounts();
        out(ctx, list, () =>
          table([['ID', 'NAME', 'DEFAULT', 'MAX', 'TTL', 'ENABLED'], ...list.map((a) => [a.id, a.name, a.defaultAttest, a.maxAttest, String(a.tokenTtlSec), String(a.enabled)])]),
        );
      }),
  },

  'apikey create': {
    summary: 'Create an API key for an account; the key is printed once.',
    options: { account: { type: 'string' }, name: { type: 'string' } },
    run: (ctx) =>
      withStore(ctx, async (store) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const { record, token } = await createApiKey(store, account.id, (ctx.values.name as string | undefined) ?? 'default');
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

  'credential import': {
    summary: 'Import a certificate chain with its key (PEM file or key reference); it becomes the active credential.',
    options: { account: { type: 'string' }, chain: { type: 'string' }, key: { type: 'string' }, 'key-ref': { type: 'string' }, x5u: { type: 'string' } },
    run: (ctx) =>
      withKeys(ctx, async (store, keys) => {
        const account = await findAccount(store, required(ctx, 'account'));
        const chainPem = await readText(required(ctx, 'chain'), 'chain');
        const keyPath = ctx.values.key as string | undefined;
        const c = await importCredential(
          { store, software: keys.software, keys: keys.router, publicUrl: resolvePublicUrl(ctx.config, ctx.config.http.port), nowMs: Date.now() },
          {
            accountId: account.id,
            chainPem,
            keyPem: keyPath ? await readText(keyPath, 'key') : undefined,
            keyRef: ctx.values['key-ref'] as string | undefined,
            x5u: ctx.values.x5u as string | undefined,
          },
        );
        out(ctx, { id: c.id, accountId: c.accountId, keyRef: c.keyRef, x5u: c.x5u, state: c.state }, () =>
          `imported credential ${c.id} for ${account.name} (key ${c.keyRef}); x5u ${c.x5u}`,
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
          return { id: c.id, accountId: c.accountId, state: c.state, keyRef: c.keyRef, x5u: c.x5u, subject: leaf.subject, spc: leaf.spc, notAfter: leaf.notAfter, daysLeft: daysUntilExpiry(leaf, now) };
        });
        out(ctx, list, () =>
          table([['ID', 'ACCOUNT', 'STATE', 'SPC', 'EXPIRES', 'DAYS', 'X5U'], ...list.map((c) => [c.id, c.accountId, c.state, c.spc ?? '-', c.notAfter.toISOString().slice(0, 10), String(c.daysLeft) + (c.daysLeft < 30 ? ' (!)' : ''), c.x5u])]),
        );
      }),
  },

  'pki init': {
    summary: 'Create a test PKI (root, intermediate, SHAKEN leaf with TNAuthList) in a folder. Not for production.',
    options: { out: { type: 'string' }, spc: { type: 'string' }, org: { type: 'string' } },
    run: async (ctx) => {
      const dir = resolve(required(ctx, 'out'));
      const { createTestPki } = await import('../pki/test-pki.js');
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
        const signing = createSigningService({ directory: store, keys: keys.router, clock: systemClock, log, cacheTtlMs: 1000 });
        try {
          const r = await signing.signAs({ accountId: account.id, transport: 'cli' }, {
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

  config: {
    summary: 'Print the effective configuration (secrets masked).',
    options: {},
    run: async (ctx) => out(ctx, redactedConfig(ctx.config), () => JSON.stringify(redactedConfig(ctx.config), null, 2)),
  },
};

export function usage(name?: string): string {
  if (name && COMMANDS[name]) {
    const c = COMMANDS[name];
    const opts = Object.keys(c.options ?? {}).map((o) => `--${o}`).join(' ');
    return `usage: shakenstack ${name}${c.args ? ' ' + c.args : ''} ${opts} [--config file.json] [--json]\n  ${c.summary}\n`;
  }
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${(n + (c.args ? ' ' + c.args : '')).padEnd(28)} ${c.summary}`);
  return `usage: shakenstack <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nglobal options: --config <file.json>  --json  --help\n`;
}
