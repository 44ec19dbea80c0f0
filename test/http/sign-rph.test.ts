import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT } from '../../server/http/routes/openapi.js';
import { expectSignedRph, RPH_DEST, RPH_ORIG, RPH_SIGN_CASES, type RphCaller } from '../cases/rph-sign-cases.js';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

const ADMIN = 'admin-token-for-rph-tests-0123456789abcdef';

describe('POST /api/stir-shaken/rph', () => {
  let svc: TestService;
  const accounts = {} as Record<RphCaller, Provisioned>;
  const post = (token: string | undefined, body: unknown) => postJson(`${svc.url}/api/stir-shaken/rph`, body, token === undefined ? {} : { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    svc = await startTestService({ overrides: { adminToken: ADMIN } });
    accounts['ets-wps'] = await svc.provision({ rphNamespaces: ['ets', 'wps'] });
    accounts.ets = await svc.provision({ rphNamespaces: ['ets'] });
    accounts.none = await svc.provision();
  });
  afterAll(() => svc.stop());

  for (const c of RPH_SIGN_CASES) {
    it(`${c.title} (HTTP ${c.http})`, async () => {
      const who = accounts[c.caller ?? 'ets-wps'];
      const r = await post(who.token, c.body);
      expect(r.status).toBe(c.http);
      if (c.outcome.ok) {
        expect(Object.keys(r.json).sort()).toEqual(['dest', 'iat', 'identity', 'orig', 'rph', 'x5u', ...(c.outcome.sph ? ['sph'] : [])].sort());
        expect(r.json).toMatchObject({ rph: { auth: c.outcome.auth }, orig: { tn: RPH_ORIG }, dest: { tn: [RPH_DEST] }, x5u: who.x5u });
        await expectSignedRph(r.json, who.pki.leaf.certPem, c.outcome);
      } else {
        expect(r.json.error).toMatchObject({ code: c.outcome.code, field: c.outcome.field, reason: expect.any(String) });
      }
    });
  }

  it('refuses a request without an API key and a body that is not JSON through the one error body', async () => {
    expect(await post(undefined, { rph: { auth: ['ets.0'] } })).toMatchObject({ status: 401, json: { error: { code: 'ERR_AUTH_MISSING' } } });
    expect(await post(accounts['ets-wps'].token, '{"rph":')).toMatchObject({ status: 400, json: { error: { code: 'ERR_REQ_MALFORMED' } } });
  });

  it("logs each rph signing with passports 'rph', refused ones too", async () => {
    const granted = await svc.provision({ rphNamespaces: ['ets'] });
    const body = { orig: { tn: RPH_ORIG }, dest: { tn: [RPH_DEST] }, rph: { auth: ['ets.2'] } };
    await post(granted.token, body);
    await post(granted.token, { ...body, rph: { auth: ['wps.2'] } });
    await expect
      .poll(async () => (await svc.node.store.queryRequestLog({ accountId: granted.account.id, passport: 'rph' })).map((r) => `${r.kind}:${r.outcome}:${r.errorCode ?? ''}:${r.orig}:${r.dest}`).sort(), { timeout: 5000 })
      .toEqual([`sign:error:ERR_ATTEST_REFUSED:${RPH_ORIG}:${RPH_DEST}`, `sign:ok::${RPH_ORIG}:${RPH_DEST}`]);
  });

  it('signs for a namespace right after an operator grants it through the admin API, without a restart, and stops when it is cleared', async () => {
    const acct = await svc.provision();
    const body = { orig: { tn: RPH_ORIG }, dest: { tn: [RPH_DEST] }, rph: { auth: ['esnet.1'] } };
    expect((await post(acct.token, body)).status).toBe(403);
    const patch = (rphNamespaces: unknown) =>
      fetch(`${svc.url}/api/admin/accounts/${acct.account.name}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ rphNamespaces }) });
    const bad = await patch(['esnet', 'mlpp']);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'rphNamespaces' });
    const granted = await patch(['ESNET']);
    expect(granted.status).toBe(200);
    expect((await granted.json()).rphNamespaces).toEqual(['esnet']);
    await expect.poll(async () => (await post(acct.token, body)).status, { timeout: 5000 }).toBe(200);
    expect(((await (await fetch(`${svc.url}/api/admin/accounts/${acct.account.id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { rphNamespaces: string[] }).rphNamespaces).toEqual(['esnet']);
    expect((await patch([])).status).toBe(200);
    await expect.poll(async () => (await post(acct.token, body)).json.error?.code, { timeout: 5000 }).toBe('ERR_ATTEST_REFUSED');
  });

  it('is described in /openapi.json and signs its own example to the answer the example shows', async () => {
    const doc = await (await fetch(`${svc.url}/openapi.json`)).json();
    expect(doc.paths['/api/stir-shaken/rph']).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT.paths['/api/stir-shaken/rph'])));
    const op = OPENAPI_DOCUMENT.paths['/api/stir-shaken/rph'].post;
    const shown = op.responses[200].content['application/json'].example;
    const r = await post(accounts['ets-wps'].token, op.requestBody.content['application/json'].schema.example);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ rph: shown.rph, dest: shown.dest, orig: shown.orig });
  });
});
