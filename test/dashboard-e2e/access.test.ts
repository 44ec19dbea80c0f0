import type { APIRequestContext, Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { expectText, launchChromium, newContext, screenshot, signIn } from './browser.js';
import { call, createUser, signCall } from './fixture.js';

const E2E_TIMEOUT = 90_000;

/** Who may see and change what, tried through the browser and straight against the API with the browser's cookie. */
describe('dashboard access control in a real browser', () => {
  let service: TestService;
  let browser: Browser;
  let x: Provisioned;
  let y: Provisioned;
  let xOrigid = '';
  let yOrigid = '';

  beforeAll(async () => {
    service = await startTestService();
    browser = await launchChromium();
    x = await service.provision({ name: `x-${process.pid}` });
    y = await service.provision({ name: `y-${process.pid}`, pki: { spc: '999Y' } });
    const rx = await signCall(service, x.token, call('A', '12025550111'));
    const ry = await signCall(service, y.token, call('A', '12025550999'));
    expect([rx.status, ry.status]).toEqual([200, 200]);
    xOrigid = rx.origid!;
    yOrigid = ry.origid!;
  }, E2E_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it("an operator of account X sees X and never Y's data, in the UI or the API (404)", async () => {
    const operator = await createUser(service, 'operator', x.account.id);
    const { page, context } = await newContext(browser, service.url);
    await signIn(page, operator.username, operator.password);

    const nav = page.getByRole('navigation', { name: 'Main' });
    await expectText(nav, 'My account');
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await nav.getByRole('link', { name: 'My account' }).click();
    await expectText(page.getByTestId('account-name'), x.account.name);
    // An operator may change its own account.
    expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(1);

    await page.goto(`/dashboard/accounts/${y.account.id}`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Account not found');
    expect(await page.content()).not.toContain(y.account.name);

    // The live log shows X's call, not Y's.
    await page.goto('/dashboard/logs');
    await page.locator(`tr[data-origid="${xOrigid}"]`).waitFor();
    expect(await page.locator(`tr[data-origid="${yOrigid}"]`).count()).toBe(0);
    const accountChoices = await page.getByLabel('Account').locator('option').allTextContents();
    expect(accountChoices).toEqual([x.account.name]);

    const api = context.request;
    const csrf = await csrfToken(api);
    const accounts = (await (await api.get('/dashboard/api/accounts')).json()) as { accounts: { id: string }[] };
    expect(accounts.accounts.map((a) => a.id)).toEqual([x.account.id]);
    const logs = (await (await api.get('/dashboard/api/logs')).json()) as { rows: { origid: string; accountId: string }[] };
    expect(logs.rows.map((r) => r.origid)).toContain(xOrigid);
    expect(logs.rows.every((r) => r.accountId === x.account.id)).toBe(true);
    const day = new Date().toISOString().slice(0, 10);
    const yPaths = [
      `/accounts/${y.account.id}`,
      `/accounts/${y.account.id}/credentials`,
      `/accounts/${y.account.id}/api-keys`,
      `/accounts/${y.account.id}/sip-sources`,
      `/accounts/${y.account.id}/routes`,
      `/logs?account=${y.account.id}`,
      `/stats?window=1h&account=${y.account.id}`,
      `/reports?from=${day}&to=${day}&account=${y.account.id}&format=json`,
    ];
    for (const path of yPaths) {
      const res = await api.get(`/dashboard/api${path}`);
      expect(`${path} → ${res.status()}`).toBe(`${path} → 404`);
      expect(await res.text()).not.toContain(y.account.name);
    }
    const patch = await api.patch(`/dashboard/api/accounts/${y.account.id}`, { data: { enabled: false }, headers: { 'x-csrf-token': csrf } });
    expect(patch.status()).toBe(404);
    const key = await api.post(`/dashboard/api/accounts/${y.account.id}/api-keys`, { data: { name: 'stolen', sourceKind: 'customer' }, headers: { 'x-csrf-token': csrf } });
    expect(key.status()).toBe(404);
    expect((await service.node.store.getAccount(y.account.id))?.enabled).toBe(true);
    expect((await api.get('/dashboard/api/users')).status()).toBe(403);
    await context.close();
  }, E2E_TIMEOUT);

  it('a viewer reads its account without any write control, and the API refuses its writes', async () => {
    const viewer = await createUser(service, 'viewer', x.account.id);
    const { page, context } = await newContext(browser, service.url);
    await signIn(page, viewer.username, viewer.password);
    await page.goto(`/dashboard/accounts/${x.account.id}`);
    await expectText(page.getByTestId('account-name'), x.account.name);
    await expectText(page.locator('main'), 'Read-only');
    await page.getByTestId('credentials').waitFor();
    for (const name of ['Save settings', 'Upload credential', 'Create key', 'Add', /^Revoke/]) {
      expect(await page.getByRole('button', { name }).count(), `button ${name}`).toBe(0);
    }
    await screenshot(page, 'account-viewer');
    const csrf = await csrfToken(context.request);
    const patch = await context.request.patch(`/dashboard/api/accounts/${x.account.id}`, { data: { enabled: false }, headers: { 'x-csrf-token': csrf } });
    expect(patch.status()).toBe(403);
    expect((await service.node.store.getAccount(x.account.id))?.enabled).toBe(true);
    await context.close();
  }, E2E_TIMEOUT);

  it('refuses a change without the X-CSRF-Token header, and makes the same change with it', async () => {
    const admin = await createUser(service, 'admin');
    const { page, context } = await newContext(browser, service.url);
    await signIn(page, admin.username, admin.password);
    const name = `csrf-${process.pid}`;
    const without = await context.request.post('/dashboard/api/accounts', { data: { name } });
    expect(without.status()).toBe(403);
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('ERR_SESSION_CSRF');
    const wrong = await context.request.post('/dashboard/api/accounts', { data: { name }, headers: { 'x-csrf-token': 'not-the-token' } });
    expect(wrong.status()).toBe(403);
    expect(await service.node.store.findAccountByName(name)).toBeUndefined();

    const withToken = await context.request.post('/dashboard/api/accounts', { data: { name }, headers: { 'x-csrf-token': await csrfToken(context.request) } });
    expect(withToken.status()).toBe(201);
    expect((await service.node.store.findAccountByName(name))?.name).toBe(name);
    await context.close();
  }, E2E_TIMEOUT);

  it('shows the rate limit after five wrong passwords for one username', async () => {
    const victim = await createUser(service, 'viewer');
    const { page, context } = await newContext(browser, service.url);
    await page.goto('/dashboard/');
    const attempt = async (password: string): Promise<number> => {
      await page.getByLabel('Username').fill(victim.username);
      await page.getByLabel('Password').fill(password);
      const [res] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/dashboard/api/session' && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      return res.status();
    };
    for (let i = 0; i < 5; i++) {
      expect(await attempt('wrong password!')).toBe(401);
      await expectText(page.getByRole('alert'), 'Wrong username or password.');
    }
    expect(await attempt('wrong password!')).toBe(429);
    await expectText(page.getByRole('alert'), 'Too many failed sign-ins for this username.');
    // Even the right password waits out the limit.
    expect(await attempt(victim.password)).toBe(429);
    await expectText(page.getByRole('alert'), 'Too many failed sign-ins');
    await context.close();
  }, E2E_TIMEOUT);
});

async function csrfToken(api: APIRequestContext): Promise<string> {
  const res = await api.get('/dashboard/api/session');
  expect(res.status()).toBe(200);
  return ((await res.json()) as { csrfToken: string }).csrfToken;
}
