import type { HttpTestingController } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import type { UserView } from '@ksn/contracts';
import { flushError } from '../../../testing/http';
import { byTestId, mountPage, settle, typeInto } from '../../../testing/session';
import { newUserErrors } from './user-form';
import { API_TOKENS_URL, USERS_URL, UsersPage } from './users.page';

const ALICE: UserView = {
  id: 'u1',
  username: 'alice',
  role: 'admin',
  createdAt: '2026-11-27T08:00:00.000Z',
  lockedUntil: null,
};
const BOB: UserView = {
  id: 'u2',
  username: 'bob',
  role: 'auditor',
  createdAt: '2026-11-27T08:00:00.000Z',
  lockedUntil: null,
};

describe('new user rules', () => {
  it('follow the API', () => {
    expect(newUserErrors({ username: 'a b', password: 'short', role: 'admin' })).toEqual({
      username: 'Letters, digits and _ . @ - only.',
      password: 'At least 12 characters.',
    });
    expect(newUserErrors({ username: 'carol@x', password: 'long enough password', role: 'auditor' })).toEqual(
      {},
    );
  });
});

describe(UsersPage.name, () => {
  let fixture: ComponentFixture<UsersPage>;
  let http: HttpTestingController;
  let page: HTMLElement;

  beforeEach(async () => {
    ({ fixture, http, page } = await mountPage(UsersPage, 'admin'));
    http.expectOne(USERS_URL).flush([ALICE, BOB]);
    http.expectOne(API_TOKENS_URL).flush([]);
    await settle(fixture);
  });
  afterEach(() => http.verify());

  it('lists users; my own role cannot be changed here', () => {
    expect(byTestId(page, 'user-table')).toContain('Administrator (you)');
    expect(page.querySelector('select[aria-label="Role of bob"]')).not.toBeNull();
    expect(page.querySelector('select[aria-label="Role of alice"]')).toBeNull();
  });

  it('creates a user, showing the server error beside the field', async () => {
    typeInto(page.querySelector('[data-testid="new-username"]'), 'carol');
    typeInto(page.querySelector('[data-testid="new-password"]'), 'a long password!');
    page.querySelector('form[aria-label="New user"]')!.dispatchEvent(new Event('submit'));
    const req = http.expectOne((r) => r.method === 'POST' && r.url === USERS_URL);
    expect(req.request.body).toEqual({ username: 'carol', password: 'a long password!', role: 'operator' });
    req.flush(
      { error: 'conflict', message: 'username carol is taken', field: 'username' },
      { status: 409, statusText: 'Conflict' },
    );
    await settle(fixture);
    expect(page.querySelector('#username-error')?.textContent?.trim()).toBe('username carol is taken');
  });

  it('changes a role', async () => {
    typeInto(page.querySelector('select[aria-label="Role of bob"]'), 'operator');
    const req = http.expectOne((r) => r.method === 'PATCH');
    expect(req.request.url).toBe(`${USERS_URL}/u2`);
    expect(req.request.body).toEqual({ role: 'operator' });
    flushError(req, 403, 'forbidden', 'nope');
    await settle(fixture);
    http.expectOne(USERS_URL).flush([ALICE, BOB]);
    http.expectOne(API_TOKENS_URL).flush([]);
    await settle(fixture);
  });
});
