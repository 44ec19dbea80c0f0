import { SoftwareKeyStore } from '../../hsm/software/software-store.js';
import type { AccountRecord, Clock } from '../../server/core/ports.js';
import { formatApiKey, newApiKeySecret } from '../../server/core/api-key.js';
import { createSigningService, type SigningService } from '../../server/core/sign-service.js';
import { createLabPki, type LabPki } from '../../server/pki/lab-pki.js';
import { MemoryDirectory } from './memory-directory.js';
import { randomBytes } from 'node:crypto';

export const X5U = 'https://certs.example.test/sp.pem';

export class FakeClock implements Clock {
  constructor(public ms = Date.UTC(2026, 10, 23, 12, 0, 0)) {}
  now() {
    return this.ms;
  }
  advance(ms: number) {
    this.ms += ms;
  }
}

export interface CoreFixture {
  dir: MemoryDirectory;
  keys: SoftwareKeyStore;
  clock: FakeClock;
  signing: SigningService;
  pki: LabPki;
  account: AccountRecord;
  token: string;
  keyRef: string;
}

/** A signing core over an in-memory directory, a real software key store and a real test PKI. */
export async function coreFixture(
  opts: { maxAttest?: 'A' | 'B' | 'C'; defaultAttest?: 'A' | 'B' | 'C'; policyMode?: 'enforce' | 'trust'; nonNumericOrig?: 'B' | 'C' | 'refuse'; sourceKind?: 'customer' | 'gateway'; pki?: LabPki; clock?: FakeClock } = {},
): Promise<CoreFixture> {
  const dir = new MemoryDirectory();
  const clock = opts.clock ?? new FakeClock();
  const keys = new SoftwareKeyStore(dir, randomBytes(32));
  const pki = opts.pki ?? (await createLabPki({ leafNotBefore: new Date(clock.ms - 3600_000), leafNotAfter: new Date(clock.ms + 30 * 86400_000) }));
  const keyRef = await keys.importPem(pki.leaf.keyPem);
  const account: AccountRecord = {
    id: 'acc_0000000000000001',
    name: 'carrier',
    defaultAttest: opts.defaultAttest ?? 'B',
    maxAttest: opts.maxAttest ?? 'B',
    tokenTtlSec: 60,
    enabled: true,
    policyMode: opts.policyMode ?? 'trust',
    nonNumericOrig: opts.nonNumericOrig ?? 'B',
    inventoryVersion: 0,
    createdAt: new Date(clock.ms),
  };
  dir.accounts.set(account.id, account);
  dir.credentials.push({ id: 'cred_0000000000000001', accountId: account.id, keyRef, chainPem: pki.chainPem, x5u: X5U, state: 'active', createdAt: new Date(clock.ms), retiredAt: null });
  const { secret, secretHash } = newApiKeySecret();
  dir.apiKeys.set('key_00000000000000aa', { id: 'key_00000000000000aa', accountId: account.id, name: 't', secretHash, sourceKind: opts.sourceKind ?? 'customer', createdAt: new Date(clock.ms), revokedAt: null });
  const signing = createSigningService({ directory: dir, keys, clock, log: dir, cacheTtlMs: 60_000, publicUrl: () => 'https://sti.example.test' });
  return { dir, keys, clock, signing, pki, account, token: formatApiKey('key_00000000000000aa', secret), keyRef };
}

/**
 * A signer with its own STI-CA root, whose chain `repository` (an HTTPS certificate server) serves at
 * `/<name>.pem`: its PASSporTs name that x5u, so a real verifier fetches and checks it. `account` changes the
 * account as an operator would (an rph grant, a policy).
 */
export async function servedSigner(repository: { serve(path: string, body: string): string }, clock: FakeClock, name: string, account: Partial<AccountRecord> = {}): Promise<CoreFixture> {
  const f = await coreFixture({ clock, pki: await createLabPki({ leafNotBefore: new Date(clock.ms - 3600_000), leafNotAfter: new Date(clock.ms + 86_400_000) }) });
  f.dir.credentials[0]!.x5u = repository.serve(`/${name}.pem`, f.pki.chainPem);
  if (Object.keys(account).length > 0) f.dir.accounts.set(f.account.id, { ...f.account, ...account });
  return f;
}
