import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

const ADMIN = 'admin-token-for-routing-tests-0123456789';

describe('POST /api/routing', () => {
  let svc: TestService;
  let acct: Provisioned;
  const route = (body: unknown, headers: Record<string, string> = {}) => postJson(`${svc.url}/api/routing`, body, { authorization: `Bearer ${acct.token}`, ...headers });
  const admin = (path: string, init: RequestInit) =>
    fetch(`${svc.url}/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });

  beforeAll(async () => {
    svc = await startTestService({ overrides: { adminToken: ADMIN } });
    acct = await svc.provision({ maxAttest: 'B', defaultAttest: 'B' });
    await svc.node.store.addRoutingRule({ accountId: acct.account.id, prefix: '1800', target: 'sip:tollfree-b.example.net', priority: 20 });
    await svc.node.store.addRoutingRule({ accountId: acct.account.id, prefix: '1800', target: 'sip:tollfree-a.example.net', priority: 10 });
    await svc.node.store.addRoutingRule({ accountId: acct.account.id, prefix: '1', target: 'sips:nanp.example.net', priority: 10 });
  });
  afterAll(() => svc.stop());

  it('answers the routes for the destination and the Identity header, signed as on sign', async () => {
    const r = await route({ orig: { tn: '14045266060' }, dest: { tn: ['+1 800 123 4567'] }, attest: 'A' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      routes: [
        { uri: 'sip:tollfree-a.example.net', priority: 10 },
        { uri: 'sip:tollfree-b.example.net', priority: 20 },
      ],
      routeSource: 'rule',
      attest: 'B',
      downgraded: true,
      attestReason: 'account-maximum',
    });
    expect(r.json.identity).toMatch(/;info=<.+>;alg=ES256;ppt=shaken$/);
  });

  it('lets X-Attestation lower the level as on sign', async () => {
    const r = await route({ orig: { tn: '14045266060' }, dest: { tn: ['14045550000'] } }, { 'x-attestation': 'C' });
    expect(r.json).toMatchObject({ attest: 'C', routes: [{ uri: 'sips:nanp.example.net', priority: 10 }] });
  });

  it('falls back to the Request-URI when no rule matches, and to no route at all', async () => {
    const withUri = await route({ orig: { tn: '14045266060' }, dest: { tn: ['442071234567'] }, requestUri: 'sip:+442071234567@uk.example.org' });
    expect(withUri.json).toMatchObject({ routes: [{ uri: 'sip:+442071234567@uk.example.org', priority: 0 }], routeSource: 'request-uri' });
    const none = await route({ orig: { tn: '14045266060' }, dest: { tn: ['442071234567'] } });
    expect(none.json).toMatchObject({ routes: [], routeSource: 'none' });
  });

  it('refuses a Request-URI that could break a SIP header, without signing', async () => {
    const r = await route({ orig: { tn: '14045266060' }, dest: { tn: ['442071234567'] }, requestUri: 'sip:x\r\nContact: <sip:evil>' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'ERR_URI_INVALID', field: 'requestUri' });
  });

  it('answers bad sign input and a missing key exactly as sign does', async () => {
    expect((await route({ orig: { tn: 'abc' }, dest: { tn: ['1'] } })).json.error).toMatchObject({ code: 'ERR_TN_INVALID', field: 'orig.tn' });
    expect((await postJson(`${svc.url}/api/routing`, { orig: { tn: '1' }, dest: { tn: ['1'] } })).status).toBe(401);
  });

  it('sees rules changed through the admin API without a restart', async () => {
    const body = { orig: { tn: '14045266060' }, dest: { tn: ['33123456789'] } };
    expect((await route(body)).json.routeSource).toBe('none');
    const created = await admin(`/accounts/${acct.account.id}/routes`, { method: 'POST', body: JSON.stringify({ prefix: '33', target: 'sip:fr.example.net', priority: 5 }) });
    expect(created.status).toBe(201);
    const rule = await created.json();
    await expect.poll(async () => (await route(body)).json.routes, { timeout: 5000 }).toEqual([{ uri: 'sip:fr.example.net', priority: 5 }]);
    const listed = await (await admin(`/accounts/${acct.account.id}/routes`, { method: 'GET' })).json();
    expect(listed.routes.map((r: { id: string }) => r.id)).toContain(rule.id);
    expect((await admin(`/accounts/${acct.account.id}/routes/${rule.id}`, { method: 'DELETE' })).status).toBe(200);
    await expect.poll(async () => (await route(body)).json.routeSource, { timeout: 5000 }).toBe('none');
    const bad = await admin(`/accounts/${acct.account.id}/routes`, { method: 'POST', body: JSON.stringify({ prefix: '33', target: 'http://x' }) });
    expect(bad.status).toBe(400);
  });
});
