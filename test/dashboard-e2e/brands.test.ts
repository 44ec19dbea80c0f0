import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type Provisioned, type TestService } from '../helpers/service.js';
import { CertServer } from '../verify/support.js';
import { expectText, launchChromium, newContext, screenshot, signIn } from './browser.js';
import { createUser, type DashboardLogin } from './fixture.js';

// A valid 1x1 PNG: the browser must decode it for the logo to count as shown.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
const E2E_TIMEOUT = 90_000;

describe('dashboard in a real browser: an admin vets a brand and sees its logo', () => {
  let service: TestService;
  let content: CertServer;
  let browser: Browser;
  let page: Page;
  let pageErrors: Error[];
  let admin: DashboardLogin;
  let acct: Provisioned;

  beforeAll(async () => {
    content = await CertServer.start();
    content.serve('/logo-1x1.png', PNG, { 'content-type': 'image/png' });
    service = await startTestService({ tlsCa: content.tlsCaPem, overrides: { 'verify.allowPrivateAddresses': true } });
    acct = await service.provision();
    admin = await createUser(service, 'admin');
    browser = await launchChromium();
    ({ page, pageErrors } = await newContext(browser, service.url));
  }, E2E_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await content?.stop();
  });

  it('adds a brand with the form and shows its logo, fetched through the dashboard', async () => {
    await page.goto('/dashboard/');
    await signIn(page, admin.username, admin.password);
    await page.goto(`/dashboard/accounts/${encodeURIComponent(acct.account.id)}`);
    await page.getByLabel('Brand name').fill('Example Bank');
    await page.getByLabel('Logo URL').fill(content.url('/logo-1x1.png'));
    await page.getByLabel('Numbers (prefix*)').fill('12025550100, 1303555*');
    await page.getByLabel('Call reasons').fill('Fraud alert');
    await page.getByRole('form', { name: 'Vet a brand' }).getByRole('button', { name: 'Add' }).click();
    const logo = page.getByTestId('brand-logo');
    await expectText(page.getByTestId('brands'), 'Example Bank');
    await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(1);
    await expectText(page.getByTestId('brands'), '1303555*');
    await screenshot(page, 'brands');
    const [profile] = await service.node.store.listRcdProfiles(acct.account.id);
    expect(profile).toMatchObject({ rcd: { nam: 'Example Bank', icn: content.url('/logo-1x1.png') }, tns: ['12025550100'], prefixes: ['1303555'], crn: ['Fraud alert'] });
    expect(pageErrors).toEqual([]);
  }, E2E_TIMEOUT);
});
