import { execFile } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11KeyStore } from '../../hsm/pkcs11/pkcs11-store.js';
import { formatKeyRef } from '../../hsm/pkcs11/pkcs11-uri.js';
import { createLabPki, type LabPki } from '../../server/pki/lab-pki.js';
import { describeKeyStore } from './key-store-suite.js';
import { createSoftHsm, SOFTHSM_MODULE, USER_PIN, useSoftHsmInThisProcess, type SoftHsm } from './softhsm.js';

const run = promisify(execFile);
const TOKEN = 'shaken-a';
const IMPORTED = { token: TOKEN, object: 'imported', id: Buffer.from('a1', 'hex') };

let hsm: SoftHsm;
let pki: LabPki;
let setUp: Promise<void> | undefined;
// Shared by the suites below, which run one after the other, so at most one store has the module open.
const setup = () =>
  (setUp ??= (async () => {
    hsm = await createSoftHsm();
    useSoftHsmInThisProcess(hsm);
    await hsm.initToken(TOKEN);
    pki = await createLabPki();
    await hsm.importKey({ keyPem: pki.leaf.keyPem, token: TOKEN, label: 'imported', idHex: 'a1' });
  })());
afterAll(() => hsm?.cleanup());

const openStore = () => Pkcs11KeyStore.open({ module: SOFTHSM_MODULE, pin: USER_PIN, tokens: [TOKEN], sessions: 4 });

describeKeyStore('PKCS#11 on SoftHSM2, key imported with softhsm2-util', async () => {
  await setup();
  const store = await openStore();
  return {
    store,
    ref: formatKeyRef(IMPORTED),
    certificateKey: new X509Certificate(pki.leaf.certPem).publicKey,
    missingRef: formatKeyRef({ token: TOKEN, object: 'no-such-key', id: undefined }),
    close: () => store.close(),
  };
});

describeKeyStore('PKCS#11 on SoftHSM2, key generated inside the token', async () => {
  await setup();
  const store = await openStore();
  const ref = await store.generate({ token: TOKEN, label: 'generated', id: Buffer.from('b2', 'hex') });
  // The public key as pkcs11-tool (OpenSC) reads it, independently of our CKA_EC_POINT decoding.
  const der = join(hsm.dir, 'generated.der');
  await run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', TOKEN, '--read-object', '--type', 'pubkey', '--id', 'b2', '-o', der], { env: hsm.env });
  return {
    store,
    ref,
    certificateKey: createPublicKey({ key: await readFile(der), format: 'der', type: 'spki' }),
    missingRef: formatKeyRef({ token: TOKEN, object: undefined, id: Buffer.from('ffff', 'hex') }),
    close: () => store.close(),
  };
});

describe('PKCS#11 key store', () => {
  let store: Pkcs11KeyStore;
  beforeAll(async () => {
    await setup();
    store = await openStore();
  });
  afterAll(() => store?.close());

  it('generates keys that cannot leave the token: sensitive and not extractable', async () => {
    const ref = await store.generate({ token: TOKEN, label: 'fresh' });
    const listed = (await store.listKeys()).find((k) => k.ref === ref);
    expect(listed).toMatchObject({ token: TOKEN, label: 'fresh', sensitive: true, extractable: false });
    expect(listed!.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('lists an imported key with its label, id and the reference to import it with', async () => {
    const keys = await store.listKeys();
    expect(keys).toContainEqual({ token: TOKEN, label: 'imported', id: 'a1', ref: 'pkcs11:token=shaken-a;object=imported;id=%A1', sensitive: true, extractable: false });
  });

  it('refuses to generate a second key under a label already taken', async () => {
    await expect(store.generate({ token: TOKEN, label: 'imported' })).rejects.toMatchObject({ code: 'ERR_REQ_CONFLICT', field: 'label' });
  });

  it('finds the same key by label alone, by id alone, or both', async () => {
    const spki = async (ref: string) => (await store.publicKey(ref)).export({ type: 'spki', format: 'der' });
    const both = await spki('pkcs11:token=shaken-a;object=imported;id=%a1');
    expect(await spki('pkcs11:token=shaken-a;object=imported')).toEqual(both);
    expect(await spki('pkcs11:token=shaken-a;id=%A1;type=private')).toEqual(both);
  });

  it('refuses a reference to a token that is not configured, naming the setting', async () => {
    await expect(store.sign('pkcs11:token=other;object=imported', Buffer.from('x'))).rejects.toMatchObject({
      code: 'ERR_KEYSTORE_CONFIG',
      reason: expect.stringContaining('pkcs11.tokens'),
    });
  });

  it('refuses a reference that carries a PIN, which would be stored and printed with it', async () => {
    await expect(store.publicKey('pkcs11:token=shaken-a;object=imported?pin-value=1234')).rejects.toMatchObject({ code: 'ERR_CRED_INVALID', field: 'keyRef' });
  });

  it('reports the token as ok', () => {
    expect(store.tokenState(TOKEN)).toBe('ok');
  });
});
