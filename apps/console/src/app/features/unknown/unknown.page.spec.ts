import type { HttpTestingController } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import type { UnknownObjectView, VerdictAlertView } from '@ksn/contracts';
import { byTestId, mountPage, settle } from '../../../testing/session';
import { OVERRIDES_URL } from '../overrides/overrides.api';
import { ALERTS_URL, UNKNOWN_URL, UnknownPage, overrideForKey } from './unknown.page';

const HASH = 'c'.repeat(64);
const OBJ: UnknownObjectView = {
  key: `sha256:${HASH}`,
  firstSeen: '2026-11-27T08:00:00.000Z',
  lastSeen: '2026-11-27T09:00:00.000Z',
  devices: 7,
  override: null,
};
const ALERT: VerdictAlertView = {
  id: 'al1',
  key: `sha256:${HASH}`,
  from: 'unknown',
  to: 'malicious',
  at: '2026-11-27T09:30:00.000Z',
  proxyId: 'p1',
  devices: 7,
  acknowledgedAt: null,
  acknowledgedBy: null,
};

describe('overrideForKey', () => {
  it('turns a key back into hash or url', () => {
    expect(overrideForKey(`md5:${'a'.repeat(32)}`, 'allow', 'x')).toEqual({
      hash: 'a'.repeat(32),
      action: 'allow',
      comment: 'x',
    });
    expect(overrideForKey('url:https://x.example/a', 'block', '')).toEqual({
      url: 'https://x.example/a',
      action: 'block',
      comment: '',
    });
  });
});

describe(UnknownPage.name, () => {
  let fixture: ComponentFixture<UnknownPage>;
  let http: HttpTestingController;
  let page: HTMLElement;

  async function open(role: 'operator' | 'auditor'): Promise<void> {
    ({ fixture, http, page } = await mountPage(UnknownPage, role));
    http.expectOne((r) => r.url === UNKNOWN_URL).flush({ items: [OBJ], total: 1, limit: 100, offset: 0 });
    const alerts = http.expectOne((r) => r.url === ALERTS_URL);
    expect(alerts.request.params.get('acknowledged')).toBe('false');
    alerts.flush([ALERT]);
    await settle(fixture);
  }
  afterEach(() => http.verify());

  it('lists unknown objects with prevalence and open alerts', async () => {
    await open('operator');
    expect(byTestId(page, 'unknown-table')).toContain(HASH);
    expect(byTestId(page, 'unknown-table')).toContain('7');
    expect(byTestId(page, 'alert-table')).toContain('unknown → malicious');
  });

  it('blocks an unknown object with an override', async () => {
    await open('operator');
    page.querySelector<HTMLButtonElement>(`button[aria-label="Block sha256:${HASH}"]`)!.click();
    const req = http.expectOne((r) => r.method === 'POST' && r.url === OVERRIDES_URL);
    expect(req.request.body).toMatchObject({ hash: HASH, action: 'block' });
    req.flush({});
    await settle(fixture);
    http
      .expectOne((r) => r.url === UNKNOWN_URL)
      .flush({ items: [{ ...OBJ, override: 'block' }], total: 1, limit: 100, offset: 0 });
    http.expectOne((r) => r.url === ALERTS_URL).flush([]);
    await settle(fixture);
    expect(byTestId(page, 'unknown-notice')).toBe(`Blocked ${HASH} for every device.`);
    expect(byTestId(page, 'unknown-table')).toContain('blocked by override');
  });

  it('offers no action to an auditor', async () => {
    await open('auditor');
    expect(page.querySelectorAll('button')).toHaveLength(0);
  });
});
