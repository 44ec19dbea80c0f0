import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveX5u } from '../core/certificate-publisher.js';
import type { KeySigner } from '../core/ports.js';
import type { SoftwareKeyStore } from '../../hsm/software/software-store.js';
import type { Store } from '../store/store.js';
import { createAccount } from './accounts.js';
import { createApiKey } from './api-keys.js';
import { importCredential } from './credentials.js';
import { addSipSource } from './sip-sources.js';

/** Covers the quick start's orig 14045266060. */
export const DEMO_INVENTORY = { kind: 'prefix', prefix: '1404526' } as const;
export const DEMO_SIP_SOURCES = ['127.0.0.1/32', '::1/128'] as const;

export interface DemoSetup {
  accountName: string;
  apiKey: string;
  x5u: string;
  pkiDir: string;
}

/**
 * First start with an empty store: a demo account signing with a test-PKI credential whose chain this
 * service publishes itself, so a newcomer gets a verifiable Identity header with no other set-up.
 * Returns undefined when any account exists already.
 */
export async function ensureDemoAccount(deps: {
  store: Store;
  software: SoftwareKeyStore;
  keys: KeySigner;
  publicUrl: string;
  dataDir: string;
  nowMs: number;
}): Promise<DemoSetup | undefined> {
  if ((await deps.store.listAccounts()).length > 0) return undefined;
  // Loaded on demand: the X.509 builder takes about a second to import and is needed only on a first start.
  const { createTestPki } = await import('../pki/test-pki.js');
  const pki = await createTestPki({ spc: '1234', organization: 'shakenstack demo' });
  const pkiDir = join(deps.dataDir, 'demo-pki');
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  // The root is what a verifier must trust to accept demo tokens; CA keys are kept for `pki issue`-style use.
  await writeFile(join(pkiDir, 'root.pem'), pki.root.certPem);
  await writeFile(join(pkiDir, 'intermediate.pem'), pki.intermediate.certPem);
  await writeFile(join(pkiDir, 'intermediate.key'), pki.intermediate.keyPem, { mode: 0o600 });
  await writeFile(join(pkiDir, 'root.key'), pki.root.keyPem, { mode: 0o600 });
  const account = await createAccount(deps.store, { name: 'demo' });
  const credential = await importCredential(deps, { accountId: account.id, chainPem: pki.chainPem, keyPem: pki.leaf.keyPem });
  // The demo account runs in enforce mode: the quick start's calling number is in its inventory, so it earns A.
  await deps.store.addInventory(account.id, [DEMO_INVENTORY]);
  // SIP from this machine belongs to the demo account, so the redirect server answers a local softphone or sipp at once.
  for (const cidr of DEMO_SIP_SOURCES) await addSipSource(deps.store, account.id, { cidr });
  const { token } = await createApiKey(deps.store, account.id, 'demo');
  return { accountName: account.name, apiKey: token, x5u: resolveX5u(credential.x5u, deps.publicUrl), pkiDir };
}
