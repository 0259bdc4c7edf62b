import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import type { Me } from '@ksn/contracts';
import { ADMIN } from '../../testing/fixtures';
import { CSRF_HEADER, sessionInterceptor } from '../core/auth/session.interceptor';
import { AUTH_URLS, SessionService } from '../core/auth/session.service';
import { ShellComponent } from './shell.component';

@Component({ template: '' })
class BlankPage {}

describe(ShellComponent.name, () => {
  let fixture: ComponentFixture<ShellComponent>;
  let httpTesting: HttpTestingController;
  let page: HTMLElement;

  async function render(me: Me): Promise<void> {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionInterceptor])),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'login', component: BlankPage },
          { path: 'dashboard', component: BlankPage },
        ]),
      ],
    });
    httpTesting = TestBed.inject(HttpTestingController);
    const login = TestBed.inject(SessionService).login({ username: me.username, password: 'x' });
    httpTesting.expectOne(AUTH_URLS.login).flush(me);
    await login;
    await TestBed.inject(Router).navigateByUrl('/dashboard');
    fixture = TestBed.createComponent(ShellComponent);
    page = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
  }

  afterEach(() => httpTesting.verify());

  it('shows who is logged in and their role', async () => {
    await render({ ...ADMIN, username: 'bob', role: 'auditor' });
    const user = page.querySelector('[data-testid="user"]')!;
    expect(user.querySelector('.user-name')!.textContent).toBe('bob');
    expect(user.querySelector('.role')!.textContent).toBe('Auditor (read-only)');
  });

  it('marks the current page in the navigation', async () => {
    await render(ADMIN);
    const link = page.querySelector('nav a')!;
    expect(link.textContent!.trim()).toBe('Dashboard');
    expect(link.getAttribute('aria-current')).toBe('page');
  });

  it('logs out on the server, then returns to the login page', async () => {
    await render(ADMIN);
    page.querySelector<HTMLButtonElement>('button.logout')!.click();
    const req = httpTesting.expectOne(AUTH_URLS.logout);
    expect(req.request.method).toBe('POST');
    expect(req.request.headers.get(CSRF_HEADER)).toBe(ADMIN.csrfToken);
    req.flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(TestBed.inject(SessionService).loggedIn()).toBe(false);
    expect(TestBed.inject(Router).url).toBe('/login');
  });

  it('moves focus to the content with the skip link, without leaving the page', async () => {
    await render(ADMIN);
    const skip = page.querySelector<HTMLAnchorElement>('a.skip-link')!;
    const event = new MouseEvent('click', { bubbles: true, cancelable: true });
    skip.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(page.querySelector('main'));
  });
});
