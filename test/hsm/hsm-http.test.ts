import { execFile } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compactVerify, importSPKI } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../server/config/load.js';
import { createAccount } from '../../server/manage/accounts.js';
import { createApiKey } from '../../server/manage/api-keys.js';
import { importCredential } from '../../server/manage/credentials.js';
import { startNode } from '../../server/node.js';
import { createLabPki, type LabPki } from '../../server/pki/lab-pki.js';
import { runCli } from '../helpers/cli.js';
import { postJson, startTestService, type TestService } from '../helpers/service.js';
import { createSoftHsm, SOFTHSM_MODULE, USER_PIN, useSoftHsmInThisProcess, type SoftHsm } from './softhsm.js';

const run = promisify(execFile);
const TOKEN = 'shaken-h';
const IMPORTED_REF = 'pkcs11:token=shaken-h;object=sti-a;id=%A0';
const PKCS11 = { 'pkcs11.module': SOFTHSM_MODULE, 'pkcs11.tokens': TOKEN, 'pkcs11.pin': USER_PIN };
const call = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'B' };

let hsm: SoftHsm;
let pki: LabPki;
beforeAll(async () => {
  hsm = await createSoftHsm();
  useSoftHsmInThisProcess(hsm);
  await hsm.initToken(TOKEN);
  pki = await createLabPki();
  await hsm.importKey({ keyPem: pki.leaf.keyPem, token: TOKEN, label: 'sti-a', idHex: 'a0' });
});
afterAll(() => hsm?.cleanup());

/** Verifies as a remote STI-VS would: fetch x5u, check the chain links, verify the JWS with jose. */
async function verifyIndependently(identity: string) {
  const [jws, ...params] = identity.split(';');
  const info = /^info=<(.+)>$/.exec(params[0]!)![1]!;
  const pem = await (await fetch(info)).text();
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.map((p) => new X509Certificate(p));
  expect(certs[0]!.verify(certs[1]!.publicKey)).toBe(true);
  const spki = certs[0]!.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const { payload, protectedHeader } = await compactVerify(jws!, await importSPKI(spki, 'ES256'));
  expect(protectedHeader).toMatchObject({ alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: info });
  return JSON.parse(new TextDecoder().decode(payload));
}

describe('signing through HTTP with a key inside a PKCS#11 token', () => {
  let svc: TestService;
  let apiKey: string;
  const sign = (token = apiKey) => postJson(`${svc.url}/api/stir-shaken/sign`, call, { authorization: `Bearer ${token}` });
  const ready = async () => {
    const res = await fetch(`${svc.url}/health/ready`);
    return { status: res.status, body: await res.json() };
  };
  const cliEnv = () => ({
    SOFTHSM2_CONF: hsm.conf,
    SHAKENSTACK_DATA_DIR: svc.config.dataDir,
    SHAKENSTACK_PUBLIC_URL: svc.url,
    SHAKENSTACK_PKCS11_MODULE: SOFTHSM_MODULE,
    SHAKENSTACK_PKCS11_TOKENS: TOKEN,
    SHAKENSTACK_PKCS11_PIN: USER_PIN,
  });

  beforeAll(async () => {
    svc = await startTestService({ overrides: PKCS11 });
    const account = await createAccount(svc.node.store, { name: 'hsm-a' });
    await importCredential(
      { store: svc.node.store, software: svc.node.keys.software, keys: svc.node.keys.router, nowMs: Date.now() },
      { accountId: account.id, chainPem: pki.chainPem, keyRef: IMPORTED_REF },
    );
    apiKey = (await createApiKey(svc.node.store, account.id, 'test')).token;
  });
  afterAll(() => svc?.stop());

  it('signs with the token-held key, and the PASSporT verifies with jose against the certificate at x5u', async () => {
    const r = await sign();
    expect(r.status).toBe(200);
    expect(r.json.identity).toMatch(/^[\w-]+\.[\w-]+\.[\w-]{86};info=<[^>]+>;alg=ES256;ppt=shaken$/);
    const claims = await verifyIndependently(r.json.identity);
    expect(claims).toMatchObject({ orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, origid: r.json.origid });
  });

  it('signs many requests at once through the session pool', async () => {
    const results = await Promise.all(Array.from({ length: 32 }, () => sign()));
    expect(results.map((r) => r.status)).toEqual(Array(32).fill(200));
    await verifyIndependently(results[31]!.json.identity);
  });

  it('reports the token in /health/ready', async () => {
    expect(await ready()).toMatchObject({ status: 200, body: { checks: { store: 'ok', [`pkcs11:${TOKEN}`]: 'ok' } } });
  });

  it('refuses a credential whose certificate is not for the token key, and stores nothing', async () => {
    const other = await createLabPki();
    const account = await createAccount(svc.node.store, { name: 'hsm-mismatch' });
    const deps = { store: svc.node.store, software: svc.node.keys.software, keys: svc.node.keys.router, publicUrl: svc.url, nowMs: Date.now() };
    await expect(importCredential(deps, { accountId: account.id, chainPem: other.chainPem, keyRef: IMPORTED_REF })).rejects.toMatchObject({
      code: 'ERR_CRED_KEY_MISMATCH',
    });
    expect(await svc.node.store.listCredentials(account.id)).toEqual([]);
  });

  it('refuses to sign once the token key behind a credential is replaced by one its certificate does not match', { timeout: 30_000 }, async () => {
    const swapped = await createLabPki();
    await hsm.importKey({ keyPem: swapped.leaf.keyPem, token: TOKEN, label: 'swap', idHex: 'd0' });
    const account = await createAccount(svc.node.store, { name: 'hsm-swap' });
    const deps = { store: svc.node.store, software: svc.node.keys.software, keys: svc.node.keys.router, publicUrl: svc.url, nowMs: Date.now() };
    await importCredential(deps, { accountId: account.id, chainPem: swapped.chainPem, keyRef: 'pkcs11:token=shaken-h;object=swap' });
    const token = (await createApiKey(svc.node.store, account.id, 'test')).token;
    expect((await sign(token)).status).toBe(200);

    // Someone replaces the key under the same label with another process's tools.
    for (const type of ['privkey', 'pubkey']) {
      await run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', TOKEN, '--login', '--pin', USER_PIN, '--delete-object', '--type', type, '--id', 'd0'], { env: hsm.env });
    }
    await hsm.importKey({ keyPem: (await createLabPki()).leaf.keyPem, token: TOKEN, label: 'swap', idHex: 'd0' });

    // The old handle fails (503) and the store reconnects; from then on the changed key is refused, never used.
    await vi.waitFor(async () => expect((await sign(token)).json.error?.code).toBe('ERR_CRED_KEY_MISMATCH'), { timeout: 20_000, interval: 50 });
    // A node loading the credential afresh (restart, cache expiry) refuses it too: the core compares key and certificate.
    svc.node.signing.invalidate();
    const r = await sign(token);
    expect(r.status).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'ERR_CRED_KEY_MISMATCH', reason: 'the signing key does not match the leaf certificate public key' });
    expect((await sign()).status).toBe(200);
  });

  it('answers 503 at once while the token is gone, and signs again by itself once it is back', { timeout: 30_000 }, async () => {
    const putBack = await hsm.removeTokens();
    const during = await sign();
    expect(during.status).toBe(503);
    expect(during.json.error.code).toBe('ERR_KEYSTORE_UNAVAILABLE');
    // The ATIS-1000082 shape of the same outage: POL5000 (the one real request test/http/atis-error-table.test.ts leaves here).
    const atis = await postJson(`${svc.url}/stir/v1/signing`, { signingRequest: { ...call, iat: Math.floor(Date.now() / 1000), origid: '123e4567-e89b-12d3-a456-426655440000' } }, { authorization: `Bearer ${apiKey}` });
    expect(atis).toMatchObject({ status: 503, json: { requestError: { policyException: { messageId: 'POL5000' } } } });
    expect(await ready()).toMatchObject({ status: 503, body: { checks: { store: 'ok', [`pkcs11:${TOKEN}`]: 'unavailable' } } });
    await putBack();
    await vi.waitFor(async () => expect((await ready()).status).toBe(200), { timeout: 20_000, interval: 50 });
    const after = await sign();
    expect(after.status).toBe(200);
    await verifyIndependently(after.json.identity);
  });

  it('lets an operator generate a key with the CLI, import its certificate by key reference, and see it HSM-backed', async () => {
    const env = cliEnv();
    const keygen = await runCli(['hsm', 'keygen', '--token', TOKEN, '--label', 'cli-key', '--id', 'c1', '--json'], env);
    expect(keygen.stderr).toBe('');
    const { ref } = JSON.parse(keygen.stdout);
    expect(ref).toBe('pkcs11:token=shaken-h;object=cli-key;id=%C1');
    const listed = await runCli(['hsm', 'list'], env);
    expect(listed.stdout).toMatch(/shaken-h\s+cli-key\s+c1\s+true\s+false\s+pkcs11:token=shaken-h;object=cli-key;id=%C1/);

    // The STI-CA's part, played by openssl: a certificate for the token's public key, issued by the test intermediate.
    const der = join(hsm.dir, 'cli-key.der');
    await run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', TOKEN, '--read-object', '--type', 'pubkey', '--id', 'c1', '-o', der], { env: hsm.env });
    const files = { pub: join(hsm.dir, 'cli-key.pub'), ca: join(hsm.dir, 'int.pem'), caKey: join(hsm.dir, 'int.key'), leaf: join(hsm.dir, 'cli-leaf.pem'), chain: join(hsm.dir, 'cli-chain.pem') };
    await writeFile(files.pub, createPublicKey({ key: await readFile(der), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
    await writeFile(files.ca, pki.intermediate.certPem);
    await writeFile(files.caKey, pki.intermediate.keyPem, { mode: 0o600 });
    // TNAuthList (RFC 8226 §9) with SPC 1234: SEQUENCE { [0] IA5String "1234" }; import refuses a leaf without it.
    const ext = join(hsm.dir, 'tnauth.ext');
    await writeFile(ext, '1.3.6.1.5.5.7.1.26=DER:30:08:A0:06:16:04:31:32:33:34\n');
    await run('openssl', ['x509', '-new', '-subj', '/C=US/O=shakenstack test/CN=SHAKEN 1234', '-force_pubkey', files.pub, '-CA', files.ca, '-CAkey', files.caKey, '-days', '30', '-extfile', ext, '-out', files.leaf]);
    await writeFile(files.chain, (await readFile(files.leaf, 'utf8')) + pki.intermediate.certPem);

    expect((await runCli(['account', 'create', 'hsm-cli'], env)).code).toBe(0);
    const imported = await runCli(['credential', 'import', '--account', 'hsm-cli', '--chain', files.chain, '--key-ref', ref], env);
    expect(imported.stderr).toBe('');
    const list = await runCli(['credential', 'list', '--account', 'hsm-cli', '--json'], env);
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ keyRef: ref, hsm: { token: TOKEN, label: 'cli-key', id: 'c1' } });
    expect((await runCli(['credential', 'list', '--account', 'hsm-cli'], env)).stdout).toContain(`hsm ${TOKEN}/cli-key`);

    const account = (await svc.node.store.listAccounts()).find((a) => a.name === 'hsm-cli')!;
    const r = await sign((await createApiKey(svc.node.store, account.id, 'test')).token);
    expect(r.status).toBe(200);
    await verifyIndependently(r.json.identity);
  });
});

describe('a node whose PKCS#11 token cannot be used does not start', () => {
  // startNode directly rather than startTestService, whose data folder would outlive a failed start.
  const start = async (overrides: Record<string, unknown>) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-hsm-'));
    try {
      const config = loadConfig({ env: {}, overrides: { dataDir, 'http.port': 0, 'grpc.enabled': false, 'sip.enabled': false, logLevel: 'silent', demo: false, ...PKCS11, ...overrides } });
      return await startNode(config, pino({ level: 'silent' }));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  it('refuses to start with a PIN the token refuses', async () => {
    await expect(start({ 'pkcs11.pin': '000000' })).rejects.toMatchObject({ code: 'ERR_KEYSTORE_LOGIN_FAILED' });
  });

  it('refuses to start when a configured token is missing', async () => {
    await expect(start({ 'pkcs11.tokens': `${TOKEN},absent` })).rejects.toMatchObject({
      code: 'ERR_KEYSTORE_CONFIG',
      reason: expect.stringContaining('no token labelled "absent"'),
    });
  });
});
