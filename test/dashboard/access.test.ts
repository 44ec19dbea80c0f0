import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provisioned, TestService } from '../helpers/service.js';
import { DashClient, eventually, makeUser, sign, startDashboardService } from './support.js';

describe('dashboard roles', () => {
  let svc: TestService;
  let x: Provisioned;
  let y: Provisioned;
  let admin: DashClient;
  let operatorX: DashClient;
  let viewerX: DashClient;
  let viewerAll: DashClient;

  beforeAll(async () => {
    svc = await startDashboardService('embedded');
    x = await svc.provision({ name: 'acct-x' });
    y = await svc.provision({ name: 'acct-y' });
    admin = await DashClient.login(svc, (await makeUser(svc, 'admin')).username);
    operatorX = await DashClient.login(svc, (await makeUser(svc, 'operator', x.account.id)).username);
    viewerX = await DashClient.login(svc, (await makeUser(svc, 'viewer', x.account.id)).username);
    viewerAll = await DashClient.login(svc, (await makeUser(svc, 'viewer')).username);
    await sign(svc, x.token, { orig: { tn: '12025550100' }, dest: { tn: ['12025550199'] } });
    await sign(svc, y.token, { orig: { tn: '13035550100' }, dest: { tn: ['13035550199'] } });
    await eventually(async () => (await svc.node.store.countRequestLog()) >= 2, 'two log rows');
  });
  afterAll(() => svc?.stop());

  it("shows an operator its own account only and answers 404 for another account's data", async () => {
    const list = await operatorX.get('/dashboard/api/accounts');
    expect(list.json.accounts.map((a: any) => a.name)).toEqual(['acct-x']);
    expect((await operatorX.get(`/dashboard/api/accounts/${x.account.id}`)).status).toBe(200);
    for (const path of [
      `/dashboard/api/accounts/${y.account.id}`,
      `/dashboard/api/accounts/acct-y/credentials`,
      `/dashboard/api/accounts/${y.account.id}/api-keys`,
      `/dashboard/api/logs?account=${y.account.id}`,
      `/dashboard/api/stats?account=${y.account.id}`,
      `/dashboard/api/reports?from=2026-01-01&to=2026-01-02&account=${y.account.id}`,
      `/dashboard/api/accounts/acc_doesnotexist`,
    ]) {
      const r = await operatorX.get(path);
      expect(r.status, path).toBe(404);
      expect(r.json.error.code, path).toBe('ERR_REQ_NOT_FOUND');
    }
    expect((await operatorX.patch(`/dashboard/api/accounts/${y.account.id}`, { maxAttest: 'C' })).status).toBe(404);
    expect((await operatorX.post(`/dashboard/api/accounts/${y.account.id}/api-keys`, { name: 'steal' })).status).toBe(404);
  });

  it("limits an operator's logs to its own account without being asked", async () => {
    const r = await operatorX.get('/dashboard/api/logs');
    expect(r.status).toBe(200);
    expect(r.json.rows.length).toBeGreaterThan(0);
    expect(new Set(r.json.rows.map((row: any) => row.accountId))).toEqual(new Set([x.account.id]));
    const all = await admin.get('/dashboard/api/logs');
    expect(new Set(all.json.rows.map((row: any) => row.accountId))).toEqual(new Set([x.account.id, y.account.id]));
  });

  it('lets an operator change its own account but not create accounts or users', async () => {
    const r = await operatorX.patch(`/dashboard/api/accounts/${x.account.id}`, { tokenTtlSec: 120 });
    expect(r.status).toBe(200);
    expect(r.json.account.tokenTtlSec).toBe(120);
    expect((await operatorX.post('/dashboard/api/accounts', { name: 'new-one' })).status).toBe(403);
    expect((await operatorX.get('/dashboard/api/users')).status).toBe(403);
  });

  it('lets only an admin grant priority-call (rph) namespaces, while an operator may save the form with the grant unchanged', async () => {
    const refused = await operatorX.patch(`/dashboard/api/accounts/${x.account.id}`, { rphNamespaces: ['ets'] });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('ERR_ROLE_FORBIDDEN');
    const granted = await admin.patch(`/dashboard/api/accounts/${x.account.id}`, { rphNamespaces: ['WPS', 'ets', 'ets'] });
    expect(granted.status).toBe(200);
    expect(granted.json.account.rphNamespaces).toEqual(['ets', 'wps']);
    const unknown = await admin.patch(`/dashboard/api/accounts/${x.account.id}`, { rphNamespaces: ['dsn'] });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: 'ERR_REQ_FIELD_INVALID', field: 'rphNamespaces' });
    // The settings form sends every field back: an unchanged grant is no grant.
    const same = await operatorX.patch(`/dashboard/api/accounts/${x.account.id}`, { rphNamespaces: ['wps', 'ets'], tokenTtlSec: 90 });
    expect(same.status).toBe(200);
    expect((await operatorX.get(`/dashboard/api/accounts/${x.account.id}`)).json.account).toMatchObject({ rphNamespaces: ['ets', 'wps'], tokenTtlSec: 90 });
    expect((await admin.patch(`/dashboard/api/accounts/${x.account.id}`, { rphNamespaces: [] })).json.account.rphNamespaces).toEqual([]);
  });

  it('lets only an admin turn out-of-band publishing on, off or change its prefixes; an operator may save the form with it unchanged', async () => {
    const url = `/dashboard/api/accounts/${x.account.id}`;
    // Publishing sends the account's signed calls to a third party (the STI-CPS): the service's operator decides.
    const refused = await operatorX.patch(url, { oobPublish: { destPrefixes: [] } });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('ERR_ROLE_FORBIDDEN');
    expect((await operatorX.patch(url, { oobPublish: true })).status).toBe(403);
    const on = await admin.patch(url, { oobPublish: { destPrefixes: ['1404', '1202'] } });
    expect(on.status).toBe(200);
    expect(on.json.account.oobPublish).toEqual({ destPrefixes: ['1202', '1404'] });
    expect((await operatorX.patch(url, { oobPublish: { destPrefixes: ['1202'] } })).status).toBe(403);
    expect((await operatorX.patch(url, { oobPublish: null })).status).toBe(403);
    // The form sends the stored choice back (in any order): unchanged is no change.
    const same = await operatorX.patch(url, { oobPublish: { destPrefixes: ['1404', '1202'] }, tokenTtlSec: 95 });
    expect(same.status).toBe(200);
    expect((await operatorX.get(url)).json.account).toMatchObject({ oobPublish: { destPrefixes: ['1202', '1404'] }, tokenTtlSec: 95 });
    expect((await admin.patch(url, { oobPublish: null })).json.account.oobPublish).toBeNull();
    expect((await operatorX.patch(url, { oobPublish: false, tokenTtlSec: 96 })).status).toBe(200);
  });

  it('lets a viewer read but not write, and scopes a bound viewer to its account', async () => {
    expect((await viewerX.get(`/dashboard/api/accounts/${x.account.id}`)).status).toBe(200);
    expect((await viewerX.get(`/dashboard/api/accounts/${y.account.id}`)).status).toBe(404);
    const write = await viewerX.patch(`/dashboard/api/accounts/${x.account.id}`, { maxAttest: 'C' });
    expect(write.status).toBe(403);
    expect(write.json.error.code).toBe('ERR_ROLE_FORBIDDEN');
    expect((await viewerX.post(`/dashboard/api/accounts/${x.account.id}/api-keys`, { name: 'k' })).status).toBe(403);
    expect((await viewerAll.get('/dashboard/api/accounts')).json.accounts.map((a: any) => a.name)).toEqual(['acct-x', 'acct-y']);
    expect((await viewerAll.del(`/dashboard/api/accounts/${y.account.id}/api-keys/${y.apiKeyId}`)).status).toBe(403);
    // The key is still valid: nothing was revoked.
    expect((await sign(svc, y.token, { orig: { tn: '13035550100' }, dest: { tn: ['13035550199'] } })).status).toBe(200);
  });

  it('lets an admin manage users and records each change in the audit log', async () => {
    const created = await admin.post('/dashboard/api/users', { username: 'ops-y', password: 'a long enough password', role: 'operator', accountId: 'acct-y' });
    expect(created.status).toBe(201);
    expect(created.json.user).toMatchObject({ username: 'ops-y', role: 'operator', accountId: y.account.id });
    expect((await admin.post('/dashboard/api/users', { username: 'ops-y', password: 'a long enough password', role: 'viewer' })).status).toBe(409);
    const short = await admin.post('/dashboard/api/users', { username: 'short', password: 'short', role: 'viewer' });
    expect(short.status).toBe(400);
    expect(short.json.error.field).toBe('password');
    const noAccount = await admin.post('/dashboard/api/users', { username: 'op-none', password: 'a long enough password', role: 'operator' });
    expect(noAccount.json.error.field).toBe('accountId');

    const opY = await DashClient.login(svc, 'ops-y', 'a long enough password');
    const patched = await admin.patch(`/dashboard/api/users/${created.json.user.id}`, { role: 'viewer' });
    expect(patched.json.user.role).toBe('viewer');
    // New rights end the old session.
    expect((await opY.get('/dashboard/api/session')).status).toBe(401);
    expect((await admin.del(`/dashboard/api/users/${created.json.user.id}`)).status).toBe(204);
    const users = await admin.get('/dashboard/api/users');
    expect(users.json.users.map((u: any) => u.username)).not.toContain('ops-y');
    expect(JSON.stringify(users.json)).not.toMatch(/scrypt|password/i);

    const audit = await admin.get('/dashboard/api/audit?limit=50');
    const actions = audit.json.entries.map((e: any) => `${e.action} ${e.target}`);
    expect(actions).toContain(`user.create user:${created.json.user.id}`);
    expect(actions).toContain(`user.update user:${created.json.user.id}`);
    expect(actions).toContain(`user.remove user:${created.json.user.id}`);
    const update = audit.json.entries.find((e: any) => e.action === 'user.update');
    expect(update.username).toMatch(/^admin/);
    expect(new Date(update.time).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(update.detail).toMatchObject({ role: 'viewer', passwordChanged: false });
  });

  it("shows an operator the audit entries of its own account only", async () => {
    await operatorX.patch(`/dashboard/api/accounts/${x.account.id}`, { defaultAttest: 'B' });
    await admin.patch(`/dashboard/api/accounts/${y.account.id}`, { defaultAttest: 'B' });
    const mine = await operatorX.get('/dashboard/api/audit');
    expect(mine.json.entries.length).toBeGreaterThan(0);
    expect(new Set(mine.json.entries.map((e: any) => e.accountId))).toEqual(new Set([x.account.id]));
    const update = mine.json.entries.find((e: any) => e.action === 'account.update');
    expect(update.detail).toEqual({ defaultAttest: 'B' });
  });

  it('refuses removing or demoting the last admin', async () => {
    const users = (await admin.get('/dashboard/api/users')).json.users;
    const admins = users.filter((u: any) => u.role === 'admin');
    expect(admins).toHaveLength(1);
    const r = await admin.del(`/dashboard/api/users/${admins[0].id}`);
    expect(r.status).toBe(409);
  });
});
