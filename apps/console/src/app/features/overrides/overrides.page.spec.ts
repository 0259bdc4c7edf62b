import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { OverrideView } from '@ksn/contracts';
import { flushError } from '../../../testing/http';
import { byTestId, loginAs, settle, typeInto } from '../../../testing/session';
import { sessionInterceptor } from '../../core/auth/session.interceptor';
import { OVERRIDES_URL } from './overrides.api';
import { OverridesPage } from './overrides.page';
import { describeKey, overrideRequest, validateOverride } from './override-form';

const HASH = 'a'.repeat(64);
const BLOCKED: OverrideView = {
  id: 'o1',
  key: `sha256:${HASH}`,
  action: 'block',
  comment: 'ransomware dropper',
  author: 'alice',
  createdAt: '2026-11-27T10:00:00.000Z',
  expiresAt: null,
};

describe('override form rules', () => {
  const base = { target: 'hash', value: HASH, action: 'block', comment: '', expires: '' } as const;
  const now = Date.parse('2026-11-27T10:00:00Z');

  it('accepts the three hash lengths and absolute http(s) URLs', () => {
    for (const value of ['a'.repeat(32), 'B'.repeat(40), HASH])
      expect(validateOverride({ ...base, value }, now)).toEqual({});
    expect(validateOverride({ ...base, target: 'url', value: 'https://x.example/a' }, now)).toEqual({});
  });

  it('says what is wrong', () => {
    expect(validateOverride({ ...base, value: '' }, now).value).toBe('Enter a file hash.');
    expect(validateOverride({ ...base, value: 'xyz' }, now).value).toMatch(/hexadecimal/);
    expect(validateOverride({ ...base, target: 'url', value: 'example.com' }, now).value).toMatch(/absolute/);
    expect(validateOverride({ ...base, expires: '2020-01-01T00:00' }, now).expires).toBe(
      'The expiry must be in the future.',
    );
    expect(validateOverride({ ...base, comment: 'x'.repeat(1001) }, now).comment).toBe(
      'At most 1000 characters.',
    );
  });

  it('builds the request with exactly one of hash or url', () => {
    expect(overrideRequest({ ...base, value: ` ${HASH} `, comment: ' why ' })).toEqual({
      hash: HASH,
      action: 'block',
      comment: 'why',
    });
    expect(overrideRequest({ ...base, target: 'url', value: 'https://x/', action: 'allow' })).toEqual({
      url: 'https://x/',
      action: 'allow',
      comment: '',
    });
  });

  it('names key kinds', () => {
    expect(describeKey('url:https://x/')).toEqual(['URL', 'https://x/']);
    expect(describeKey(`md5:${'a'.repeat(32)}`)[0]).toBe('MD5');
  });
});

describe(OverridesPage.name, () => {
  let fixture: ComponentFixture<OverridesPage>;
  let http: HttpTestingController;
  let page: HTMLElement;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionInterceptor])),
        provideHttpClientTesting(),
        provideRouter([]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });
  afterEach(() => http.verify());

  async function open(role: 'admin' | 'auditor', list: OverrideView[] = [BLOCKED]): Promise<void> {
    await loginAs(role);
    fixture = TestBed.createComponent(OverridesPage);
    page = fixture.nativeElement as HTMLElement;
    http.expectOne(OVERRIDES_URL).flush(list);
    await settle(fixture);
  }

  const submit = async (): Promise<void> => {
    page.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await settle(fixture);
  };

  it('lists the overrides', async () => {
    await open('admin');
    expect(byTestId(page, 'override-table')).toContain(HASH);
    expect(byTestId(page, 'override-table')).toContain('ransomware dropper');
  });

  it('shows an auditor the list without the form or remove buttons', async () => {
    await open('auditor');
    expect(page.querySelector('[data-testid="override-form"]')).toBeNull();
    expect(page.textContent).not.toContain('Remove ');
    expect(byTestId(page, 'override-table')).toContain(HASH);
  });

  it('validates before sending anything', async () => {
    await open('admin', []);
    typeInto(page.querySelector('[data-testid="override-value"]'), 'not-a-hash');
    await submit();
    expect(page.querySelector('#value-error')?.textContent).toMatch(/hexadecimal/);
    http.expectNone(OVERRIDES_URL);
  });

  it('creates an override, then reloads the list', async () => {
    await open('admin', []);
    typeInto(page.querySelector('[data-testid="override-value"]'), HASH.toUpperCase());
    await settle(fixture);
    await submit();
    const req = http.expectOne((r) => r.method === 'POST' && r.url === OVERRIDES_URL);
    expect(req.request.body).toEqual({ hash: HASH.toUpperCase(), action: 'block', comment: '' });
    req.flush(BLOCKED);
    await settle(fixture);
    http.expectOne((r) => r.method === 'GET' && r.url === OVERRIDES_URL).flush([BLOCKED]);
    await settle(fixture);
    expect(byTestId(page, 'notice')).toBe(`Blocked ${HASH}.`);
    expect(byTestId(page, 'override-table')).toContain(HASH);
  });

  it("puts the server's field error beside the field, and other errors above the list", async () => {
    await open('admin', []);
    typeInto(page.querySelector('[data-testid="override-value"]'), HASH);
    await submit();
    const req = http.expectOne((r) => r.method === 'POST');
    req.flush(
      { error: 'invalid_request', message: 'hash is not allowed here', field: 'hash' },
      { status: 400, statusText: 'Bad Request' },
    );
    await settle(fixture);
    expect(page.querySelector('#value-error')?.textContent?.trim()).toBe('hash is not allowed here');
    expect(byTestId(page, 'override-form-error')).toBeUndefined();

    await submit();
    flushError(
      http.expectOne((r) => r.method === 'POST'),
      409,
      'conflict',
      'an override for this object exists',
    );
    await settle(fixture);
    expect(byTestId(page, 'override-form-error')).toBe('an override for this object exists');
  });

  it('removes an override', async () => {
    await open('admin');
    page.querySelector<HTMLButtonElement>('button[aria-label^="Remove"]')!.click();
    http
      .expectOne((r) => r.method === 'DELETE' && r.url === `${OVERRIDES_URL}/o1`)
      .flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    http.expectOne(OVERRIDES_URL).flush([]);
    await settle(fixture);
    expect(page.textContent).toContain('No override yet');
  });
});
