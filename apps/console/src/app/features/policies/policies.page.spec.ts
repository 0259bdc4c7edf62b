import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { GroupPolicyView, UpdatePolicyRequest } from '@ksn/contracts';
import { flushError } from '../../../testing/http';
import { childPolicyView, group } from '../../../testing/policy';
import { byTestId, loginAs, settle } from '../../../testing/session';
import { sessionInterceptor } from '../../core/auth/session.interceptor';
import { CATEGORIES_URL, GROUPS_URL } from '../../shared/groups.api';
import { CONFIRM, DISCARD_QUESTION, PoliciesPage } from './policies.page';

const POLICY_URL = `${GROUPS_URL}/g-child/policy`;

describe(PoliciesPage.name, () => {
  let fixture: ComponentFixture<PoliciesPage>;
  let http: HttpTestingController;
  let page: HTMLElement;

  const asked: string[] = [];
  let answer = false;

  beforeEach(() => {
    asked.length = 0;
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionInterceptor])),
        provideHttpClientTesting(),
        provideRouter([]),
        { provide: CONFIRM, useValue: (q: string) => (asked.push(q), answer) },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });
  afterEach(() => http.verify());

  async function open(role: 'admin' | 'auditor', view: GroupPolicyView = childPolicyView()): Promise<void> {
    await loginAs(role);
    fixture = TestBed.createComponent(PoliciesPage);
    fixture.componentRef.setInput('groupId', 'g-child');
    page = fixture.nativeElement as HTMLElement;
    await settle(fixture);
    http
      .expectOne(GROUPS_URL)
      .flush([
        group({ id: 'g-root', name: 'Head office' }),
        group({ id: 'g-child', name: 'Branch', parentId: 'g-root' }),
      ]);
    http.expectOne(POLICY_URL).flush(view);
    await settle(fixture);
    http
      .expectOne(CATEGORIES_URL)
      .flush({ categories: [{ name: 'Games', path: 'Games', children: [] }], syncedAt: null });
    await settle(fixture);
  }

  const input = (testId: string): HTMLInputElement =>
    page.querySelector<HTMLInputElement>(`[data-testid="${testId}"]`)!;
  async function click(el: HTMLInputElement | HTMLButtonElement): Promise<void> {
    el.click();
    await settle(fixture);
  }

  it('shows the group, the inherited values and where each comes from', async () => {
    await open('admin');
    expect(byTestId(page, 'policy-title')).toBe('Head office › Branch');
    expect(input('module-anti-spam').checked).toBe(true);
    expect(input('module-anti-spam').disabled).toBe(true); // inherited: "Set here" first
    expect(byTestId(page, 'section-cloud')).toContain('Inherited from Head office');
    expect(byTestId(page, 'locked-ksn')).toBe('Locked by Head office');
    expect(page.querySelectorAll('[data-testid="section-ksn"] input:not([disabled])')).toHaveLength(0);
  });

  it('sets a section here, switches a module off and saves with the version read', async () => {
    await open('admin');
    await click(input('own-cloud'));
    await click(input('module-anti-spam'));
    expect(byTestId(page, 'unsaved')).toBe('unsaved changes');
    expect(byTestId(page, 'section-cloud')).toContain('Set here');
    await click(page.querySelector<HTMLButtonElement>('[data-testid="save-policy"]')!);
    const req = http.expectOne((r) => r.method === 'PUT' && r.url === POLICY_URL);
    const body = req.request.body as UpdatePolicyRequest;
    expect(body.version).toBe(3);
    expect(body.policy.cloud?.modules['anti-spam']).toBe(false);
    expect(body.policy.ksn).toBeUndefined();
    const saved = childPolicyView(4);
    saved.policy.cloud = body.policy.cloud;
    req.flush(saved);
    await settle(fixture);
    expect(byTestId(page, 'policy-notice')).toContain('Saved (version 4)');
    expect(byTestId(page, 'unsaved')).toBeUndefined();
  });

  it('on 409 loads the newer policy, merges and keeps my edit', async () => {
    await open('admin');
    await click(input('own-cloud'));
    await click(input('module-anti-spam'));
    await click(page.querySelector<HTMLButtonElement>('[data-testid="save-policy"]')!);
    flushError(
      http.expectOne((r) => r.method === 'PUT'),
      409,
      'conflict',
      'the policy changed',
    );
    await settle(fixture);
    const theirs = childPolicyView(5);
    theirs.policy.appControl = { mode: 'default-deny', testMode: true, rules: [] };
    theirs.effective.settings.appControl = theirs.policy.appControl;
    http.expectOne((r) => r.method === 'GET' && r.url === POLICY_URL).flush(theirs);
    await settle(fixture);
    expect(byTestId(page, 'policy-conflict')).toContain('now version 5');
    expect(byTestId(page, 'policy-conflict')).toContain('Your changes are kept');
    expect(input('module-anti-spam').checked).toBe(false);

    await click(page.querySelector<HTMLButtonElement>('[data-testid="save-policy"]')!);
    const retry = http.expectOne((r) => r.method === 'PUT');
    const body = retry.request.body as UpdatePolicyRequest;
    expect(body.version).toBe(5);
    expect(body.policy.cloud?.modules['anti-spam']).toBe(false);
    expect(body.policy.appControl).toEqual({ mode: 'default-deny', testMode: true, rules: [] });
    retry.flush(childPolicyView(6));
    await settle(fixture);
  });

  it('shows other save errors without losing the draft', async () => {
    await open('admin');
    await click(input('own-cloud'));
    await click(input('module-anti-spam'));
    await click(page.querySelector<HTMLButtonElement>('[data-testid="save-policy"]')!);
    flushError(
      http.expectOne((r) => r.method === 'PUT'),
      400,
      'invalid_request',
      'policy.cloud is wrong',
    );
    await settle(fixture);
    expect(byTestId(page, 'policy-error')).toBe('policy.cloud is wrong');
    expect(input('module-anti-spam').checked).toBe(false);
    expect(byTestId(page, 'unsaved')).toBe('unsaved changes');
  });

  it('is read-only for an auditor', async () => {
    await open('auditor');
    expect(page.querySelector('[data-testid="save-policy"]')).toBeNull();
    expect(input('own-cloud').disabled).toBe(true);
    expect(
      page.querySelectorAll('section input:not([disabled]), section select:not([disabled])'),
    ).toHaveLength(0);
  });

  it('asks before leaving unsaved changes, and only then', async () => {
    await open('admin');
    expect(fixture.componentInstance.canLeave()).toBe(true);
    expect(asked).toEqual([]);
    await click(input('own-cloud'));
    answer = false;
    expect(fixture.componentInstance.canLeave()).toBe(false);
    answer = true;
    expect(fixture.componentInstance.canLeave()).toBe(true);
    expect(asked).toEqual([DISCARD_QUESTION, DISCARD_QUESTION]);
  });
});
