import { join } from 'node:path';
import { resolveX5u } from '../core/certificate-publisher.js';
import type { KeySigner } from '../core/ports.js';
import type { SoftwareKeyStore } from '../../hsm/software/software-store.js';
import { ensurePrivateDir, writePrivateFile } from '../store/private-files.js';
import type { Store } from '../store/store.js';
import { createAccount } from './accounts.js';
import { createApiKey } from './api-keys.js';
import { importCredential } from './credentials.js';
import { addSipSource } from './sip-sources.js';

/** Covers the quick start's orig 14045266060. */
export const DEMO_INVENTORY = { kind: 'prefix', prefix: '1404526' } as const;
export const DEMO_SIP_SOURCES = ['127.0.0.1/32', '::1/128'] as const;

/** The one-time demo API key's file in the data folder (0600): the log stream never carries the key. */
export const DEMO_API_KEY_FILE = 'demo-api-key';

export interface DemoSetup {
  accountName: string;
  apiKey: string;
  /** Where the key was written, mode 0600. */
  apiKeyFile: string;
  x5u: string;
  pkiDir: string;
}

/**
 * First start with an empty store: a demo account signing with a lab-PKI credential whose chain this
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
  const { createLabPki } = await import('../pki/lab-pki.js');
  const pki = await createLabPki({ spc: '1234', organization: 'shakenstack demo' });
  const pkiDir = join(deps.dataDir, 'demo-pki');
  await ensurePrivateDir(pkiDir);
  // The root is what a verifier must trust to accept demo tokens; CA keys are kept for `pki issue`-style use.
  // Everything 0600 like the rest of the data folder: a copy of the root is the owner's to hand out.
  await writePrivateFile(join(pkiDir, 'root.pem'), pki.root.certPem);
  await writePrivateFile(join(pkiDir, 'intermediate.pem'), pki.intermediate.certPem);
  await writePrivateFile(join(pkiDir, 'intermediate.key'), pki.intermediate.keyPem);
  await writePrivateFile(join(pkiDir, 'root.key'), pki.root.keyPem);
  const account = await createAccount(deps.store, { name: 'demo' });
  const credential = await importCredential(deps, { accountId: account.id, chainPem: pki.chainPem, keyPem: pki.leaf.keyPem });
  // The demo account runs in enforce mode: the quick start's calling number is in its inventory, so it earns A.
  await deps.store.addInventory(account.id, [DEMO_INVENTORY]);
  // SIP from this machine belongs to the demo account, so the redirect server answers a local softphone or sipp at once.
  for (const cidr of DEMO_SIP_SOURCES) await addSipSource(deps.store, account.id, { cidr });
  const { token } = await createApiKey(deps.store, account.id, 'demo');
  const apiKeyFile = join(deps.dataDir, DEMO_API_KEY_FILE);
  await ensurePrivateDir(deps.dataDir);
  await writePrivateFile(apiKeyFile, token + '\n');
  return { accountName: account.name, apiKey: token, apiKeyFile, x5u: resolveX5u(credential.x5u, deps.publicUrl), pkiDir };
}
