import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';

const ADMIN = 'admin-token-for-tests-0123456789abcdef';

describe('admin API', () => {
  let svc: TestService;
  let acct: Provisioned;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${svc.url}/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) } });
  const csv = (path: string, body: string) => admin(path, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });

  beforeAll(async () => {
    svc = await startTestService({ overrides: { adminToken: ADMIN } });
    acct = await svc.provision({ policyMode: 'enforce', maxAttest: 'A' });
  });
  afterAll(() => svc.stop());

  it('refuses requests without the admin token, with a wrong one, and with an account API key', async () => {
    expect((await fetch(`${svc.url}/api/admin/accounts`)).status).toBe(401);
    expect((await fetch(`${svc.url}/api/admin/accounts`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const withKey = await fetch(`${svc.url}/api/admin/accounts`, { headers: { authorization: `Bearer ${acct.token}` } });
    expect(withKey.status).toBe(401);
    expect((await withKey.json()).error.code).toBe('ERR_AUTH_INVALID');
  });

  it('is off, and says so, when no admin token is configured', async () => {
    const off = await startTestService();
    try {
      const res = await fetch(`${off.url}/api/admin/accounts`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.status).toBe(401);
      expect((await res.json()).error.reason).toContain('SHAKENSTACK_ADMIN_TOKEN');
    } finally {
      await off.stop();
    }
  });

  it('lists and shows accounts, and changes an account policy', async () => {
    const list = await (await admin('/accounts')).json();
    expect(list.accounts.map((a: { id: string }) => a.id)).toContain(acct.account.id);
    const patched = await admin(`/accounts/${acct.account.name}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nonNumericOrig: 'C' }) });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ nonNumericOrig: 'C', policyMode: 'enforce' });
    const bad = await admin(`/accounts/${acct.account.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ maxAttest: 'Z' }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'ERR_ATTEST_INVALID', field: 'maxAttest' });
    expect((await admin('/accounts/nobody')).status).toBe(404);
  });

  it('imports an inventory CSV and a running node signs A for it right after', async () => {
    const sign = () => postJson(`${svc.url}/api/stir-shaken/sign`, { orig: { tn: '14045266060' }, dest: { tn: ['18001234567'] }, attest: 'A' }, { authorization: `Bearer ${acct.token}` });
    expect((await sign()).json.attest).toBe('B');
    const r = await csv(`/accounts/${acct.account.id}/inventory`, 'kind,value,count\nrange,14045266000,100\nprefix,1212555,\n');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ imported: 2, total: 2 });
    await expect.poll(async () => (await sign()).json.attest, { timeout: 5000 }).toBe('A');
    const exported = await admin(`/accounts/${acct.account.id}/inventory`);
    expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await exported.text()).trim().split('\n').sort()).toEqual(['kind,value,count', 'prefix,1212555,', 'range,14045266000,100']);
  });

  it('answers bad rows with 400, each row named, and imports nothing', async () => {
    const before = (await (await admin(`/accounts/${acct.account.id}`)).json()).inventoryEntries;
    const r = await csv(`/accounts/${acct.account.id}/inventory?replace=true`, 'tn,15550001111\ntn,12ab\nrange,15550002000\n');
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', reason: '2 bad row(s), nothing imported' });
    expect(body.error.details.rows.map((row: { line: number }) => row.line)).toEqual([2, 3]);
    expect((await (await admin(`/accounts/${acct.account.id}`)).json()).inventoryEntries).toBe(before);
  });

  it('removes entries listed in a CSV', async () => {
    const r = await csv(`/accounts/${acct.account.id}/inventory/remove`, 'prefix,1212555\n');
    expect(await r.json()).toMatchObject({ removed: 1 });
  });

  it('refuses an inventory sent as JSON', async () => {
    const r = await admin(`/accounts/${acct.account.id}/inventory`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe('ERR_REQ_MALFORMED');
  });
});
