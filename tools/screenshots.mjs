// `node tools/screenshots.mjs`: starts the whole stack from the built apps (build first:
// `npm run build`, or the console's and services' builds), seeds real data through the API and
// the proxy, and saves a PNG of every console page into docs/screenshots/.
// Needs Chromium (/usr/bin/chromium, or CHROMIUM_PATH) and playwright-core.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { startStack, ROOT } = require('./stack.js');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = join(ROOT, 'docs', 'screenshots');
const ADMIN_PASSWORD = 'screenshots admin password';
const PROXY_KEY = `kp_${randomBytes(18).toString('base64url')}`;
const ENROLMENT_TOKEN = `ke_${randomBytes(18).toString('base64url')}`;
const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const REGEDIT_MD5 = '2e2c937846a0b8789e5e91739284d17a';

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} not found: install chromium (apt-get install chromium) or set CHROMIUM_PATH.`);
  process.exit(1);
}

let stack;

async function stop() {
  await stack?.stop();
}

/** A logged-in API client (session cookie + CSRF token), like the console itself. */
async function apiClient(base) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const { csrfToken } = await login.json();
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

async function seed(urls) {
  const api = await apiClient(urls.center);
  const groups = await api('GET', '/groups');
  const root = groups.find((g) => g.parentId === null) ?? groups[0];
  const berlin = await api('POST', '/groups', { name: 'Branch Berlin', parentId: root.id });
  const laptops = await api('POST', '/groups', { name: 'Laptops', parentId: berlin.id });
  await api('POST', '/groups', { name: 'Servers', parentId: root.id });
  await api('POST', '/categories/sync').catch(() => undefined);

  // Devices enrol with the bootstrap token (default group), then look things up through the proxy.
  const tokens = [];
  for (const name of ['reception-pc', 'finance-laptop', 'build-server']) {
    const res = await fetch(`${urls.center}/api/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrolmentToken: ENROLMENT_TOKEN, deviceName: name }),
    });
    tokens.push((await res.json()).token);
  }
  const lookup = (token, module, items) =>
    fetch(`${urls.proxy}/v1/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ module, items }),
    });
  const unknownHashes = [];
  while (unknownHashes.length < 4) {
    const h = randomBytes(32).toString('hex');
    const d = await (await fetch(`${urls.emulator}/v1/files/${h}/details`)).json();
    if (d.verdict === 'unknown') unknownHashes.push(h);
  }
  for (let round = 0; round < 6; round++) {
    for (const [i, token] of tokens.entries()) {
      await lookup(token, 'file-threat-protection', [
        { type: 'file', sha256: EICAR_SHA256 },
        { type: 'file', md5: REGEDIT_MD5 },
        ...unknownHashes.slice(0, i + 2).map((sha256) => ({ type: 'file', sha256 })),
        ...Array.from({ length: 2 }, () => ({ type: 'file', sha256: randomBytes(32).toString('hex') })),
      ]);
      await lookup(token, 'web-threat-protection', [
        { type: 'url', url: `https://example.com/page/${round}` },
      ]);
    }
  }

  // Policy: Berlin sets its own cloud section (anti-spam off), locks KSN, and has app-control rules.
  const policy = await api('GET', `/groups/${berlin.id}/policy`);
  const categories = (await api('GET', '/categories')).categories;
  const paths = (nodes) => nodes.flatMap((n) => [n.path, ...paths(n.children)]);
  const category = paths(categories).find((p) => /game/i.test(p)) ?? paths(categories).at(-1) ?? 'Games';
  await api('PUT', `/groups/${berlin.id}/policy`, {
    version: policy.version,
    policy: {
      cloud: { modules: { ...policy.effective.settings.cloud.modules, 'anti-spam': false } },
      ksn: { participation: 'basic', sending: { statistics: false, detectedObjects: false, urls: false } },
      appControl: {
        mode: 'default-allow',
        testMode: false,
        rules: [
          {
            action: 'block',
            status: 'on',
            match: { kind: 'category', path: category },
            comment: 'not on company machines',
          },
          { action: 'allow', status: 'test', match: { kind: 'vendor', vendor: 'Microsoft Corporation' } },
        ],
      },
      locked: ['ksn'],
    },
  });
  await api('POST', '/overrides', {
    hash: REGEDIT_MD5,
    action: 'block',
    comment: 'Blocked after the incident review',
  });
  await api('POST', '/overrides', {
    url: 'https://allowed.example.org/tool',
    action: 'allow',
    comment: 'Vendor portal',
    expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
  });
  await api('POST', '/enrolment-tokens', { label: 'Laptop roll-out', groupId: laptops.id, maxUses: 50 });
  await api('POST', '/proxies', { name: 'branch-berlin' });
  await api('POST', '/users', {
    username: 'audit.team',
    password: 'a long auditor password',
    role: 'auditor',
  });
  await api('POST', '/api-tokens', { name: 'inventory-sync', role: 'operator' });
  return { berlin };
}

async function main() {
  stack = await startStack({
    proxyKey: PROXY_KEY,
    enrolmentToken: ENROLMENT_TOKEN,
    adminPassword: ADMIN_PASSWORD,
    proxy: { HEARTBEAT_INTERVAL_MS: '500' },
  });
  const px = { url: stack.proxyUrl, adminUrl: stack.proxyAdminUrl };
  const urls = { emulator: stack.emulatorUrl, center: stack.centerUrl, proxy: px.url };
  const { berlin } = await seed(urls);
  await new Promise((r) => setTimeout(r, 1500)); // a few heartbeats carry the counters

  mkdirSync(OUT, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'ksn-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const shot = async (name) => {
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
      console.log(`docs/screenshots/${name}.png`);
    };
    await page.goto(`${stack.centerUrl}/login`);
    await shot('login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/dashboard$/);
    await page
      .getByTestId('stat-lookups')
      .first()
      .waitFor()
      .catch(() => undefined);
    await shot('dashboard');
    for (const [path, name] of [
      ['/groups', 'groups'],
      [`/policies/${berlin.id}`, 'policy-editor'],
      ['/categories', 'categories'],
      ['/overrides', 'overrides'],
      ['/unknown', 'unknown-objects'],
      ['/proxies', 'proxies'],
      ['/users', 'users'],
    ]) {
      await page.goto(`${stack.centerUrl}${path}`);
      await page.locator('h1').first().waitFor();
      await shot(name);
    }
    await page.goto(`${stack.centerUrl}/reputation`);
    await page.getByTestId('hash-input').fill(EICAR_SHA256);
    await page.getByTestId('lookup').click();
    await page.getByTestId('reputation-result').waitFor();
    await shot('reputation');
    await page.goto(`${stack.centerUrl}/audit`);
    await page.getByTestId('audit-open-policy.update').first().click();
    await page.getByTestId('audit-diff').waitFor();
    await shot('audit-log');
    await page.setViewportSize({ width: 820, height: 1100 });
    await page.goto(`${stack.centerUrl}/dashboard`);
    await page
      .getByTestId('stat-lookups')
      .first()
      .waitFor()
      .catch(() => undefined);
    await shot('dashboard-tablet');
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().then(stop, async (err) => {
  console.error(err);
  await stop();
  process.exitCode = 1;
});
