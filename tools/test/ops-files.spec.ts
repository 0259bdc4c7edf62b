import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { knownSeries, metricNames } from './metrics';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const yaml = <T>(path: string) => parse(read(path)) as T;

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string }[];
}
interface Compose {
  services: Record<
    string,
    {
      image?: string;
      build?: { target: string; dockerfile: string; context: string };
      environment?: Record<string, string>;
      volumes?: string[];
      ports?: string[];
    }
  >;
}

const rules = yaml<{ groups: { name: string; rules: Rule[] }[] }>(
  'deploy/prometheus/rules/ksn.rules.yml',
).groups.flatMap((g) => g.rules);
const recorded = rules.flatMap((r) => (r.record ? [r.record] : []));
const known = new Set([...knownSeries(), ...recorded]);
const dashboard = JSON.parse(read('deploy/grafana/dashboards/ksn-proxies.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { query: { query: string } }[] };
};
const compose = yaml<Compose>('docker/compose.yaml');
const dockerfile = read('docker/Dockerfile');

describe(metricNames.name, () => {
  it('finds metric names, not functions, labels, keywords or strings', () => {
    const expr =
      'sum by (instance) (rate(ksn_proxy_lookup_items_total{source=~"cache|ksn_x"}[5m])) / on (instance) ksn_proxy:hit:rate5m and up == 0';
    expect(metricNames(expr).sort()).toEqual(['ksn_proxy:hit:rate5m', 'ksn_proxy_lookup_items_total', 'up']);
  });
});

describe('Prometheus rules', () => {
  it('use only metrics the product exports (or records)', () => {
    const unknown = rules.flatMap((r) =>
      metricNames(r.expr)
        .filter((m) => !known.has(m))
        .map((m) => `${r.alert ?? r.record}: ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it('cover every condition the operators asked for, each with a severity and a summary', () => {
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'KsnProxyDown',
        'KsnProxyPolicyOutOfSync',
        'KsnProxyUpstreamErrors',
        'KsnProxyServingStale',
        'KsnProxyHitRatioDrop',
        'KsnProxySpoolFilling',
        'SecurityCenterDatabaseDown',
      ]),
    );
    for (const a of alerts) {
      expect(['critical', 'warning', 'info']).toContain(a.labels?.['severity']);
      expect(a.annotations?.['summary']).toBeTruthy();
    }
  });

  it('each alert has a unit test in deploy/prometheus/tests', () => {
    const tests = read('deploy/prometheus/tests/ksn.rules.test.yml');
    const untested = rules
      .filter((r) => r.alert && !tests.includes(`alertname: ${r.alert}`))
      .map((r) => r.alert);
    expect(untested).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  const panels = dashboard.panels;
  const graphs = panels.filter((p) => p.type !== 'row');

  it('uses only metrics the product exports', () => {
    const exprs = [
      ...graphs.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.map((t) => t.query.query),
    ];
    const unknown = exprs.flatMap((e) => metricNames(e).filter((m) => !known.has(m)));
    expect(unknown).toEqual([]);
  });

  it('shows traffic, hit ratio, bandwidth saved, upstream latency and errors, telemetry refused, per proxy', () => {
    const titles = graphs.map((p) => p.title.toLowerCase());
    for (const want of [
      'lookups per second',
      'hit ratio',
      'bandwidth saved',
      'upstream latency',
      'upstream requests by outcome',
      'telemetry refused by policy',
    ]) {
      expect(titles.some((t) => t.includes(want))).toBe(true);
    }
    // "Per proxy": every query of a proxy metric is filtered by the $instance variable.
    const proxyPanels = graphs.filter((p) => (p.targets ?? []).some((t) => t.expr.includes('ksn_proxy_')));
    expect(proxyPanels.length).toBeGreaterThan(15);
    const unfiltered = proxyPanels
      .filter((p) => (p.targets ?? []).some((t) => !t.expr.includes('instance=~"$instance"')))
      .map((p) => p.title);
    expect(unfiltered).toEqual([]);
  });

  it('has unique panel ids, fits the 24-column grid, and uses the provisioned datasource', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    const ds = yaml<{ datasources: { uid: string; url: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yaml',
    ).datasources[0]!;
    expect(new Set(graphs.map((p) => p.datasource?.uid))).toEqual(new Set([ds.uid]));
    expect(ds.url).toBe('http://prometheus:9090');
  });
});

describe('docker/compose.yaml and docker/Dockerfile', () => {
  it('runs the three services from the Dockerfile targets, with MySQL 8, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'cloud-emulator',
      'grafana',
      'ksn-proxy',
      'mysql',
      'prometheus',
      'security-center',
    ]);
    for (const name of ['cloud-emulator', 'ksn-proxy', 'security-center']) {
      const build = compose.services[name]!.build!;
      expect(build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile', target: name });
      expect(dockerfile).toMatch(new RegExp(`^FROM runtime AS ${name}$`, 'm'));
    }
    expect(compose.services['mysql']!.image).toMatch(/^mysql:8/);
  });

  it('gives the proxy the API key security-center registers, and points each at the other', () => {
    const sc = compose.services['security-center']!.environment!;
    const px = compose.services['ksn-proxy']!.environment!;
    expect(sc['BOOTSTRAP_PROXY_API_KEY']).toMatch(/^\$\{PROXY_API_KEY[:?}]/);
    expect(px['PROXY_API_KEY']).toMatch(/^\$\{PROXY_API_KEY[:?}]/);
    expect(px['SECURITY_CENTER_URL']).toBe('http://security-center:8080');
    expect(sc['DATABASE_URL']).toMatch(/^mysql:\/\/ksn:.*@mysql:3306\/ksn$/);
  });

  it('mounts files that exist, and Prometheus scrapes the services where they listen', () => {
    for (const svc of Object.values(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const host = v.split(':')[0]!;
        if (host.startsWith('.')) expect(existsSync(join(ROOT, 'docker', host))).toBe(true);
      }
    }
    const prom = yaml<{ scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }>(
      'deploy/prometheus/prometheus.yml',
    );
    const targets = Object.fromEntries(
      prom.scrape_configs.map((j) => [j.job_name, j.static_configs[0]!.targets[0]]),
    );
    expect(targets).toMatchObject({
      'ksn-proxy': 'ksn-proxy:13112',
      'security-center': 'security-center:8080',
      'cloud-emulator': 'cloud-emulator:13180',
    });
    const px = compose.services['ksn-proxy']!.environment!;
    expect(px['ADMIN_HOST']).toBe('0.0.0.0');
    expect(px['ADMIN_PORT']).toBe('13112');
  });

  it('copies every workspace library into the images (manifest for npm ci, and compiled output)', () => {
    for (const lib of readdirSync(join(ROOT, 'libs'))) {
      expect(dockerfile).toContain(`COPY libs/${lib}/package.json libs/${lib}/`);
      expect(dockerfile).toMatch(new RegExp(`for p in [^;]*libs/${lib}[ ;]`));
    }
  });

  // hadolint is not packaged for Debian or npm: the rules that matter most, checked here.
  it('every service image runs as a non-root user, has a health check and an exec-form CMD', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    for (const name of ['cloud-emulator', 'ksn-proxy', 'security-center']) {
      const stage = stages.find((s) => s.startsWith(`runtime AS ${name}\n`))!;
      expect(stage).toMatch(/^USER node$/m);
      expect(stage).toMatch(/^HEALTHCHECK /m);
      expect(stage).toMatch(/^CMD \["node", "apps\/[\w-]+\/dist\/main\.js"\]$/m);
    }
    expect(dockerfile).not.toMatch(/:latest\b/);
    expect(dockerfile).not.toMatch(/^ADD /m);
    // COPY sources from the build context exist.
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)) {
      for (const src of m[1]!.split(' ')) expect(existsSync(join(ROOT, src))).toBe(true);
    }
  });
});

describe('docs/configuration.md', () => {
  it('is what tools/gen-config-docs.mjs generates from the built config schemas', () => {
    expect(() =>
      execFileSync(process.execPath, [join(ROOT, 'tools', 'gen-config-docs.mjs'), '--check'], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});
