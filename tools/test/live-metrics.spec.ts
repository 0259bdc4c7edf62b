import { spawnSync } from 'node:child_process';
// tools/ is not an Nx project: the launcher, the e2e harness and these checks share its process starter.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startStack, type Stack } from '../stack';
import { CENTER_HTTP_METRICS, CENTER_METRICS, PROXY_METRICS, PROXY_METRICS_COMING } from './metrics';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const havePromtool = promtool.status === 0;
const required = process.env['KSN_REQUIRE_PROMTOOL'] === '1';

function checkMetrics(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * prom-client's default metrics include three gauges named `*_total`
 * (nodejs_active_handles_total, …_requests_total, …_resources_total), which promtool's
 * linter flags; they are prom-client's names, not ours. Every other finding fails.
 */
const PROM_CLIENT_DEFAULTS =
  /^(\w+_)?nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

function ourFindings(text: string): string[] {
  const { status, output } = checkMetrics(text);
  const findings =
    output === '' ? [] : output.split('\n').filter((l) => !PROM_CLIENT_DEFAULTS.test(l.trim()));
  // 0: clean; 3: lint findings only (listed). Anything else: promtool could not parse it.
  if (status !== 0 && status !== 3) findings.push(`promtool exit ${status}: ${output}`);
  return findings;
}

describe('promtool is available', () => {
  it(
    required
      ? 'promtool is installed (KSN_REQUIRE_PROMTOOL=1)'
      : 'promtool is installed, or these checks are skipped',
    () => {
      if (!havePromtool && !required)
        console.warn(
          'SKIPPED: promtool not found (Debian: apt-get install prometheus): live /metrics not checked',
        );
      expect(havePromtool || !required).toBe(true);
    },
  );
});

(havePromtool ? describe : describe.skip)(
  'promtool check metrics on the live /metrics of ksn-proxy and security-center',
  () => {
    const PROXY_KEY = 'kp_ops-check-proxy-key-0123456789abcdef';
    const ENROLMENT = 'ke_ops-check-enrolment-token-0123456789';
    let stack: Stack | undefined;
    let centerUrl: string;
    let proxyUrl: string;
    let adminUrl: string;

    beforeAll(async () => {
      const quiet = { LOG_LEVEL: 'warn' };
      stack = await startStack({
        proxyKey: PROXY_KEY,
        enrolmentToken: ENROLMENT,
        adminPassword: 'ops check password',
        emulator: quiet,
        center: quiet,
        proxy: quiet,
      });
      ({ centerUrl, proxyUrl, proxyAdminUrl: adminUrl } = stack);
      // Some traffic, so labelled series (lookups, upstream requests, histograms) exist.
      const enrol = await fetch(`${centerUrl}/api/v1/enrol`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ enrolmentToken: ENROLMENT, deviceName: 'ops-check' }),
      });
      const { token } = (await enrol.json()) as { token: string };
      const lookup = await fetch(`${proxyUrl}/v1/lookup`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          module: 'file-threat-protection',
          items: [
            { type: 'file', md5: '2e2c937846a0b8789e5e91739284d17a' },
            { type: 'url', url: 'http://www.example.com/' },
          ],
        }),
      });
      expect(lookup.status).toBe(200);
    }, 120_000);

    afterAll(async () => {
      await stack?.stop();
    });

    it('ksn-proxy /metrics passes promtool and has every metric the alerts and the dashboard use', async () => {
      const res = await fetch(`${adminUrl}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(ourFindings(text)).toEqual([]);
      const missing = [...PROXY_METRICS, ...PROXY_METRICS_COMING].filter(
        (m) => !new RegExp(`^# TYPE ${m} `, 'm').test(text),
      );
      expect(missing).toEqual([]);
    });

    it('security-center /metrics passes promtool', async () => {
      const res = await fetch(`${centerUrl}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const m of CENTER_METRICS) expect(text).toMatch(new RegExp(`^${m} 1$`, 'm'));
      for (const m of CENTER_HTTP_METRICS) expect(text).toMatch(new RegExp(`^# TYPE ${m} `, 'm'));
      expect(ourFindings(text)).toEqual([]);
    });

    it('promtool does flag a bad exposition (the check can fail)', () => {
      const bad =
        '# HELP ksn_bad_metric_seconds_total x\n# TYPE ksn_bad_metric_seconds_total gauge\nksn_bad_metric_seconds_total 1\n';
      expect(ourFindings(bad)).toEqual([
        'ksn_bad_metric_seconds_total non-counter metrics should not have "_total" suffix',
      ]);
      expect(ourFindings('not an exposition {')).toContainEqual(
        expect.stringMatching(/^promtool exit [1-9]/),
      );
    });
  },
);
