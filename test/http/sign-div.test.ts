import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT } from '../../server/http/routes/openapi.js';
import { DIV_SIGN_CASES, DIV_TN, expectSignedDiv, UNKNOWN_KEY, type DivCaller, type DivCaseContext } from '../cases/div-sign-cases.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

describe('POST /api/stir-shaken/div', () => {
  let svc: TestService;
  const accounts = {} as Record<Exclude<DivCaller, 'bad-key'>, Provisioned>;
  let ctx: DivCaseContext;
  const post = (path: string, token: string | undefined, body: unknown) => postJson(`${svc.url}${path}`, body, token === undefined ? {} : { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    svc = await startTestService();
    accounts.trust = await svc.provision({ defaultAttest: 'A', maxAttest: 'A' });
    accounts.enforce = await svc.provision({ policyMode: 'enforce', inventory: [{ kind: 'tn', tn: DIV_TN }] });
    accounts['enforce-gateway'] = await svc.provision({ policyMode: 'enforce', sourceKind: 'gateway' });
    const t = accounts.trust.token;
    ctx = {
      nowSec: Math.floor(Date.now() / 1000),
      shaken: async (dest) => (await post('/api/stir-shaken/sign', t, { orig: { tn: '14045266060' }, dest: { tn: dest } })).json.identity,
      forwarded: async (identity, dest) => (await post('/api/stir-shaken/div', t, { identity, dest: { tn: dest } })).json.identity,
    };
  });
  afterAll(() => svc.stop());

  for (const c of DIV_SIGN_CASES) {
    it(`${c.title} (HTTP ${c.http})`, async () => {
      const who = c.caller === undefined || c.caller === 'bad-key' ? 'trust' : c.caller;
      const body = await c.body(ctx);
      const r = await post('/api/stir-shaken/div', c.caller === 'bad-key' ? UNKNOWN_KEY : accounts[who].token, body);
      expect(r.status).toBe(c.http);
      if (c.outcome.ok) {
        expect(Object.keys(r.json).sort()).toEqual(['dest', 'div', 'iat', 'identity', 'orig', 'origid', 'x5u']);
        expect(r.json.x5u).toBe(accounts[who].x5u);
        await expectSignedDiv(r.json, accounts[who].pki.leaf.certPem, c.outcome, body);
      } else {
        expect(r.json.error).toMatchObject({ code: c.outcome.code, reason: expect.any(String) });
        if (c.outcome.field) expect(r.json.error.field).toBe(c.outcome.field);
      }
    });
  }

  it('takes a single Identity header as a string, as a SIP stack hands one over', async () => {
    const s = await ctx.shaken([DIV_TN]);
    const r = await post('/api/stir-shaken/div', accounts.trust.token, { identity: s, dest: { tn: ['12025550199'] } });
    expect(r.status).toBe(200);
    expect(r.json.div).toEqual({ tn: DIV_TN });
  });

  it('refuses a request without an API key, non-JSON, and a body above the limit through the one error body', async () => {
    expect((await post('/api/stir-shaken/div', undefined, { orig: { tn: '1' } })).json.error.code).toBe('ERR_AUTH_MISSING');
    const bad = await post('/api/stir-shaken/div', accounts.trust.token, '{"identity":');
    expect(bad).toMatchObject({ status: 400, json: { error: { code: 'ERR_REQ_MALFORMED' } } });
    const big = await post('/api/stir-shaken/div', accounts.trust.token, { identity: ['x'.repeat(svc.config.http.bodyLimit)], dest: { tn: ['1'] } });
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'ERR_REQ_TOO_LARGE' } } });
    const text = await fetch(`${svc.url}/api/stir-shaken/div`, { method: 'POST', headers: { authorization: `Bearer ${accounts.trust.token}`, 'content-type': 'text/plain' }, body: '{}' });
    expect(text.status).toBe(415);
  });

  it('is described in /openapi.json with both input forms as examples', async () => {
    const res = await fetch(`${svc.url}/openapi.json`);
    const doc = await res.json();
    const op = doc.paths['/api/stir-shaken/div'].post;
    expect(Object.keys(op.requestBody.content['application/json'].examples)).toEqual(['fromReceivedIdentity', 'explicit']);
    expect(op.responses['200'].content['application/json'].schema.required).toEqual(['identity', 'div', 'dest', 'orig', 'origid', 'iat', 'x5u']);
    expect(doc.paths['/api/stir-shaken/div']).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT.paths['/api/stir-shaken/div'])));
  });

  it('signs both OpenAPI examples as they stand, to the answer the example shows', async () => {
    const op = OPENAPI_DOCUMENT.paths['/api/stir-shaken/div'].post;
    const { explicit, fromReceivedIdentity } = op.requestBody.content['application/json'].examples;
    const shown = op.responses[200].content['application/json'].example;
    for (const example of [explicit.value, fromReceivedIdentity.value]) {
      // The example shaken PASSporT's signature is a placeholder: the signer copies claims and does not verify (RFC 8946 §4 leaves that to the verifier).
      const r = await post('/api/stir-shaken/div', accounts.trust.token, example);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ div: shown.div, dest: shown.dest, orig: shown.orig, origid: shown.origid });
    }
  });
});
