import type { HttpTestingController } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import type { AuditEntryView } from '@ksn/contracts';
import { byTestId, mountPage, settle, typeInto } from '../../../testing/session';
import { AUDIT_URL } from './audit.api';
import { auditDiff } from './audit-diff';
import { AuditPage } from './audit.page';

const ENTRY: AuditEntryView = {
  id: 'a1',
  at: '2026-11-27T10:15:00.000Z',
  actor: 'alice',
  action: 'policy.update',
  objectType: 'policy',
  objectId: 'g1',
  before: { cloud: { modules: { 'anti-spam': true } }, locked: [] },
  after: { cloud: { modules: { 'anti-spam': false } }, locked: ['cloud'] },
};

describe('auditDiff', () => {
  it('lists changed, added and removed leaves', () => {
    expect(auditDiff(ENTRY.before, ENTRY.after)).toEqual([
      { path: 'cloud.modules.anti-spam', before: 'true', after: 'false', change: 'changed' },
      { path: 'locked', before: '(none)', after: 'cloud', change: 'changed' },
    ]);
  });

  it('indexes lists of objects', () => {
    expect(auditDiff({ rules: [{ id: 'a' }] }, { rules: [{ id: 'a' }, { id: 'b' }] })).toEqual([
      { path: 'rules[1].id', before: null, after: 'b', change: 'added' },
    ]);
  });

  it('shows a creation as all added', () => {
    expect(auditDiff(null, { name: 'Branch' })).toEqual([
      { path: 'name', before: null, after: 'Branch', change: 'added' },
    ]);
  });
});

describe(AuditPage.name, () => {
  let fixture: ComponentFixture<AuditPage>;
  let http: HttpTestingController;
  let page: HTMLElement;

  beforeEach(async () => {
    ({ fixture, http, page } = await mountPage(AuditPage, 'auditor'));
  });
  afterEach(() => http.verify());

  it('loads the newest entries and shows a before/after diff', async () => {
    const req = http.expectOne((r) => r.url === AUDIT_URL);
    expect(req.request.params.get('limit')).toBe('50');
    expect(req.request.params.get('offset')).toBe('0');
    req.flush({ items: [ENTRY], total: 1, limit: 50, offset: 0 });
    await settle(fixture);
    expect(byTestId(page, 'audit-table')).toContain('policy.update');
    page.querySelector<HTMLButtonElement>('[data-testid="audit-open-policy.update"]')!.click();
    await settle(fixture);
    expect(byTestId(page, 'audit-diff')).toContain('cloud.modules.anti-spam');
  });

  it('sends the filters, and refuses an inverted time range', async () => {
    http.expectOne((r) => r.url === AUDIT_URL).flush({ items: [], total: 0, limit: 50, offset: 0 });
    await settle(fixture);
    typeInto(page.querySelector('[data-testid="audit-actor"]'), ' alice ');
    typeInto(page.querySelector('[data-testid="audit-type"]'), 'override');
    page.querySelector('form')!.dispatchEvent(new Event('submit'));
    const req = http.expectOne((r) => r.url === AUDIT_URL);
    expect(req.request.params.get('actor')).toBe('alice');
    expect(req.request.params.get('objectType')).toBe('override');
    expect(req.request.params.has('objectId')).toBe(false);
    req.flush({ items: [], total: 0, limit: 50, offset: 0 });
    await settle(fixture);
    expect(byTestId(page, 'audit-count')).toBe('0 entries');

    const inputs = page.querySelectorAll('input[type="datetime-local"]');
    typeInto(inputs[0], '2026-11-27T10:00');
    typeInto(inputs[1], '2026-11-26T10:00');
    page.querySelector('form')!.dispatchEvent(new Event('submit'));
    await settle(fixture);
    http.expectNone((r) => r.url === AUDIT_URL);
    expect(page.querySelector('#range-error')?.textContent).toContain('before');
  });
});
