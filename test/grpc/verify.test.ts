import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, status, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { bearer, callUnary } from './support.js';

const CALL = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' };

/** A plain Verifier client that decodes as the published client does: proto3 leaves false and 0 off the wire, defaults put them back. */
function verifierClient(address: string): Client {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../proto');
  const pkg = protoLoader.loadSync('shakenstack/v1/signer.proto', { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false, includeDirs: [root] });
  const v1 = (loadPackageDefinition(pkg).shakenstack as Record<string, Record<string, ServiceClientConstructor>>).v1!;
  return new v1.Verifier!(address, credentials.createInsecure());
}

/** Flips the signature's first character: still base64url, still 64 bytes, no longer valid. */
function tamper(identity: string): string {
  return identity.replace(/\.([\w-])([\w-]{85});/, (_m, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest};`);
}

describe('gRPC Verifier on a running node (the HTTP verify route\'s core, another transport)', () => {
  let svc: TestService;
  let acct: Provisioned;
  let identity: string;
  let verifier: Client;
  const nowSec = () => Math.floor(Date.now() / 1000);
  /** `null`: no authorization metadata at all. */
  const verify = (request: unknown, token: string | null = acct.token) => callUnary<Record<string, any>>(verifier, 'Verify', request, bearer(token ?? undefined));

  beforeAll(async () => {
    const anchors = await mkdtemp(join(tmpdir(), 'shakenstack-anchors-'));
    svc = await startTestService({ overrides: { 'verify.trustAnchors': anchors, 'verify.trustReloadMs': 0, 'verify.allowHttpX5u': true, 'verify.allowPrivateAddresses': true } });
    acct = await svc.provision();
    await writeFile(join(anchors, 'test-root.pem'), acct.pki.root.certPem);
    const signed = await postJson(`${svc.url}/api/stir-shaken/sign`, CALL, { authorization: `Bearer ${acct.token}` });
    expect(signed.status).toBe(200);
    identity = signed.json.identity;
    verifier = verifierClient(svc.grpcAddress);
  });
  afterAll(async () => {
    verifier?.close();
    await svc.stop();
  });

  it('verifies a token we signed: OK, TN-Validation-Passed, with the claims, the certificate and every check', async () => {
    const r = await verify({ identity: [identity], from: 'sip:+14045266060@example.net;user=phone', to: ['18001234567'], time: nowSec() });
    expect(r.error).toBeUndefined();
    expect(r.value).toMatchObject({
      ok: true,
      verstat: 'TN-Validation-Passed',
      attest: 'A',
      orig: { tn: '14045266060' },
      dest: { tn: ['18001234567'] },
      x5u: acct.x5u,
      cert: { spc: '1234', revocation: expect.any(String) },
      checks: { identityHeader: true, chain: true, signature: true, orig: true, dest: true, freshness: true },
    });
    const v = r.value!;
    expect(v.iat).toBeGreaterThan(nowSec() - 60);
    expect(v.cert.notAfter).toBeGreaterThan(nowSec());
    expect(v.origid).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(v.claimsJson)).toMatchObject({ attest: 'A', origid: v.origid, iat: v.iat });
  });

  it('takes the PASSporT-shaped orig/dest and the SIP Date text as the HTTP body does', async () => {
    const r = await verify({ identity: [identity], orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, date: new Date().toUTCString() });
    expect(r.value).toMatchObject({ ok: true, checks: { orig: true, dest: true, freshness: true } });
  });

  it('answers a tampered signature with status OK, ok=false, 438 TN-Validation-Failed signature_invalid', async () => {
    const r = await verify({ identity: [tamper(identity)], from: '14045266060', to: ['18001234567'], time: nowSec() });
    expect(r.error).toBeUndefined();
    expect(r.value).toMatchObject({
      ok: false,
      verstat: 'TN-Validation-Failed',
      sip: 438,
      reasonPhrase: 'Invalid Identity Header',
      reason: 'signature_invalid',
      reasonText: expect.stringContaining('signature'),
      x5u: acct.x5u,
      checks: { chain: true, signature: false },
    });
    expect(r.value!.cert).toBeNull();
    expect(JSON.parse(r.value!.claimsJson)).toMatchObject({ orig: { tn: '14045266060' } });
  });

  it('answers a calling number other than orig with ok=false, 438 orig_mismatch', async () => {
    const r = await verify({ identity: [identity], pai: '19995550000', time: nowSec() });
    expect(r.value).toMatchObject({ ok: false, verstat: 'No-TN-Validation', sip: 438, reason: 'orig_mismatch', checks: { signature: true, orig: false } });
  });

  it('refuses a call without an API key with UNAUTHENTICATED and ERR_AUTH_MISSING', async () => {
    const r = await verify({ identity: [identity] }, null);
    expect(r.error?.code).toBe(status.UNAUTHENTICATED);
    expect(r.error!.metadata.get('shakenstack-error-code')).toEqual(['ERR_AUTH_MISSING']);
    const wrong = await verify({ identity: [identity] }, 'ssk_0123456789abcdef_' + 'x'.repeat(43));
    expect(wrong.error?.code).toBe(status.UNAUTHENTICATED);
  });

  it('refuses a malformed request with INVALID_ARGUMENT naming the field, not with a verification result', async () => {
    const missing = await verify({ from: '14045266060' });
    expect(missing.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(missing.error!.metadata.get('shakenstack-error-code')).toEqual(['ERR_REQ_FIELD_MISSING']);
    expect(missing.error!.metadata.get('shakenstack-error-field')).toEqual(['identity']);
    const badTn = await verify({ identity: [identity], to: ['call me'] });
    expect(badTn.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(badTn.error!.metadata.get('shakenstack-error-code')).toEqual(['ERR_TN_INVALID']);
    expect(badTn.error!.metadata.get('shakenstack-error-field')).toEqual(['to[0]']);
    const badTime = await verify({ identity: [identity], time: -1 });
    expect(badTime.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(badTime.error!.metadata.get('shakenstack-error-field')).toEqual(['time']);
  });
});
