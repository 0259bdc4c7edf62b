import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { ADMIN, dashboardResponse } from '../testing/fixtures';
import { flushError } from '../testing/http';
import { routes } from './app.routes';
import { sessionInterceptor } from './core/auth/session.interceptor';
import { AUTH_URLS, SessionService } from './core/auth/session.service';

describe('app routes', () => {
  let httpTesting: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionInterceptor])),
        provideHttpClientTesting(),
        provideRouter(routes),
      ],
    });
    httpTesting = TestBed.inject(HttpTestingController);
  });

  afterEach(() => httpTesting.verify());

  /** What app.config.ts does before the first navigation. */
  async function restore(answer: 'logged-in' | 'logged-out'): Promise<void> {
    const done = TestBed.inject(SessionService).restore();
    const req = httpTesting.expectOne(AUTH_URLS.me);
    if (answer === 'logged-in') req.flush(ADMIN);
    else flushError(req, 401, 'unauthorized', 'not logged in');
    await done;
  }

  it('sends a visitor without a session to the login page', async () => {
    await restore('logged-out');
    const harness = await RouterTestingHarness.create('/dashboard');
    expect(TestBed.inject(Router).url).toBe('/login?returnUrl=%2Fdashboard');
    expect(harness.routeNativeElement?.querySelector('h1')?.textContent).toBe('KSN Security Center');
  });

  it('opens the dashboard (lazily loaded, inside the shell) for a logged-in user', async () => {
    await restore('logged-in');
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/');
    expect(TestBed.inject(Router).url).toBe('/dashboard');
    const root = harness.routeNativeElement!;
    expect(root.querySelector('[data-testid="user"]')?.textContent).toContain('alice');
    httpTesting.expectOne((req) => req.url === '/api/v1/dashboard').flush(dashboardResponse());
    await harness.fixture.whenStable();
    expect(root.querySelector('h1')?.textContent).toBe('Dashboard');
  });

  it('keeps a logged-in user away from the login page', async () => {
    await restore('logged-in');
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/login');
    expect(TestBed.inject(Router).url).toBe('/dashboard');
    httpTesting.expectOne((req) => req.url === '/api/v1/dashboard').flush(dashboardResponse());
  });
});
