import type { GroupPolicyView, GroupView, LookupResponse, TokenResponse } from '@ksn/contracts';
import { ADMIN_PASSWORD, ENROLMENT_TOKEN, startStack, until, type Stack } from '../src/harness';
import { describeWithBrowser, logIn, openBrowser, textOf, type Browser } from './browser';

const REGEDIT_MD5 = '2e2c937846a0b8789e5e91739284d17a';
const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

describeWithBrowser('the console in Chromium, against the whole stack', () => {
  let stack: Stack;
  let browser: Browser;
  let deviceToken: string;

  const lookup = async (module: string, items: unknown[]): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${stack.proxyUrl}/v1/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}` },
      body: JSON.stringify({ module, items }),
    });
    return { status: res.status, body: await res.json() };
  };

  /** An admin's API session (cookie + CSRF token), as a script or another admin would use it. */
  const adminApi = async (): Promise<(method: string, path: string, body?: unknown) => Promise<Response>> => {
    const login = await fetch(`${stack.centerUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return (method, path, body) =>
      fetch(`${stack.centerUrl}/api/v1${path}`, {
        method,
        headers: {
          cookie,
          'x-csrf-token': csrfToken,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
  };

  beforeAll(async () => {
    stack = await startStack();
    await until(async () => ((await fetch(`${stack.proxyAdminUrl}/readyz`)).ok ? true : undefined));
    const enrol = await fetch(`${stack.centerUrl}/api/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrolmentToken: ENROLMENT_TOKEN, deviceName: 'browser-e2e-laptop' }),
    });
    expect(enrol.status).toBe(201);
    deviceToken = ((await enrol.json()) as TokenResponse).token;
    browser = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('logs in and shows the user and role', async () => {
    await logIn(browser.page, stack.centerUrl, 'admin', ADMIN_PASSWORD);
    expect(await textOf(browser.page, 'user')).toMatch(/^admin\s*Administrator$/);
    await browser.page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  it('adds a block override, and the proxy then blocks that file', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Overrides' }).click();
    await page.getByTestId('override-value').fill(REGEDIT_MD5);
    await page.getByLabel('Comment').fill('browser e2e: block regedit');
    await page.getByTestId('override-submit').click();
    expect(await textOf(page, 'notice')).toBe(`Blocked ${REGEDIT_MD5}.`);
    expect(await textOf(page, 'override-table')).toContain('browser e2e: block regedit');

    const result = await until(async () => {
      const { body } = await lookup('file-threat-protection', [{ type: 'file', md5: REGEDIT_MD5 }]);
      const r = (body as LookupResponse).results[0];
      return r.decision === 'block' && r.source === 'override' ? r : undefined;
    });
    expect(result.key).toBe(`md5:${REGEDIT_MD5}`);
  });

  it("switches a module's cloud use off for the group, and the proxy refuses that module's lookups", async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByTestId('section-cloud').waitFor();
    const own = page.getByTestId('own-cloud');
    if (!(await own.isChecked())) await own.check();
    await page.getByTestId('module-web-threat-protection').uncheck();
    await page.getByTestId('save-policy').click();
    expect(await textOf(page, 'policy-notice')).toMatch(/^Saved \(version \d+\)/);

    const refused = await until(async () => {
      const r = await lookup('web-threat-protection', [{ type: 'url', url: 'https://example.com/' }]);
      return r.status === 403 ? r : undefined;
    });
    expect(refused.body).toMatchObject({ error: 'cloud_disabled_for_module' });
    // Other modules still use the cloud.
    const other = await lookup('file-threat-protection', [{ type: 'file', sha256: EICAR_SHA256 }]);
    expect(other.status).toBe(200);
  });

  it('looks a file up: hashed in the browser, only the hash is sent', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Reputation' }).click();
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/'))
        sent.push(`${r.method()} ${new URL(r.url()).pathname} ${r.postData() ?? ''}`.trim());
    });
    await page
      .getByTestId('file-input')
      .setInputFiles({ name: 'eicar.com', mimeType: 'application/octet-stream', buffer: Buffer.from(EICAR) });
    await page
      .locator('[data-testid="reputation-result"], [data-testid="reputation-error"]')
      .first()
      .waitFor();
    if (await page.getByTestId('reputation-error').count())
      throw new Error(await textOf(page, 'reputation-error'));
    expect(await textOf(page, 'verdict')).toBe('malicious');
    expect(await textOf(page, 'reputation-result')).toContain('eicar.com');
    expect(sent).toEqual([`GET /api/v1/reputation/${EICAR_SHA256}`]);
  });

  it('shows the policy change in the audit log with before and after', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-type').fill('policy');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByTestId('audit-open-policy.update').first().click();
    await page.getByTestId('audit-diff').waitFor();
    const row = page
      .getByTestId('audit-diff')
      .locator('tr', { hasText: 'cloud.modules.web-threat-protection' });
    const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
    // The group inherited its cloud section before ("—") and sets it now, this module off.
    expect(cells).toEqual(['cloud.modules.web-threat-protection', '—', 'false']);
  });

  it("merges when someone else saved the policy meanwhile, losing no one's change", async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByTestId('section-cloud').waitFor();
    await page.getByTestId('module-anti-spam').uncheck();

    // Another admin saves the same group's policy first: application control in test mode.
    const api = await adminApi();
    const groups = (await (await api('GET', '/groups')).json()) as GroupView[];
    const root = groups.find((g) => g.parentId === null)!;
    const current = (await (await api('GET', `/groups/${root.id}/policy`)).json()) as GroupPolicyView;
    const theirs = await api('PUT', `/groups/${root.id}/policy`, {
      version: current.version,
      policy: { ...current.policy, appControl: { mode: 'default-allow', testMode: true, rules: [] } },
    });
    expect(theirs.status).toBe(200);

    await page.getByTestId('save-policy').click();
    expect(await textOf(page, 'policy-conflict')).toContain('Someone else saved this policy');
    expect(await page.getByTestId('module-anti-spam').isChecked()).toBe(false);
    await page.getByTestId('save-policy').click();
    expect(await textOf(page, 'policy-notice')).toMatch(/^Saved/);

    const saved = (await (await api('GET', `/groups/${root.id}/policy`)).json()) as GroupPolicyView;
    expect(saved.policy.cloud?.modules['anti-spam']).toBe(false);
    expect(saved.policy.cloud?.modules['web-threat-protection']).toBe(false);
    expect(saved.policy.appControl?.testMode).toBe(true);
  });

  it('returns to the login page when the session ends', async () => {
    const { page, context } = browser;
    await context.clearCookies();
    await page.getByRole('link', { name: 'Overrides' }).click();
    await page.waitForURL(/\/login\?returnUrl=%2Foverrides$/);
    expect(await textOf(page, 'session-expired')).toContain('Your session expired');
  });

  it('shows an auditor the same screens read-only', async () => {
    // An admin creates the auditor through the API, as a script would.
    const api = await adminApi();
    const created = await api('POST', '/users', {
      username: 'auditor1',
      password: 'auditor password 123',
      role: 'auditor',
    });
    expect(created.status).toBe(201);

    const { page } = browser;
    await logIn(page, stack.centerUrl, 'auditor1', 'auditor password 123');
    expect(await textOf(page, 'user')).toMatch(/^auditor1\s*Auditor \(read-only\)$/);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByTestId('section-cloud').waitFor();
    expect(await page.getByTestId('save-policy').count()).toBe(0);
    expect(await page.locator('section input:not([disabled]), section select:not([disabled])').count()).toBe(
      0,
    );
    await page.getByRole('link', { name: 'Overrides' }).click();
    await page.getByTestId('override-table').waitFor();
    expect(await page.getByTestId('override-form').count()).toBe(0);
  });
});
