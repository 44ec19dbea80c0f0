import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's chromium package; playwright-core never downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = 'test-artifacts/screenshots';

/** The laptop screen the dashboard must be usable on. */
export const LAPTOP = { width: 1366, height: 768 };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh browser profile (its own cookies) on a laptop-sized window, failing the test on any script error of the page. */
export async function newContext(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page; pageErrors: Error[] }> {
  const context = await browser.newContext({ baseURL, viewport: LAPTOP, acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  return { context, page, pageErrors };
}

/** The whole page at laptop width, kept in test-artifacts/ for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
}

/** Signs in through the login form and waits for the overview. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/dashboard/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}

/** Waits (polling, up to 10 s) until the element's text contains `text`, or equals it when `exact`. */
export async function expectText(locator: Locator, text: string, exact = false): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last: string | null = null;
  for (;;) {
    last = (await locator.first().textContent({ timeout: Math.max(deadline - Date.now(), 100) }).catch(() => null))?.trim() ?? null;
    if (last !== null && (exact ? last === text : last.includes(text))) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(last, `text of ${locator}`).toEqual(exact ? text : expect.stringContaining(text));
}

/** Waits (polling, up to 10 s) until a form field's value contains `text`: some fields are filled asynchronously. */
export async function expectValue(locator: Locator, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    last = await locator.inputValue();
    if (last.includes(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(last, `value of ${locator}`).toContain(text);
}
