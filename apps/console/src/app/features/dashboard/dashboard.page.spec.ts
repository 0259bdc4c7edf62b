import { provideHttpClient, withInterceptors } from '@angular/common/http';
import {
  HttpTestingController,
  provideHttpClientTesting,
  type TestRequest,
} from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { DashboardResponse } from '@ksn/contracts';
import { dashboardResponse, proxyStatus } from '../../../testing/fixtures';
import { flushError } from '../../../testing/http';
import { sessionInterceptor } from '../../core/auth/session.interceptor';
import { DashboardPage } from './dashboard.page';

const NOW = Date.parse('2026-01-01T12:00:30Z');

describe(DashboardPage.name, () => {
  let fixture: ComponentFixture<DashboardPage>;
  let httpTesting: HttpTestingController;
  let page: HTMLElement;

  beforeEach(() => {
    // Fake only the clock and the polling interval (RxJS timer uses setInterval);
    // Angular's zoneless scheduler keeps its real setTimeout / requestAnimationFrame.
    jest.useFakeTimers({
      now: NOW,
      doNotFake: [
        'setTimeout',
        'clearTimeout',
        'setImmediate',
        'clearImmediate',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'queueMicrotask',
        'nextTick',
        'hrtime',
        'performance',
        'requestIdleCallback',
        'cancelIdleCallback',
      ],
    });
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionInterceptor])),
        provideHttpClientTesting(),
        provideRouter([]),
      ],
    });
    httpTesting = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(DashboardPage);
    page = fixture.nativeElement as HTMLElement;
  });

  afterEach(() => {
    fixture.destroy();
    httpTesting.verify();
    jest.useRealTimers();
  });

  const text = (testId: string): string | undefined =>
    page.querySelector(`[data-testid="${testId}"]`)?.textContent?.replace(/\s+/g, ' ').trim();
  const isDashboard = (req: { url: string }): boolean => req.url === '/api/v1/dashboard';

  /** Lets the poll fire and returns its request. */
  function nextPoll(ms: number): TestRequest {
    jest.advanceTimersByTime(ms);
    return httpTesting.expectOne(isDashboard);
  }

  async function answer(req: TestRequest, body: DashboardResponse): Promise<void> {
    req.flush(body);
    await fixture.whenStable();
  }

  it('switches to the last day and 30 days, asking at once and then polling that window', async () => {
    await answer(nextPoll(0), dashboardResponse());
    page.querySelector<HTMLButtonElement>('[data-testid="range-1440"]')!.click();
    const day = httpTesting.expectOne(isDashboard);
    expect(day.request.params.get('minutes')).toBe('1440');
    await answer(day, dashboardResponse({ windowMinutes: 1440, bucketMinutes: 15 }));
    expect(text('subtitle')).toContain('Last day');
    expect(page.querySelector('[data-testid="range-1440"]')?.getAttribute('aria-pressed')).toBe('true');
    expect(nextPoll(5000).request.params.get('minutes')).toBe('1440');
    httpTesting.match(isDashboard).forEach((r) => r.flush(dashboardResponse({ windowMinutes: 1440 })));
    page.querySelector<HTMLButtonElement>('[data-testid="range-43200"]')!.click();
    const month = httpTesting.expectOne(isDashboard);
    expect(month.request.params.get('minutes')).toBe('43200');
    await answer(month, dashboardResponse({ windowMinutes: 43200, bucketMinutes: 60 }));
    expect(text('subtitle')).toContain('Last 30 days');
  });

  it('asks for the last 60 minutes at once, then every 5 s', async () => {
    const first = nextPoll(0);
    expect(first.request.method).toBe('GET');
    expect(first.request.params.get('minutes')).toBe('60');
    await answer(first, dashboardResponse());

    jest.advanceTimersByTime(4_999);
    httpTesting.expectNone(isDashboard);
    await answer(nextPoll(1), dashboardResponse());
    await answer(nextPoll(5_000), dashboardResponse());
  });

  it('does not pile up requests while one is still out', () => {
    const slow = nextPoll(0);
    jest.advanceTimersByTime(15_000);
    httpTesting.expectNone(isDashboard); // expectOne above took the only one
    slow.flush(dashboardResponse());
  });

  it('stops polling when the page is left, cancelling the request in flight', async () => {
    await answer(nextPoll(0), dashboardResponse());
    const pending = nextPoll(5_000);
    fixture.destroy();
    expect(pending.cancelled).toBe(true);
    jest.advanceTimersByTime(60_000);
    httpTesting.expectNone(isDashboard);
  });

  it('shows the empty state until a proxy has reported', async () => {
    await answer(nextPoll(0), dashboardResponse({ proxies: [proxyStatus({ lastHeartbeatAt: null })] }));
    expect(text('empty-state')).toContain('No proxy connected yet');

    await answer(
      nextPoll(5_000),
      dashboardResponse({
        proxies: [proxyStatus({ lastHeartbeatAt: '2026-01-01T12:00:00Z', connected: true })],
      }),
    );
    expect(text('empty-state')).toBeUndefined();
  });

  it('shows the totals, the chart and every proxy', async () => {
    await answer(
      nextPoll(0),
      dashboardResponse({
        totals: {
          lookups: 400,
          cacheHits: 300,
          upstreamRequests: 100,
          upstreamErrors: 2,
          staleAnswers: 0,
          bytesSaved: 2_500_000,
          telemetryForwarded: 10,
          telemetryBlocked: 5,
        },
        series: [
          {
            minute: '2026-01-01T11:59:00.000Z',
            lookups: 400,
            cacheHits: 300,
            upstreamRequests: 100,
            upstreamErrors: 2,
            staleAnswers: 0,
            bytesSaved: 2_500_000,
            telemetryForwarded: 10,
            telemetryBlocked: 5,
          },
        ],
        proxies: [
          proxyStatus({
            id: 'a',
            name: 'hq-proxy',
            connected: true,
            lastHeartbeatAt: '2026-01-01T12:00:10Z',
            snapshotVersion: 7,
            cacheEntries: 12_345,
          }),
          proxyStatus({
            id: 'b',
            name: 'branch-7',
            connected: false,
            lastHeartbeatAt: '2026-01-01T11:40:00Z',
            snapshotVersion: 6,
            cacheEntries: 10,
          }),
        ],
        snapshotVersion: 7,
        devices: 42,
        groups: 3,
      }),
    );

    expect(text('stat-lookups')).toContain('400');
    expect(text('stat-cache-hits')).toContain('75% hit ratio');
    expect(text('stat-bytes-saved')).toContain('2.5 MB');
    expect(text('stat-telemetry')).toContain('10 / 5');
    expect(text('stat-devices')).toContain('42');
    expect(text('stat-devices')).toContain('in 3 groups');
    expect(page.querySelector('[data-testid="stat-upstream-errors"]')!.classList).toContain('attention');
    expect(text('subtitle')).toContain('policy snapshot v7');

    const chart = page.querySelector('[data-testid="traffic-chart"]')!;
    expect(chart.getAttribute('aria-label')).toContain('at most 400 lookups and 300 cache hits in a minute');
    expect(chart.querySelector('polyline.lookups')!.getAttribute('points')!.split(' ')).toHaveLength(60);

    const cell = (td: Element): string =>
      (td.querySelector('.name') ?? td).textContent!.replace(/\s+/g, ' ').trim();
    const rows = Array.from(page.querySelectorAll('tr[mat-row]'), (row) =>
      Array.from(row.querySelectorAll('td'), cell),
    );
    expect(rows).toEqual([
      ['hq-proxy', 'Connected', '20 s ago', 'v7', '12,345'],
      ['branch-7', 'Disconnected', '20 min ago', 'v6 (current is v7)', '10'],
    ]);
    expect(page.querySelector('tr[mat-row] .sub')!.textContent).toBe('version 0.1.0');
    expect(Array.from(page.querySelectorAll('th'), (th) => th.textContent!.trim())).toEqual([
      'Name',
      'Status',
      'Last heartbeat',
      'Policy snapshot',
      'Cache entries',
    ]);
    expect(text('empty-state')).toBeUndefined();
  });

  it("shows each proxy's own rates and counters over the window", async () => {
    const counters = {
      lookups: 600,
      cacheHits: 450,
      upstreamRequests: 20,
      upstreamErrors: 2,
      staleAnswers: 1,
      bytesSaved: 123_000,
      telemetryForwarded: 3,
      telemetryBlocked: 4,
    };
    await answer(
      nextPoll(0),
      dashboardResponse({
        proxies: [
          proxyStatus({ id: 'p1', connected: true, lastHeartbeatAt: '2026-01-01T12:00:20Z' }),
          proxyStatus({ id: 'p2', name: 'quiet' }),
        ],
        perProxy: [
          {
            proxyId: 'p1',
            name: 'branch-office-1',
            totals: counters,
            rates: { lookupsPerSecond: 0.1667, hitRatio: 0.75 },
          },
        ],
      }),
    );
    const cells = (id: string): string[] =>
      Array.from(page.querySelectorAll(`[data-testid="proxy-${id}"]`), (td) => td.textContent!.trim());
    expect(cells('rate')).toEqual(['0.17', '–']);
    expect(cells('hits')).toEqual(['75%', '–']);
    expect(cells('saved')).toEqual(['123 kB', '–']);
    expect(cells('errors')).toEqual(['2 / 1', '–']);
    expect(cells('refused')).toEqual(['4', '–']);
  });

  it('shows an API error in the page instead of swallowing it', async () => {
    flushError(nextPoll(0), 500, 'internal_error', 'database is locked');
    await fixture.whenStable();
    expect(page.querySelector('[data-testid="dashboard-error"]')!.getAttribute('role')).toBe('alert');
    expect(text('dashboard-error')).toContain('Could not load the dashboard: database is locked');
    expect(page.querySelector('mat-progress-bar')).toBeNull();
  });

  it('keeps the last numbers when a refresh fails, and clears the error when it recovers', async () => {
    await answer(nextPoll(0), dashboardResponse({ devices: 9 }));
    nextPoll(5_000).error(new ProgressEvent('error'), { status: 0 });
    await fixture.whenStable();
    expect(text('dashboard-error')).toContain('not reachable');
    expect(text('dashboard-error')).toContain('Showing the last numbers received');
    expect(text('stat-devices')).toContain('9');

    await answer(nextPoll(5_000), dashboardResponse({ devices: 10 }));
    expect(text('dashboard-error')).toBe('');
    expect(text('stat-devices')).toContain('10');
  });
});
