import { readFile } from 'node:fs/promises';
import { daysUntilExpiry, parseCertificateChain } from '../../core/cert-chain.js';
import { isHostedX5u, resolveX5u } from '../../core/certificate-publisher.js';
import { ShakenError } from '../../core/errors.js';
import { resolvePublicUrl } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { hsmKeyOf } from '../../../hsm/pkcs11/pkcs11-uri.js';
import { importCredential } from '../../manage/credentials.js';
import { optional, out, required, table, type CommandTable } from '../command-kit.js';
import { accountIdIfGiven, accountOf, withKeys, withStore } from '../resources.js';

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

export const CREDENTIAL_COMMANDS: CommandTable = {
  'credential import': {
    summary: 'Import a certificate chain with its key (PEM file or key reference); it becomes the active credential.',
    options: { account: { type: 'string' }, chain: { type: 'string' }, key: { type: 'string' }, 'key-ref': { type: 'string' }, x5u: { type: 'string' } },
    run: (ctx) =>
      withKeys(ctx, async (store, keys) => {
        const account = await accountOf(ctx, store);
        const chainPem = await readText(required(ctx, 'chain'), 'chain');
        const keyPath = optional(ctx, 'key');
        const c = await importCredential(
          { store, software: keys.software, keys: keys.router, nowMs: Date.now() },
          {
            accountId: account.id,
            chainPem,
            keyPem: keyPath ? await readText(keyPath, 'key') : undefined,
            keyRef: optional(ctx, 'key-ref'),
            x5u: optional(ctx, 'x5u'),
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
        const accountId = await accountIdIfGiven(ctx, store);
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
};
