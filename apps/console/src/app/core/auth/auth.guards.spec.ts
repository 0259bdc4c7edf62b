import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import {
  Router,
  provideRouter,
  type ActivatedRouteSnapshot,
  type RouterStateSnapshot,
  type UrlTree,
} from '@angular/router';
import { ADMIN } from '../../../testing/fixtures';
import { redirectIfLoggedIn, requireAdmin, requireSession } from './auth.guards';
import { safeReturnUrl } from './return-url';
import { AUTH_URLS, SessionService } from './session.service';

describe('auth guards', () => {
  let router: Router;
  const route = {} as ActivatedRouteSnapshot;
  const state = (url: string): RouterStateSnapshot => ({ url }) as RouterStateSnapshot;
  const run = (guard: typeof requireSession, url: string): ReturnType<typeof requireSession> =>
    TestBed.runInInjectionContext(() => guard(route, state(url)));

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    router = TestBed.inject(Router);
  });

  async function logIn(): Promise<void> {
    const done = TestBed.inject(SessionService).login({ username: 'alice', password: 'x' });
    TestBed.inject(HttpTestingController).expectOne(AUTH_URLS.login).flush(ADMIN);
    await done;
  }

  it('sends a visitor without a session to the login page, with the page they wanted', () => {
    expect(router.serializeUrl(run(requireSession, '/dashboard') as UrlTree)).toBe(
      '/login?returnUrl=%2Fdashboard',
    );
  });

  it('lets a logged-in user in', async () => {
    await logIn();
    expect(run(requireSession, '/dashboard')).toBe(true);
  });

  it('sends a logged-in user from the login page to the console', async () => {
    expect(run(redirectIfLoggedIn, '/login')).toBe(true);
    await logIn();
    expect(router.serializeUrl(run(redirectIfLoggedIn, '/login') as UrlTree)).toBe('/');
  });

  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/dashboard?x=1', '/dashboard?x=1'],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['/login', '/'],
    ['/login?returnUrl=%2Fx', '/'],
  ])('return URL %p → %p', (raw, safe) => {
    expect(safeReturnUrl(raw)).toBe(safe);
  });
});

describe('requireAdmin', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
  });

  it.each([
    ['admin', true],
    ['operator', false],
    ['auditor', false],
  ] as const)('%s → %p', async (role, allowed) => {
    const done = TestBed.inject(SessionService).login({ username: 'u', password: 'p' });
    TestBed.inject(HttpTestingController)
      .expectOne(AUTH_URLS.login)
      .flush({ ...ADMIN, role });
    await done;
    const result = TestBed.runInInjectionContext(() =>
      requireAdmin({} as ActivatedRouteSnapshot, {} as RouterStateSnapshot),
    );
    if (allowed) expect(result).toBe(true);
    else expect(TestBed.inject(Router).serializeUrl(result as UrlTree)).toBe('/dashboard');
  });
});
