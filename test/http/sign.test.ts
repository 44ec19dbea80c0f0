import { X509Certificate } from 'node:crypto';
import { compactVerify, importSPKI } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_CASES } from '../cases/sign-cases.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

const productPageBody = { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' };

/** Verifies a token the way a remote STI-VS would: fetch x5u over HTTP, check the chain, verify with jose. */
async function verifyIndependently(identity: string) {
  const [jws, ...params] = identity.split(';');
  const info = /^info=<(.+)>$/.exec(params[0]!)![1]!;
  const res = await fetch(info);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/pem-certificate-chain');
  expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
  const pem = await res.text();
  expect(pem).not.toMatch(/PRIVATE KEY/);
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.map((p) => new X509Certificate(p));
  expect(certs[0]!.verify(certs[1]!.publicKey)).toBe(true);
  const spki = certs[0]!.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const { payload, protectedHeader } = await compactVerify(jws!, await importSPKI(spki, 'ES256'));
  expect(protectedHeader.x5u).toBe(info);
  return JSON.parse(new TextDecoder().decode(payload));
}

describe('POST /api/stir-shaken/sign', () => {
  let svc: TestService;
  let a: Provisioned;
  let b: Provisioned;
  beforeAll(async () => {
    svc = await startTestService();
    a = await svc.provision({ defaultAttest: 'A', maxAttest: 'A' });
    b = await svc.provision({ defaultAttest: 'B', maxAttest: 'B' });
  });
  afterAll(() => svc.stop());

  const sign = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${svc.url}/api/stir-shaken/sign`, body, { authorization: `Bearer ${token}`, ...headers });

  it('signs the product-page request and the token verifies with jose against the certificate served at x5u', async () => {
    const r = await sign(a.token, productPageBody);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ attest: 'A', requestedAttest: 'A', downgraded: false, attestReason: 'requested', x5u: a.x5u });
    expect(r.json.identity).toMatch(/^[\w-]+\.[\w-]+\.[\w-]{86};info=<http:\/\/127\.0\.0\.1:\d+\/certs\/[0-9a-f]{32}\.pem>;alg=ES256;ppt=shaken$/);
    const claims = await verifyIndependently(r.json.identity);
    expect(claims).toEqual({ attest: 'A', dest: { tn: ['18001234567'] }, iat: r.json.iat, orig: { tn: '14045266060' }, origid: r.json.origid });
  });

  it('signs with each account\'s own credential', async () => {
    const ra = await sign(a.token, productPageBody);
    const rb = await sign(b.token, productPageBody);
    expect(ra.json.x5u).not.toBe(rb.json.x5u);
    expect((await verifyIndependently(rb.json.identity)).attest).toBe('B');
  });

  for (const c of SIGN_CASES) {
    it(`${c.title} (HTTP ${c.http})`, async () => {
      const r = await sign(b.token, c.body, c.headerAttest ? { 'x-attestation': c.headerAttest } : {});
      expect(r.status).toBe(c.http);
      if (c.outcome.ok) {
        expect(r.json).toMatchObject({ attest: c.outcome.attest, downgraded: c.outcome.downgraded });
      } else {
        expect(r.json.error.code).toBe(c.outcome.code);
        if (c.outcome.field) expect(r.json.error.field).toBe(c.outcome.field);
        expect(r.json.error.reason).toEqual(expect.any(String));
      }
    });
  }

  it('answers non-JSON with 400 naming the problem', async () => {
    const r = await sign(a.token, '{"orig":');
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'ERR_REQ_MALFORMED', reason: 'request body is not valid JSON' });
  });

  it('answers an empty body with 400', async () => {
    const res = await fetch(`${svc.url}/api/stir-shaken/sign`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('ERR_REQ_MALFORMED');
  });

  it('answers a wrong content type with 415', async () => {
    const res = await fetch(`${svc.url}/api/stir-shaken/sign`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'text/plain' }, body: JSON.stringify(productPageBody) });
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe('ERR_REQ_CONTENT_TYPE');
  });

  it('answers an oversize body with 413', async () => {
    const r = await sign(a.token, { ...productPageBody, pad: 'x'.repeat(svc.config.http.bodyLimit) });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('ERR_REQ_TOO_LARGE');
  });

  it('answers 401 without an API key and with a wrong one, 403 for a revoked one', async () => {
    const none = await postJson(`${svc.url}/api/stir-shaken/sign`, productPageBody);
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('ERR_AUTH_MISSING');
    const wrong = await sign('ssk_0123456789abcdef_' + 'x'.repeat(43), productPageBody);
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('ERR_AUTH_INVALID');
    const c = await svc.provision();
    expect((await sign(c.token, productPageBody)).status).toBe(200);
    await svc.node.store.revokeApiKey(c.apiKeyId);
    // The node's change watcher notices the store change and drops its caches.
    await expect.poll(async () => (await sign(c.token, productPageBody)).status, { timeout: 5000 }).toBe(403);
  });

  it('answers 403 for a disabled account', async () => {
    const c = await svc.provision();
    await svc.node.store.updateAccount(c.account.id, { enabled: false });
    await expect.poll(async () => (await sign(c.token, productPageBody)).json.error?.code, { timeout: 5000 }).toBe('ERR_AUTH_ACCOUNT_DISABLED');
  });

  it('never returns a token for an account whose certificate has expired (409)', async () => {
    const c = await svc.provision({ pki: { leafNotBefore: new Date(Date.now() - 86400_000), leafNotAfter: new Date(Date.now() + 1500) } });
    expect((await sign(c.token, productPageBody)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2000));
    const r = await sign(c.token, productPageBody);
    expect(r.status).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'ERR_CRED_EXPIRED', reason: expect.stringContaining('expired') });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${svc.url}/api/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('ERR_REQ_NOT_FOUND');
  });

  it('keeps the API key out of every response, including errors', async () => {
    const r = await sign(a.token, { orig: { tn: 'bad' }, dest: productPageBody.dest });
    expect(r.text).not.toContain(a.token.slice(21));
  });
});

describe('POST /stir/v1/signing (ATIS-1000082)', () => {
  let svc: TestService;
  let a: Provisioned;
  beforeAll(async () => {
    svc = await startTestService();
    a = await svc.provision({ maxAttest: 'A' });
  });
  afterAll(() => svc.stop());

  const atis = (body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${svc.url}/stir/v1/signing`, body, { authorization: `Bearer ${a.token}`, ...headers });
  const full = () => ({ attest: 'A', dest: { tn: ['12155551213'] }, iat: Math.floor(Date.now() / 1000), orig: { tn: '12155551212' }, origid: '123e4567-e89b-12d3-a456-426655440000' });

  it('answers {"signingResponse":{"identity":...}} with a verifiable token', async () => {
    const r = await atis({ signingRequest: full() });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['signingResponse']);
    expect(await verifyIndependently(r.json.signingResponse.identity)).toEqual({ ...full(), iat: expect.any(Number) });
  });

  it.each(['attest', 'dest', 'iat', 'orig', 'origid'])('answers SVC4001 when %s is missing', async (name) => {
    const req: Record<string, unknown> = full();
    delete req[name];
    const r = await atis({ signingRequest: req });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ requestError: { serviceException: { messageId: 'SVC4001', text: "Missing mandatory parameter '%1'", variables: [name] } } });
  });

  it('answers SVC4005 for an invalid value, naming the parameter', async () => {
    const r = await atis({ signingRequest: { ...full(), attest: 'Z' } });
    expect(r.status).toBe(400);
    expect(r.json.requestError.serviceException).toMatchObject({ messageId: 'SVC4005', variables: ['attest', expect.any(String)] });
  });

  it('answers SVC4006 for a body that is not JSON and SVC4004 for another media type', async () => {
    const bad = await atis('{');
    expect(bad.status).toBe(400);
    expect(bad.json.requestError.serviceException.messageId).toBe('SVC4006');
    const res = await fetch(`${svc.url}/stir/v1/signing`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/xml' }, body: '<x/>' });
    expect(res.status).toBe(415);
    expect((await res.json()).requestError.serviceException).toMatchObject({ messageId: 'SVC4004', variables: ['application/json'] });
  });

  it('answers a policyException with 401 when unauthenticated', async () => {
    const r = await postJson(`${svc.url}/stir/v1/signing`, { signingRequest: full() });
    expect(r.status).toBe(401);
    expect(r.json.requestError.policyException.messageId).toBe('POL1001');
  });
});

describe('health and API description', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.stop());

  it('reports live and ready', async () => {
    expect(await (await fetch(`${svc.url}/health/live`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${svc.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'ok' } });
  });

  it('serves an OpenAPI document describing the sign endpoints', async () => {
    const doc = await (await fetch(`${svc.url}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/stir-shaken/sign', '/stir/v1/signing', '/certs/{name}', '/health/ready']));
  });

  it('answers 404 for a certificate name it does not publish', async () => {
    expect((await fetch(`${svc.url}/certs/${'0'.repeat(32)}.pem`)).status).toBe(404);
    expect((await fetch(`${svc.url}/certs/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });
});
