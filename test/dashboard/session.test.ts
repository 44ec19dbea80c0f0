import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestService } from '../helpers/service.js';
import { DashClient, ENGINES, PASSWORD, makeUser, startDashboardService } from './support.js';

describe.each(ENGINES)('dashboard sessions (%s store)', (engine) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startDashboardService(engine);
  });
  afterAll(() => svc?.stop());

  it('logs in with a strict HttpOnly cookie scoped to /dashboard, answers who is logged in, and logs out', async () => {
    const { username, user } = await makeUser(svc, 'admin');
    const c = new DashClient(svc.url);
    const r = await c.login(username, PASSWORD);
    expect(r.status).toBe(200);
    expect(r.json.user).toEqual({ id: user.id, username, role: 'admin', accountId: null });
    expect(r.json.csrfToken).toMatch(/^[\w-]{40,}$/);
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^shakenstack_session=[\w-]{40,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/dashboard');
    expect(setCookie).not.toContain('Secure');

    const me = await c.get('/dashboard/api/session');
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ user: r.json.user, csrfToken: r.json.csrfToken });

    const out = await c.del('/dashboard/api/session');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^shakenstack_session=;.*Max-Age=0/);
    // The session is gone from the store: the old cookie no longer works.
    expect((await c.get('/dashboard/api/session')).status).toBe(401);
  });

  it('answers 401 ERR_LOGIN_FAILED for a wrong password and for an unknown user alike, and 401 without a session', async () => {
    const { username } = await makeUser(svc, 'viewer');
    const wrong = await new DashClient(svc.url).login(username, 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: { code: 'ERR_LOGIN_FAILED', reason: 'wrong username or password' } });
    const unknown = await new DashClient(svc.url).login('nobody-here', PASSWORD);
    expect(unknown.json).toEqual(wrong.json);
    const anon = await new DashClient(svc.url).get('/dashboard/api/accounts');
    expect(anon.status).toBe(401);
    expect(anon.json.error.code).toBe('ERR_SESSION_REQUIRED');
    const forged = new DashClient(svc.url);
    forged.cookie = 'shakenstack_session=' + 'A'.repeat(43);
    expect((await forged.get('/dashboard/api/session')).status).toBe(401);
  });

  it('refuses every non-GET request without the session CSRF token with 403 ERR_SESSION_CSRF', async () => {
    const { username } = await makeUser(svc, 'admin');
    const c = await DashClient.login(svc, username);
    const missing = await c.request('POST', '/dashboard/api/accounts', { name: `csrf-${Date.now()}` }, { 'x-csrf-token': '' });
    expect(missing.status).toBe(403);
    expect(missing.json.error.code).toBe('ERR_SESSION_CSRF');
    const wrong = await c.request('DELETE', '/dashboard/api/session', undefined, { 'x-csrf-token': 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    // Nothing was created and the session still works.
    expect((await c.get('/dashboard/api/session')).status).toBe(200);
    const ok = await c.post('/dashboard/api/accounts', { name: `csrf-ok-${Date.now()}` });
    expect(ok.status).toBe(201);
  });

  it('answers 429 with Retry-After after 5 failed logins for a username and address, even with the right password', async () => {
    const { username } = await makeUser(svc, 'operator', (await svc.provision()).account.id);
    for (let i = 0; i < 5; i++) expect((await new DashClient(svc.url).login(username, `wrong-${i}`)).status).toBe(401);
    const limited = await new DashClient(svc.url).login(username, PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('ERR_LOGIN_RATE_LIMITED');
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(800);
    expect(retry).toBeLessThanOrEqual(900);
    // Another username from the same address is not affected.
    const other = await makeUser(svc, 'viewer');
    expect((await new DashClient(svc.url).login(other.username, PASSWORD)).status).toBe(200);
  });
});

describe('dashboard session expiry and limits shared through the store', () => {
  const clock = { ms: Date.now(), now() { return this.ms; } };
  let a: TestService;
  let b: TestService;
  beforeAll(async () => {
    const overrides = { 'dashboard.sessionTtlMs': 600_000, 'dashboard.sessionMaxMs': 1_800_000 };
    a = await startDashboardService('postgres', { clock, overrides });
    // A second node on the same database, as another cluster worker or host would be.
    b = await startDashboardService('postgres', { clock, overrides, url: a.config.store.url });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('ends a session after sessionTtlMs without a request', async () => {
    const { username } = await makeUser(a, 'viewer');
    const c = await DashClient.login(a, username);
    clock.ms += 599_000;
    expect((await c.get('/dashboard/api/session')).status).toBe(200);
    clock.ms += 600_001;
    expect((await c.get('/dashboard/api/session')).status).toBe(401);
  });

  it('ends an active session sessionMaxMs after login', async () => {
    const { username } = await makeUser(a, 'viewer');
    const c = await DashClient.login(a, username);
    for (let i = 0; i < 3; i++) {
      clock.ms += 540_000;
      expect((await c.get('/dashboard/api/session')).status).toBe(200);
    }
    clock.ms += 540_000; // 36 minutes after login, active all along
    expect((await c.get('/dashboard/api/session')).status).toBe(401);
  });

  it('accepts a session opened on one node at another node', async () => {
    const { username } = await makeUser(a, 'viewer');
    const c = await DashClient.login(a, username);
    const atB = new DashClient(b.url);
    atB.cookie = c.cookie;
    expect((await atB.get('/dashboard/api/session')).json.user.username).toBe(username);
  });

  it('counts failed logins across nodes: 5 failures at one node make the next attempt at the other a 429', async () => {
    const { username } = await makeUser(a, 'viewer');
    for (let i = 0; i < 3; i++) expect((await new DashClient(a.url).login(username, 'wrong password')).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await new DashClient(b.url).login(username, 'wrong password')).status).toBe(401);
    expect((await new DashClient(b.url).login(username, PASSWORD)).status).toBe(429);
    expect((await new DashClient(a.url).login(username, PASSWORD)).status).toBe(429);
    // The window is 15 minutes: after it, the right password works again.
    clock.ms += 15 * 60_000 + 1000;
    expect((await new DashClient(a.url).login(username, PASSWORD)).status).toBe(200);
  });
});

describe('dashboard cookie behind https', () => {
  it('marks the session cookie Secure when publicUrl is https', async () => {
    const svc = await startDashboardService('embedded', { overrides: { publicUrl: 'https://sti.example.net' } });
    try {
      const { username } = await makeUser(svc, 'viewer');
      const c = new DashClient(`http://127.0.0.1:${svc.node.port}`);
      const r = await c.login(username, PASSWORD);
      expect(r.headers.get('set-cookie')).toMatch(/; Secure$/);
    } finally {
      await svc.stop();
    }
  });
});
