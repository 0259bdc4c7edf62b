import type { HttpTestingController } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import type { ProxyDetail, TrafficLogEntry } from '@ksn/contracts';
import { proxyStatus } from '../../../testing/fixtures';
import { byTestId, mountPage, settle, typeInto } from '../../../testing/session';
import { PROXIES_URL } from './proxies.api';
import { ProxiesPage, proxyNameError } from './proxies.page';
import { totalsByKind } from './traffic';

const TRAFFIC: TrafficLogEntry[] = [
  {
    minute: '2026-11-27T10:00:00.000Z',
    kind: 'lookup',
    requests: 2,
    items: 10,
    bytesSent: 500,
    bytesReceived: 900,
  },
  {
    minute: '2026-11-27T10:01:00.000Z',
    kind: 'lookup',
    requests: 1,
    items: 5,
    bytesSent: 250,
    bytesReceived: 400,
  },
  {
    minute: '2026-11-27T10:01:00.000Z',
    kind: 'telemetry',
    requests: 1,
    items: 1,
    bytesSent: 2000,
    bytesReceived: 20,
  },
];

describe('proxies helpers', () => {
  it('sums the traffic log per kind, most sent first', () => {
    expect(totalsByKind(TRAFFIC)).toEqual([
      { kind: 'telemetry', requests: 1, items: 1, bytesSent: 2000, bytesReceived: 20 },
      { kind: 'lookup', requests: 3, items: 15, bytesSent: 750, bytesReceived: 1300 },
    ]);
    expect(proxyNameError(' ')).toMatch(/Enter a name/);
  });
});

describe(ProxiesPage.name, () => {
  let fixture: ComponentFixture<ProxiesPage>;
  let http: HttpTestingController;
  let page: HTMLElement;

  beforeEach(async () => {
    ({ fixture, http, page } = await mountPage(ProxiesPage, 'admin'));
    http
      .expectOne(PROXIES_URL)
      .flush([
        proxyStatus({ connected: true, lastHeartbeatAt: new Date().toISOString(), snapshotVersion: 4 }),
      ]);
    await settle(fixture);
    const traffic = http.expectOne((r) => r.url === `${PROXIES_URL}/p1/traffic`);
    expect(traffic.request.params.get('minutes')).toBe('60');
    traffic.flush(TRAFFIC);
    await settle(fixture);
  });
  afterEach(() => http.verify());

  it('lists proxies with their health and the traffic monitor', () => {
    expect(byTestId(page, 'proxy-table')).toContain('branch-office-1');
    expect(byTestId(page, 'proxy-table')).toContain('reachable');
    const cells = Array.from(
      page.querySelectorAll('[data-testid="traffic-kinds"] tbody tr:first-child td'),
      (td) => td.textContent?.trim(),
    );
    expect(cells).toEqual(['Telemetry', '1', '1', '2 kB', '20 B']);
  });

  it('adds a proxy and shows its API key once', async () => {
    typeInto(page.querySelector('[data-testid="proxy-name"]'), 'Site B');
    page.querySelector('form')!.dispatchEvent(new Event('submit'));
    const req = http.expectOne((r) => r.method === 'POST');
    expect(req.request.body).toEqual({ name: 'Site B' });
    req.flush({ id: 'p2', name: 'Site B', apiKey: 'kp_secret' });
    await settle(fixture);
    http.expectOne(PROXIES_URL).flush([proxyStatus()]);
    await settle(fixture);
    expect(byTestId(page, 'proxy-key')).toContain('PROXY_API_KEY=kp_secret');
  });

  it('runs the connectivity self-test', async () => {
    page.querySelector<HTMLButtonElement>('button[aria-label="Test branch-office-1"]')!.click();
    const detail: ProxyDetail = {
      ...proxyStatus(),
      createdAt: '2026-11-27T09:00:00.000Z',
      lastHeartbeatAt: '2026-11-27T09:00:00.000Z',
      connected: false,
      upToDate: false,
      currentSnapshotVersion: 4,
      secondsSinceHeartbeat: 600,
    };
    http.expectOne(`${PROXIES_URL}/p1`).flush(detail);
    await settle(fixture);
    expect(byTestId(page, 'self-test-branch-office-1')).toContain('Not reachable: no heartbeat for 600 s');
  });
});
