import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogRecord } from '../../server/core/ports.js';
import { createLabPki, type LabPki } from '../../server/pki/lab-pki.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { expectText, expectValue, launchChromium, newContext, screenshot, signIn } from './browser.js';
import { call, createUser, signCall, type DashboardLogin } from './fixture.js';

const DAY_MS = 86_400_000;
const ACCOUNT = `e2e-acme-${process.pid}`;
const E2E_TIMEOUT = 90_000;

/**
 * One admin's way through the dashboard against a real node, step by step in one browser session: each step
 * builds on the one before (the account, its credential and API key, the calls signed with it).
 */
describe('dashboard in a real browser (admin)', () => {
  let service: TestService;
  let browser: Browser;
  let page: Page;
  let pageErrors: Error[];
  let admin: DashboardLogin;
  let pki: LabPki;
  let accountId = '';
  let token = '';
  // What the calls signed below should add up to in the charts and the report.
  const signed = { A: 0, B: 0, C: 0 };
  const failures = new Map<string, number>();
  // Forwarded calls (div PASSporTs, RFC 8946) among them, and verifications, which count in the totals too.
  const forwarded = { signed: 0, verified: 0 };
  let verifications = 0;
  /** Branded calls (RCD, RFC 9795) logged: signed under a profile or verified with RCD. */
  let branded = 0;

  async function signOk(attest: 'A' | 'B' | 'C', orig?: string): Promise<string> {
    const r = await signCall(service, token, call(attest, orig));
    expect(r.status).toBe(200);
    expect(r.attest).toBe(attest);
    signed[attest]++;
    return r.origid!;
  }

  async function signStale(): Promise<string> {
    const r = await signCall(service, token, { ...call('A'), iat: Math.floor(Date.now() / 1000) - 3600 });
    expect(r.code).toBe('ERR_REQ_IAT_STALE');
    failures.set(r.code!, (failures.get(r.code!) ?? 0) + 1);
    return r.code!;
  }

  /**
   * A record as the core writes it for a call that carries these PASSporTs, put straight into the store: the
   * dashboard reads the store, whichever transport made the record.
   */
  async function logCall(kind: 'sign' | 'verify', passports: string, attest: 'A' | 'B' | 'C' = 'A', rcd: Partial<Pick<RequestLogRecord, 'rcdProfile' | 'rcdVerified'>> = {}): Promise<string> {
    const origid = randomUUID();
    const record: RequestLogRecord = {
      kind,
      time: new Date(),
      accountId,
      apiKeyId: null,
      transport: 'sip',
      orig: '14045550123',
      dest: '14045550177',
      attestRequested: kind === 'sign' ? attest : null,
      attestApplied: attest,
      attestReason: kind === 'sign' ? 'requested' : null,
      outcome: 'ok',
      errorCode: null,
      latencyUs: 400,
      origid,
      passports,
      rcdProfile: rcd.rcdProfile ?? null,
      rcdVerified: rcd.rcdVerified ?? null,
    };
    await service.node.store.appendRequestLog([record]);
    if (record.rcdProfile !== null || record.rcdVerified !== null) branded++;
    const isForwarded = passports.split(',').some((k) => k === 'div' || k === 'div-o');
    if (kind === 'sign') {
      signed[attest]++;
      if (isForwarded) forwarded.signed++;
    } else {
      verifications++;
      if (isForwarded) forwarded.verified++;
    }
    return origid;
  }

  beforeAll(async () => {
    service = await startTestService();
    browser = await launchChromium();
    admin = await createUser(service, 'admin');
    // 20.5 days left: under the 30-day warning line, and daysLeft (whole days, rounded down) is 20 all day.
    pki = await createLabPki({ spc: '742J', leafNotAfter: new Date(Date.now() + 20.5 * DAY_MS) });
    ({ page, pageErrors } = await newContext(browser, service.url));
  }, E2E_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it('refuses a wrong password with a message, then signs in', async () => {
    await page.goto('/dashboard/');
    await page.getByLabel('Username').fill(admin.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), 'Wrong username or password.');
    await screenshot(page, 'login');
    await signIn(page, admin.username, admin.password);
    expect(await page.getByTestId('current-user').textContent()).toBe(admin.username);
  }, E2E_TIMEOUT);

  it('creates an account and switches its policy to trust with the settings form', async () => {
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByLabel('Name').fill(ACCOUNT);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectText(page.getByTestId('account-name'), ACCOUNT);
    accountId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(accountId).toMatch(/^acc_/);

    await page.getByLabel('Policy mode').selectOption('trust');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expectText(page.getByRole('status').filter({ hasText: 'Settings saved' }), 'Settings saved.');
    expect((await service.node.store.getAccount(accountId))?.policyMode).toBe('trust');
  }, E2E_TIMEOUT);

  it('grants the account a priority-call (rph) namespace with the settings form', async () => {
    await page.getByRole('checkbox', { name: /^ets — / }).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expectText(page.getByRole('status').filter({ hasText: 'Settings saved' }), 'Settings saved.');
    expect((await service.node.store.getAccount(accountId))?.rphNamespaces).toEqual(['ets']);
  }, E2E_TIMEOUT);

  it('turns out-of-band publishing on for two prefixes with the settings form, and off again', async () => {
    await page.getByRole('checkbox', { name: 'Publish signed PASSporTs to the STI-CPS' }).check();
    await page.getByLabel('Out-of-band destination prefixes').fill('1404, 1202');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expectText(page.getByRole('status').filter({ hasText: 'Settings saved' }), 'Settings saved.');
    expect((await service.node.store.getAccount(accountId))?.oobPublish).toEqual({ destPrefixes: ['1202', '1404'] });
    await page.getByRole('checkbox', { name: 'Publish signed PASSporTs to the STI-CPS' }).uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expectText(page.getByRole('status').filter({ hasText: 'Settings saved' }), 'Settings saved.');
    expect((await service.node.store.getAccount(accountId))?.oobPublish).toBeUndefined();
  }, E2E_TIMEOUT);

  it('explains why a credential is refused: no key, wrong key, expired, wrong curve, no TNAuthList', async () => {
    const upload = page.getByRole('button', { name: 'Upload credential' });
    const chainField = page.getByLabel('Certificate chain (PEM, leaf first)');
    const keyField = page.getByLabel('Private key (PEM, P-256)');
    await chainField.fill(pki.chainPem);
    await upload.click();
    await expectText(page.getByRole('alert'), 'Paste the private key or choose its file');

    const other = await createLabPki();
    const expired = await createLabPki({ leafNotBefore: new Date(Date.now() - 10 * DAY_MS), leafNotAfter: new Date(Date.now() - DAY_MS) });
    const p384 = await createLabPki({ leafKeyCurve: 'P-384' });
    const noTnAuth = await createLabPki({ omitTnAuthList: true });
    const cases: [string, string, string][] = [
      [pki.chainPem, other.leaf.keyPem, 'does not match'],
      [expired.chainPem, expired.leaf.keyPem, 'expired'],
      [p384.chainPem, p384.leaf.keyPem, 'SHAKEN requires ECDSA P-256'],
      [noTnAuth.chainPem, noTnAuth.leaf.keyPem, 'no TNAuthList'],
    ];
    for (const [chain, key, reason] of cases) {
      await chainField.fill(chain);
      await keyField.fill(key);
      await upload.click();
      await expectText(page.getByRole('alert'), reason);
    }
    expect(await service.node.store.listCredentials(accountId)).toHaveLength(0);
  }, E2E_TIMEOUT);

  it('uploads a credential from chosen files and shows subject, SPC, serial and days until expiry', async () => {
    await page.getByLabel('Certificate chain (PEM, leaf first)').fill('');
    await page.getByLabel('Private key (PEM, P-256)').fill('');
    await page.getByLabel(/Choose PEM files/).setInputFiles([
      { name: 'chain.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(pki.chainPem) },
      { name: 'key.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(pki.leaf.keyPem) },
    ]);
    // The files are read in the browser (asynchronously) into the two fields.
    await expectValue(page.getByLabel('Private key (PEM, P-256)'), 'BEGIN PRIVATE KEY');
    await expectValue(page.getByLabel('Certificate chain (PEM, leaf first)'), 'BEGIN CERTIFICATE');
    await page.getByRole('button', { name: 'Upload credential' }).click();
    await expectText(page.getByRole('status').filter({ hasText: 'is now active' }), 'Credential for SPC 742J is now active');

    const notAfter = new Date(Date.now() + 20.5 * DAY_MS).toISOString().slice(0, 10);
    const row = page.getByTestId('credentials').locator('tbody tr').first();
    await expectText(row, 'Active');
    await expectText(row, '742J');
    await expectText(row, 'SHAKEN 742J');
    expect(await row.getByTestId('cred-not-after').textContent()).toBe(notAfter);
    expect(await row.getByTestId('cred-days-left').textContent()).toBe('⚠ 20 days left');
    const stored = await service.node.store.listCredentials(accountId);
    expect(stored).toHaveLength(1);
  }, E2E_TIMEOUT);

  it('creates an API key, shows its token once with a copy button, and the token signs', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByLabel('Name', { exact: true }).last().fill('sbc-e2e');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-api-token');
    await shown.waitFor();
    token = (await shown.textContent())!;
    expect(token).toMatch(/^ssk_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await expectText(page.getByRole('button', { name: 'Copied' }), 'Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await screenshot(page, 'account');

    await page.reload();
    await page.getByTestId('api-keys').waitFor();
    expect(await page.getByTestId('new-api-token').count()).toBe(0);
    await expectText(page.getByTestId('api-keys').locator('tbody tr', { hasText: 'sbc-e2e' }), 'Active');
    await signOk('A');
  }, E2E_TIMEOUT);

  it('adds a SIP source block and sets its SBC dialect in the SIP source view', async () => {
    await page.getByLabel('Address or CIDR').fill('192.0.2.9/24');
    await page.getByRole('form', { name: 'Add a SIP source' }).getByRole('button', { name: 'Add' }).click();
    const dialect = page.getByRole('group', { name: 'SBC dialect of 192.0.2.0/24' });
    await dialect.waitFor();
    expect(await dialect.getByRole('checkbox', { checked: true }).count()).toBe(0);
    // Each tick is sent at once; the box shows what the server stored once the list is read again.
    const stored = async () => (await service.node.store.listSipSources(accountId)).find((s) => s.cidr === '192.0.2.0/24')?.dialect;
    await dialect.getByLabel('300 instead of 302').click();
    await expect.poll(() => dialect.getByLabel('300 instead of 302').isChecked(), { timeout: 10_000 }).toBe(true);
    await dialect.getByLabel('Identity in Contact').click();
    await expect.poll(stored, { timeout: 10_000 }).toEqual({ identityInContact: true, multipleChoices: true, attestationHeaders: false });
    await expect.poll(() => dialect.getByLabel('Identity in Contact').isChecked(), { timeout: 10_000 }).toBe(true);
    await dialect.getByLabel('300 instead of 302').click();
    await expect.poll(stored, { timeout: 10_000 }).toEqual({ identityInContact: true, multipleChoices: false, attestationHeaders: false });
    await page.reload();
    await expect.poll(() => page.getByRole('group', { name: 'SBC dialect of 192.0.2.0/24' }).getByLabel('Identity in Contact').isChecked(), { timeout: 10_000 }).toBe(true);
  }, E2E_TIMEOUT);

  it('shows a call signed over the HTTP API in the live log as it happens, filtered and pausable', async () => {
    // The page fetches the latest rows once its stream is open: after that answer, every new row comes by the stream.
    const streamOpen = (change: () => Promise<unknown>) =>
      Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/dashboard/api/logs'), change()]);
    await streamOpen(() => page.getByRole('link', { name: 'Live log' }).click());
    await streamOpen(() => page.getByLabel('Account').selectOption({ label: ACCOUNT }));
    await expectText(page.getByTestId('stream-state'), 'Live');

    const origid = await signOk('A', '14045550101');
    const row = page.locator(`tr[data-origid="${origid}"]`);
    await expectText(row, '14045550101');
    await expectText(row, 'http');
    await expectText(row, 'OK');

    // Only errors: a failed call shows its code, a good one does not show up.
    await streamOpen(() => page.getByLabel('Outcome').selectOption('error'));
    // The good call goes first: had the filter let it through, it would be on screen before the failed one.
    const okWhileFiltered = await signOk('B');
    await signStale();
    await expectText(page.getByTestId('log-rows').locator('tbody tr').first(), 'ERR_REQ_IAT_STALE');
    expect(await page.locator(`tr[data-origid="${okWhileFiltered}"]`).count()).toBe(0);

    // Paused: new rows are held back and counted, then shown on resume.
    await streamOpen(() => page.getByLabel('Outcome').selectOption(''));
    await page.getByRole('button', { name: 'Pause' }).click();
    const held = await signOk('C', '14045550199');
    await expectText(page.getByRole('button', { name: /Resume \(1 new\)/ }), 'Resume (1 new)');
    expect(await page.locator(`tr[data-origid="${held}"]`).count()).toBe(0);
    await page.getByRole('button', { name: /Resume/ }).click();
    await expectText(page.locator(`tr[data-origid="${held}"]`), '14045550199');

    // The number filter matches orig.
    await page.getByLabel('Number').fill('14045550199');
    await streamOpen(() => page.getByRole('button', { name: 'Apply' }).click());
    await expectText(page.locator(`tr[data-origid="${held}"]`), '14045550199');
    expect(await page.getByTestId('log-rows').locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Number').fill('');
    await streamOpen(() => page.getByRole('button', { name: 'Apply' }).click());
    await page.locator(`tr[data-origid="${origid}"]`).waitFor();
    await screenshot(page, 'live-log');
  }, E2E_TIMEOUT);

  it('shows each call’s PASSporT kinds in the live log and filters it to forwarded calls', async () => {
    const streamOpen = (change: () => Promise<unknown>) =>
      Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/dashboard/api/logs'), change()]);
    const plainOrigid = await signOk('A');
    // A signed call's row from the HTTP API names what it carried; the records below stand for SIP forwarding.
    const forwardedSign = await logCall('sign', 'shaken,div', 'B');
    const twiceVerified = await logCall('verify', 'shaken,div,div');
    await expectText(page.locator(`tr[data-origid="${forwardedSign}"]`).getByTestId('passports'), 'shaken, div (forwarded)', true);
    await expectText(page.locator(`tr[data-origid="${twiceVerified}"]`).getByTestId('passports'), 'shaken, div, div (forwarded ×2)', true);
    await expectText(page.locator(`tr[data-origid="${twiceVerified}"]`), 'verify');
    // A branded call (RFC 9795) whose RCD did not verify says so beside its PASSporTs.
    const brandedVerified = await logCall('verify', 'shaken,rcd', 'A', { rcdVerified: false });
    await expectText(page.locator(`tr[data-origid="${brandedVerified}"]`).getByTestId('passports'), 'shaken, rcd (RCD failed)', true);
    await page.locator(`tr[data-origid="${plainOrigid}"]`).waitFor();

    // Forwarded calls only: the list is fetched again with the filter and the stream lets only such calls through.
    await streamOpen(() => page.getByLabel('PASSporTs').selectOption('forwarded'));
    await expectText(page.getByTestId('stream-state'), 'Live');
    await page.locator(`tr[data-origid="${forwardedSign}"]`).waitFor();
    await page.locator(`tr[data-origid="${twiceVerified}"]`).waitFor();
    expect(await page.locator(`tr[data-origid="${plainOrigid}"]`).count()).toBe(0);
    // The plain call goes first: had the filter let it through, it would be on screen before the forwarded one.
    const plainWhileFiltered = await logCall('sign', 'shaken', 'C');
    // A div-o (RFC 8946 §5) is a forwarding too.
    const forwardedLater = await logCall('sign', 'shaken,div-o', 'A');
    await expectText(page.getByTestId('log-rows').locator('tbody tr').first(), 'shaken, div-o (forwarded)');
    expect(await page.getByTestId('log-rows').locator('tbody tr').first().getAttribute('data-origid')).toBe(forwardedLater);
    expect(await page.locator(`tr[data-origid="${plainWhileFiltered}"]`).count()).toBe(0);
    for (const passports of await page.getByTestId('log-rows').getByTestId('passports').allTextContents()) expect(passports).toContain('div');
    await screenshot(page, 'live-log-forwarded');

    await streamOpen(() => page.getByLabel('PASSporTs').selectOption(''));
    await page.locator(`tr[data-origid="${plainWhileFiltered}"]`).waitFor();
  }, E2E_TIMEOUT);

  it('moves the totals, the volume chart and the integration table when calls are signed', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByLabel('Account').selectOption({ label: ACCOUNT });
    const before = signed.A + signed.B + signed.C + sum(failures) + verifications;
    await expectText(page.getByTestId('total-count'), String(before), true);
    await signOk('B');
    await signOk('C');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expectText(page.getByTestId('total-count'), String(before + 2), true);
    await expectText(page.getByTestId('total-errors'), String(sum(failures)), true);
    await expectText(page.getByTestId('total-forwarded'), String(forwarded.signed + forwarded.verified), true);
    await expectText(page.getByTestId('total-branded'), String(branded), true);

    // The chart's numbers (its table form) add up to the same total; the plot itself is drawn.
    const volume = page.getByRole('figure', { name: 'Volume (requests per bucket)' });
    expect(await volume.locator('canvas').count()).toBeGreaterThan(0);
    await volume.getByText('as a table').click();
    const counts = await volume.locator('details tbody tr td:nth-child(2)').allTextContents();
    expect(counts.map(Number).reduce((a, b) => a + b, 0)).toBe(before + 2);
    await volume.getByText('as a table').click();

    // Every call so far is in the last 15 minutes too.
    await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).searchParams.get('window') === '15m'),
      page.getByLabel('Window', { exact: true }).selectOption('15m'),
    ]);
    await expectText(page.getByTestId('total-count'), String(before + 2), true);

    const integration = page.getByTestId('integrations').locator('tbody tr', { hasText: 'sbc-e2e' });
    await expectText(integration, 'http');
    await expectText(integration, 'Degraded');

    // The certificate that expires in 20 days is in the banner, in words.
    const banner = page.getByRole('alert').filter({ hasText: 'need' });
    await expectText(banner, `Expiring: account ${ACCOUNT}, certificate expires on`);
    await expectText(banner, 'in 20 days');
    await screenshot(page, 'overview');
  }, E2E_TIMEOUT);

  it('downloads a CSV and a PDF report whose numbers match the calls made', async () => {
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByLabel('Account').selectOption({ label: ACCOUNT });
    await page.getByRole('button', { name: 'Show' }).click();
    const preview = page.getByTestId('report');
    await expectText(preview.getByTestId('report-total-signed'), String(signed.A + signed.B + signed.C), true);
    await expectText(preview.getByTestId('report-forwarded-signed'), String(forwarded.signed), true);
    await expectText(preview.getByTestId('report-forwarded-verified'), String(forwarded.verified), true);
    expect(forwarded).toEqual({ signed: 2, verified: 1 });
    await screenshot(page, 'reports');

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/\.csv$/);
    const csv = await readFile((await csvDownload.path())!, 'utf8');
    const rows = parseCsv(csv);
    const acct = rows.find((r) => r[0] === accountId);
    expect(acct).toEqual([
      accountId,
      ACCOUNT,
      String(signed.A),
      String(signed.B),
      String(signed.C),
      String(signed.A + signed.B + signed.C),
      String(forwarded.signed),
      String(forwarded.verified),
    ]);
    for (const [code, count] of failures) expect(rows.find((r) => r[0] === code)).toEqual([code, String(count)]);
    const cert = rows.find((r) => r[0] === accountId && r.length === 7);
    expect(cert?.[3]).toBe('742J');
    expect(cert?.[5]).toBe('20');

    const [pdfDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()]);
    expect(pdfDownload.suggestedFilename()).toMatch(/\.pdf$/);
    const pdf = await readFile((await pdfDownload.path())!);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(1000);
  }, E2E_TIMEOUT);

  it('creates a viewer on the users page and lists every change in the audit log', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    const name = `viewer-${process.pid}`;
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Role').first().selectOption('viewer');
    await page.locator('#new-user-account').selectOption({ label: ACCOUNT });
    await page.getByRole('button', { name: 'Create user' }).click();
    const row = page.getByTestId('users').locator('tbody tr', { hasText: name });
    await expectText(row, 'viewer');
    await expectText(row, ACCOUNT);
    await screenshot(page, 'users');

    await page.getByRole('link', { name: 'Audit log' }).click();
    const audit = page.getByTestId('audit');
    await audit.waitFor();
    const text = (await audit.textContent())!;
    expect(text).toContain(admin.username);
    expect(text).toContain(accountId);
    await screenshot(page, 'audit');
    expect(pageErrors).toEqual([]);
  }, E2E_TIMEOUT);

  it('signs out: the session cookie no longer opens the API', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect((await page.request.get('/dashboard/api/accounts')).status()).toBe(401);
  }, E2E_TIMEOUT);
});

function sum(m: Map<string, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks (the certificate subject has commas). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      rows.push([...row, field.replace(/\r$/, '')]);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}
