import { HttpClient, HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter, type UrlTree } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { ADMIN } from '../../../testing/fixtures';
import { flushError } from '../../../testing/http';
import { CSRF_HEADER, sessionInterceptor } from './session.interceptor';
import { AUTH_URLS, SessionService } from './session.service';

@Component({ template: '' })
class BlankPage {}

describe('sessionInterceptor', () => {
  let http: HttpClient;
  let httpTesting: HttpTestingController;
  let session: SessionService;
  let router: Router;

  beforeEach(() => {
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
    http = TestBed.inject(HttpClient);
    httpTesting = TestBed.inject(HttpTestingController);
    session = TestBed.inject(SessionService);
    router = TestBed.inject(Router);
  });

  afterEach(() => httpTesting.verify());

  async function logIn(): Promise<void> {
    const done = session.login({ username: 'alice', password: 'secret' });
    httpTesting.expectOne(AUTH_URLS.login).flush(ADMIN);
    await done;
  }

  describe('CSRF token', () => {
    it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('is sent with %s requests to the API', async (method) => {
      await logIn();
      http.request(method, '/api/v1/groups/g1', { body: {} }).subscribe();
      const req = httpTesting.expectOne('/api/v1/groups/g1');
      expect(req.request.headers.get(CSRF_HEADER)).toBe(ADMIN.csrfToken);
      req.flush({});
    });

    it('is not sent with GET requests', async () => {
      await logIn();
      http.get('/api/v1/dashboard').subscribe();
      const req = httpTesting.expectOne('/api/v1/dashboard');
      expect(req.request.headers.has(CSRF_HEADER)).toBe(false);
      req.flush({});
    });

    it('is not sent before there is a session (the login request itself)', () => {
      void session.login({ username: 'alice', password: 'secret' }).catch(() => undefined);
      const req = httpTesting.expectOne(AUTH_URLS.login);
      expect(req.request.headers.has(CSRF_HEADER)).toBe(false);
      req.flush(ADMIN);
    });

    it('is never sent to another site', async () => {
      await logIn();
      http.post('https://elsewhere.example/api/v1/x', {}).subscribe();
      const req = httpTesting.expectOne('https://elsewhere.example/api/v1/x');
      expect(req.request.headers.has(CSRF_HEADER)).toBe(false);
      req.flush({});
    });

    it('is no longer sent once the session has ended', async () => {
      await logIn();
      session.expire();
      http.post('/api/v1/groups', {}).subscribe({ error: () => undefined });
      const req = httpTesting.expectOne('/api/v1/groups');
      expect(req.request.headers.has(CSRF_HEADER)).toBe(false);
      req.flush({});
    });
  });

  describe('401 from the API', () => {
    it('ends the session and goes to the login page, remembering where the user was', async () => {
      await logIn();
      await router.navigateByUrl('/dashboard');
      const navigate = jest.spyOn(router, 'navigateByUrl');

      const result = firstValueFrom(http.get('/api/v1/dashboard'));
      flushError(httpTesting.expectOne('/api/v1/dashboard'), 401, 'unauthorized', 'session expired');

      // The caller still sees the error.
      await expect(result).rejects.toBeInstanceOf(HttpErrorResponse);
      expect(session.user()).toBeNull();
      expect(session.endReason()).toBe('expired');
      expect(navigate).toHaveBeenCalledTimes(1);
      expect(router.serializeUrl(navigate.mock.calls[0][0] as UrlTree)).toBe('/login?returnUrl=%2Fdashboard');
      await navigate.mock.results[0].value;
      expect(router.url).toBe('/login?returnUrl=%2Fdashboard');
    });

    it('also ends the session when a write is refused with 401', async () => {
      await logIn();
      const navigate = jest.spyOn(router, 'navigateByUrl');
      http.post('/api/v1/groups', {}).subscribe({ error: () => undefined });
      flushError(httpTesting.expectOne('/api/v1/groups'), 401, 'unauthorized', 'no session');
      expect(session.loggedIn()).toBe(false);
      expect(navigate).toHaveBeenCalled();
    });

    it('is only an answer for the login request: wrong password does not "expire" anything', async () => {
      const navigate = jest.spyOn(router, 'navigateByUrl');
      const attempt = session.login({ username: 'alice', password: 'wrong' });
      flushError(httpTesting.expectOne(AUTH_URLS.login), 401, 'unauthorized', 'wrong username or password');
      await expect(attempt).rejects.toMatchObject({ status: 401 });
      expect(session.endReason()).toBeNull();
      expect(navigate).not.toHaveBeenCalled();
    });

    it('leaves the session alone on other errors', async () => {
      await logIn();
      const navigate = jest.spyOn(router, 'navigateByUrl');
      http.post('/api/v1/groups', {}).subscribe({ error: () => undefined });
      flushError(httpTesting.expectOne('/api/v1/groups'), 403, 'forbidden', 'auditors are read-only');
      expect(session.user()).toEqual(ADMIN);
      expect(navigate).not.toHaveBeenCalled();
    });
  });
});
