import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (CI installs it); the browser tests skip with a message when it is missing. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A fresh Chromium profile (its own user-data-dir), one page, at `width` × 900. */
export async function openBrowser(width = 1280, height = 900): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'ksn-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width, height },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** `describe`, or `describe.skip` with a clear message when Chromium is not installed. */
export function describeWithBrowser(name: string, body: () => void): void {
  if (HAVE_CHROMIUM || process.env['KSN_REQUIRE_BROWSER'] === '1') {
    // CI sets KSN_REQUIRE_BROWSER=1: there a missing Chromium fails the tests instead of skipping them.
    describe(name, body);
  } else {
    console.warn(
      `SKIPPED "${name}": ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH). CI always has it.`,
    );
    describe.skip(name, body);
  }
}

/** Logs in through the login page and waits for the dashboard. */
export async function logIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/dashboard$/);
}

/** Text of an element by data-testid, whitespace collapsed, once it is visible. */
export async function textOf(page: Page, testId: string): Promise<string> {
  const el = page.getByTestId(testId).first();
  await el.waitFor({ state: 'visible' });
  return ((await el.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}
