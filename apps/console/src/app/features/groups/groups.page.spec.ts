import type { HttpTestingController } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import type { CreatedEnrolmentToken, DeviceView } from '@ksn/contracts';
import { flushError } from '../../../testing/http';
import { group } from '../../../testing/policy';
import { byTestId, mountPage, settle, typeInto } from '../../../testing/session';
import { GROUPS_URL } from '../../shared/groups.api';
import { DEVICES_URL, TOKENS_URL } from './devices.api';
import { GroupsPage, groupNameError } from './groups.page';
import { tokenFormErrors } from './tokens-panel.component';

const GROUPS = [
  group({ id: 'r', name: 'Head office', deviceCount: 1 }),
  group({ id: 'b', name: 'Branch', parentId: 'r', version: 2 }),
];
const DEVICE: DeviceView = {
  id: 'd1',
  name: 'laptop-1',
  groupId: 'r',
  enrolledAt: '2026-11-27T08:00:00.000Z',
  lastSeenAt: null,
  revokedAt: null,
};

describe('group and token form rules', () => {
  it('checks names, expiry and max uses', () => {
    expect(groupNameError('  ')).toBe('Enter a name.');
    expect(groupNameError('x'.repeat(201))).toBe('At most 200 characters.');
    expect(groupNameError('Laptops')).toBeNull();
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(tokenFormErrors({ label: '', expires: '', maxUses: '' }, now).label).toMatch(/label/);
    expect(tokenFormErrors({ label: 'x', expires: '2020-01-01T00:00', maxUses: '0' }, now)).toEqual({
      expires: 'The expiry must be a date in the future.',
      maxUses: 'A whole number from 1 to 1,000,000.',
    });
  });
});

describe(GroupsPage.name, () => {
  let fixture: ComponentFixture<GroupsPage>;
  let http: HttpTestingController;
  let page: HTMLElement;

  beforeEach(async () => {
    ({ fixture, http, page } = await mountPage(GroupsPage, 'operator'));
    http.expectOne(GROUPS_URL).flush(GROUPS);
    await settle(fixture);
    http.expectOne(TOKENS_URL).flush([]);
    http.expectOne((r) => r.url === DEVICES_URL).flush({ items: [DEVICE], total: 1, limit: 200, offset: 0 });
    await settle(fixture);
  });
  afterEach(() => http.verify());

  const submitForm = async (label: string): Promise<void> => {
    page.querySelector(`form[aria-label="${label}"]`)!.dispatchEvent(new Event('submit'));
    await settle(fixture);
  };

  it('shows the tree and the root group with its devices', () => {
    expect(byTestId(page, 'group-tree')).toBe('Head office (1) Branch (0)');
    expect(byTestId(page, 'group-title')).toBe('Head office');
    expect(byTestId(page, 'device-table')).toContain('laptop-1');
    expect(byTestId(page, 'device-table')).toContain('never');
  });

  it('creates a subgroup under the selected group', async () => {
    await submitForm('New subgroup');
    expect(page.querySelector('#new-error')?.textContent).toContain('Enter a name.');
    http.expectNone((r) => r.method === 'POST');
    typeInto(page.querySelector('[data-testid="new-group"]'), 'Laptops');
    await submitForm('New subgroup');
    const req = http.expectOne((r) => r.method === 'POST' && r.url === GROUPS_URL);
    expect(req.request.body).toEqual({ name: 'Laptops', parentId: 'r' });
    req.flush(group({ id: 'l', name: 'Laptops', parentId: 'r' }));
    await settle(fixture);
    http.expectOne(GROUPS_URL).flush([...GROUPS, group({ id: 'l', name: 'Laptops', parentId: 'r' })]);
    await settle(fixture);
    http.match(TOKENS_URL).forEach((r) => r.flush([]));
    http
      .match((r) => r.url === DEVICES_URL)
      .forEach((r) => r.flush({ items: [], total: 0, limit: 200, offset: 0 }));
    await settle(fixture);
    expect(byTestId(page, 'groups-notice')).toBe('Created Laptops under Head office.');
    expect(byTestId(page, 'group-title')).toBe('Head office › Laptops');
  });

  it('renames with the version read, and reloads on a 409', async () => {
    (page.querySelectorAll('[data-testid="group-tree"] button')[1] as HTMLButtonElement).click();
    await settle(fixture);
    http.expectOne(TOKENS_URL).flush([]);
    http.expectOne((r) => r.url === DEVICES_URL).flush({ items: [], total: 0, limit: 200, offset: 0 });
    typeInto(page.querySelector('input[name="rename"]'), 'Branch A');
    await submitForm('Rename');
    const req = http.expectOne((r) => r.method === 'PATCH');
    expect(req.request.url).toBe(`${GROUPS_URL}/b`);
    expect(req.request.body).toEqual({ version: 2, name: 'Branch A' });
    flushError(req, 409, 'conflict', 'The group changed meanwhile.');
    await settle(fixture);
    http.expectOne(GROUPS_URL).flush(GROUPS);
    await settle(fixture);
    expect(byTestId(page, 'groups-error')).toBe(
      'The group changed meanwhile. The tree was reloaded; check and try again.',
    );
  });

  it('creates an enrolment token and shows its secret once', async () => {
    typeInto(page.querySelector('[data-testid="token-label"]'), 'Laptops batch');
    page.querySelector('form[aria-label="New enrolment token"]')!.dispatchEvent(new Event('submit'));
    const req = http.expectOne((r) => r.method === 'POST' && r.url === TOKENS_URL);
    expect(req.request.body).toEqual({ label: 'Laptops batch', groupId: 'r' });
    const created: CreatedEnrolmentToken = {
      id: 't1',
      label: 'Laptops batch',
      groupId: 'r',
      expiresAt: null,
      maxUses: null,
      uses: 0,
      createdAt: '2026-11-27T10:00:00.000Z',
      token: 'ke_secret',
    };
    req.flush(created);
    await settle(fixture);
    const { token: _secret, ...view } = created;
    http.expectOne(TOKENS_URL).flush([view]);
    await settle(fixture);
    expect(byTestId(page, 'token-secret')).toBe('ke_secret');
    expect(byTestId(page, 'token-table')).toContain('Laptops batch');
    expect(byTestId(page, 'token-table')).not.toContain('ke_secret');
  });

  it('revokes a device', async () => {
    page.querySelector<HTMLButtonElement>('button[aria-label="Revoke laptop-1"]')!.click();
    const req = http.expectOne((r) => r.method === 'POST' && r.url === `${DEVICES_URL}/d1/revoke`);
    req.flush({ ...DEVICE, revokedAt: '2026-11-27T10:00:00.000Z' });
    await settle(fixture);
    http
      .expectOne((r) => r.url === DEVICES_URL)
      .flush({
        items: [{ ...DEVICE, revokedAt: '2026-11-27T10:00:00.000Z' }],
        total: 1,
        limit: 200,
        offset: 0,
      });
    await settle(fixture);
    expect(byTestId(page, 'device-table')).toContain('revoked');
  });
});
