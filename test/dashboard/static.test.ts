import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestService } from '../helpers/service.js';
import { startDashboardService } from './support.js';

describe('dashboard static files', () => {
  let svc: TestService;
  let missing: TestService;
  let assets: string;
  const INDEX = '<!doctype html><title>shakenstack</title><div id="app"></div><script type="module" src="/dashboard/assets/app-1a2b.js"></script>';

  beforeAll(async () => {
    assets = await mkdtemp(join(tmpdir(), 'shakenstack-web-'));
    await mkdir(join(assets, 'assets'));
    await writeFile(join(assets, 'index.html'), INDEX);
    await writeFile(join(assets, 'assets', 'app-1a2b.js'), 'console.log("app")');
    await writeFile(join(assets, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    svc = await startDashboardService('embedded', { overrides: { 'dashboard.assetsDir': assets } });
    missing = await startDashboardService('embedded', { overrides: { 'dashboard.assetsDir': join(assets, 'not-built') } });
  });
  afterAll(async () => {
    await svc?.stop();
    await missing?.stop();
    await rm(assets, { recursive: true, force: true });
  });

  it('serves index.html at /dashboard/ and for client routes, with a CSP that allows only its own origin', async () => {
    for (const path of ['/dashboard/', '/dashboard/accounts/acc_123', '/dashboard/logs?account=x']) {
      const res = await fetch(svc.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(await res.text()).toBe(INDEX);
    }
    const bare = await fetch(`${svc.url}/dashboard`, { redirect: 'manual' });
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/dashboard/');
  });

  it('serves hashed assets with a long cache life and answers 404 for a missing one', async () => {
    const js = await fetch(`${svc.url}/dashboard/assets/app-1a2b.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${svc.url}/dashboard/assets/gone-9z.js`)).status).toBe(404);
    expect((await fetch(`${svc.url}/dashboard/favicon.svg`)).headers.get('content-type')).toMatch(/svg/);
    expect((await fetch(`${svc.url}/dashboard/assets/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });

  it('answers an unknown API path with the API 404, not the page', async () => {
    const res = await fetch(`${svc.url}/dashboard/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'ERR_REQ_NOT_FOUND' } });
  });

  it('says how to build the dashboard with a 503 when its files are missing', async () => {
    const res = await fetch(`${missing.url}/dashboard/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('The dashboard is not built');
    // The API does not need the files.
    expect((await fetch(`${missing.url}/dashboard/api/session`)).status).toBe(401);
  });

  it('is absent when dashboard.enabled is false', async () => {
    const off = await startDashboardService('embedded', { overrides: { 'dashboard.enabled': false, 'dashboard.assetsDir': assets } });
    try {
      expect((await fetch(`${off.url}/dashboard/`)).status).toBe(404);
      expect((await fetch(`${off.url}/dashboard/api/session`)).status).toBe(404);
    } finally {
      await off.stop();
    }
  });
});
