import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { ADMIN } from '../../../testing/fixtures';
import { flushError } from '../../../testing/http';
import { sessionInterceptor } from '../../core/auth/session.interceptor';
import { AUTH_URLS, SessionService } from '../../core/auth/session.service';
import { LoginPage } from './login.page';

@Component({ template: '' })
class BlankPage {}

describe(LoginPage.name, () => {
  let fixture: ComponentFixture<LoginPage>;
  let httpTesting: HttpTestingController;
  let page: HTMLElement;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionInterceptor])),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'login', component: LoginPage },
          { path: 'dashboard', component: BlankPage },
          { path: '', component: BlankPage },
        ]),
      ],
    });
    httpTesting = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(LoginPage);
    page = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
  });

  afterEach(() => httpTesting.verify());

  const input = (name: string): HTMLInputElement =>
    page.querySelector<HTMLInputElement>(`input[formcontrolname="${name}"]`)!;
  const errorText = (): string => page.querySelector('[data-testid="login-error"]')!.textContent!.trim();
  const fieldErrors = (): string[] =>
    Array.from(page.querySelectorAll('mat-error'), (e) => e.textContent!.trim());

  function type(name: string, value: string): void {
    const el = input(name);
    el.value = value;
    el.dispatchEvent(new Event('input'));
  }

  async function submit(username: string, password: string): Promise<void> {
    type('username', username);
    type('password', password);
    page.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await Promise.resolve();
  }

  it('labels both fields', () => {
    for (const [name, label] of [
      ['username', 'Username'],
      ['password', 'Password'],
    ]) {
      const el = input(name);
      expect(page.querySelector(`label[for="${el.id}"]`)?.textContent).toContain(label);
      expect(el.required).toBe(true);
    }
    expect(input('password').type).toBe('password');
    expect(input('username').autocomplete).toBe('username');
  });

  it('says what is missing and sends nothing when a field is empty', async () => {
    await submit('', '');
    await fixture.whenStable();
    expect(fieldErrors()).toEqual(['Enter your username.', 'Enter your password.']);
    httpTesting.expectNone(AUTH_URLS.login);

    await submit('alice', '');
    await fixture.whenStable();
    expect(fieldErrors()).toEqual(['Enter your password.']);
    httpTesting.expectNone(AUTH_URLS.login);
  });

  it('refuses a username longer than the contract allows', async () => {
    await submit('a'.repeat(101), 'secret');
    await fixture.whenStable();
    expect(fieldErrors()).toEqual(['A username has at most 100 characters.']);
    httpTesting.expectNone(AUTH_URLS.login);
  });

  it('posts the credentials and opens the page the user came from', async () => {
    fixture.componentRef.setInput('returnUrl', '/dashboard');
    await submit('alice', 'secret');
    const req = httpTesting.expectOne(AUTH_URLS.login);
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ username: 'alice', password: 'secret' });
    req.flush(ADMIN);
    await fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/dashboard');
    expect(TestBed.inject(SessionService).user()).toEqual(ADMIN);
  });

  it('does not follow a return URL to another site', async () => {
    fixture.componentRef.setInput('returnUrl', '//evil.example/');
    await submit('alice', 'secret');
    httpTesting.expectOne(AUTH_URLS.login).flush(ADMIN);
    await fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/');
  });

  it('says "wrong username or password" on 401 and stays', async () => {
    await submit('alice', 'wrong');
    flushError(httpTesting.expectOne(AUTH_URLS.login), 401, 'unauthorized', 'invalid credentials');
    await fixture.whenStable();
    expect(errorText()).toBe('Wrong username or password.');
    expect(page.querySelector('[data-testid="login-error"]')!.getAttribute('role')).toBe('alert');
    expect(TestBed.inject(SessionService).loggedIn()).toBe(false);
    expect(TestBed.inject(Router).url).toBe('/');
    // The user can try again at once.
    expect(page.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled).toBe(false);
  });

  it("shows the server's message when rate limited (429)", async () => {
    await submit('alice', 'guess');
    flushError(
      httpTesting.expectOne(AUTH_URLS.login),
      429,
      'rate_limited',
      'Too many failed logins. Try again in 60 seconds.',
    );
    await fixture.whenStable();
    expect(errorText()).toBe('Too many failed logins. Try again in 60 seconds.');
  });

  it('clears the previous error on a new attempt', async () => {
    await submit('alice', 'wrong');
    flushError(httpTesting.expectOne(AUTH_URLS.login), 401, 'unauthorized', 'x');
    await fixture.whenStable();
    expect(errorText()).not.toBe('');

    await submit('alice', 'secret');
    await fixture.whenStable();
    expect(errorText()).toBe('');
    httpTesting.expectOne(AUTH_URLS.login).flush(ADMIN);
    await fixture.whenStable();
  });

  it('says when the session expired', async () => {
    expect(page.querySelector('[data-testid="session-expired"]')).toBeNull();
    TestBed.inject(SessionService).expire();
    await fixture.whenStable();
    expect(page.querySelector('[data-testid="session-expired"]')?.textContent).toContain(
      'Your session expired',
    );
  });
});
