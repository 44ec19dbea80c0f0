import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestService, type Provisioned, type TestService } from '../helpers/service.js';
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
    content.serve('/photo-1x1.png', PNG, { 'content-type': 'image/png' });
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

  it('takes a jCard in the brand form, naming one that is not RFC 7095, and digests the photo it links', async () => {
    const form = page.getByRole('form', { name: 'Vet a brand' });
    await page.getByLabel('Brand name').fill('Card Bank');
    await page.getByLabel('Numbers (prefix*)').fill('12025550177');
    await page.getByLabel('jCard (JSON or https URL)').fill('{"fn":"Card Bank"}');
    await form.getByRole('button', { name: 'Add' }).click();
    await expectText(page.getByRole('alert'), 'must be ["vcard", [properties]] (RFC 7095)');

    const jcd = ['vcard', [['fn', {}, 'text', 'Card Bank'], ['photo', {}, 'uri', content.url('/photo-1x1.png')]]];
    await page.getByLabel('jCard (JSON or https URL)').fill(JSON.stringify(jcd));
    await form.getByRole('button', { name: 'Add' }).click();
    await expectText(page.getByTestId('brands'), 'Card Bank');
    const profile = (await service.node.store.listRcdProfiles(acct.account.id)).find((p) => p.rcd.nam === 'Card Bank');
    expect(profile).toMatchObject({ rcd: { nam: 'Card Bank', jcd }, tns: ['12025550177'] });
    expect(Object.keys(profile!.nestedDigests ?? {})).toEqual(['/jcd/1/1/3']);
    expect(pageErrors).toEqual([]);
  }, E2E_TIMEOUT);

  it('charts branded calls per bucket beside all requests on the overview', async () => {
    const [profile] = await service.node.store.listRcdProfiles(acct.account.id);
    const signed = await postJson(`${service.url}/api/stir-shaken/sign`, { orig: { tn: '12025550100' }, dest: { tn: ['18001234567'] }, rcd: { profile: profile!.id } }, { authorization: `Bearer ${acct.token}` });
    expect(signed.status).toBe(200);
    await postJson(`${service.url}/api/stir-shaken/sign`, { orig: { tn: '12025550100' }, dest: { tn: ['18001234567'] } }, { authorization: `Bearer ${acct.token}` });
    await page.getByRole('link', { name: 'Overview' }).click();
    const chart = page.getByRole('figure', { name: 'Branded calls (requests per bucket)' });
    await expect.poll(() => chart.locator('canvas').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await chart.getByText('as a table').click();
    const column = async (n: number) => (await chart.locator(`details tbody tr td:nth-child(${n})`).allTextContents()).map(Number).reduce((a, b) => a + b, 0);
    await expect.poll(() => column(3), { timeout: 10_000 }).toBe(1);
    expect(await column(2)).toBe(2);
    expect(pageErrors).toEqual([]);
  }, E2E_TIMEOUT);
});
