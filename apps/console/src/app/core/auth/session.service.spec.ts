import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { ADMIN } from '../../../testing/fixtures';
import { flushError } from '../../../testing/http';
import { CSRF_HEADER, sessionInterceptor } from './session.interceptor';
import { AUTH_URLS, SessionService } from './session.service';

@Component({ template: '' })
class BlankPage {}

describe(SessionService.name, () => {
  let httpTesting: HttpTestingController;
  let session: SessionService;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionInterceptor])),
        provideHttpClientTesting(),
        provideRouter([{ path: 'login', component: BlankPage }]),
      ],
    });
    httpTesting = TestBed.inject(HttpTestingController);
    session = TestBed.inject(SessionService);
  });

  afterEach(() => httpTesting.verify());

  describe('restore (at start-up)', () => {
    it('takes the user from /auth/me when the cookie is still good', async () => {
      const done = session.restore();
      const req = httpTesting.expectOne(AUTH_URLS.me);
      expect(req.request.method).toBe('GET');
      req.flush(ADMIN);
      await done;
      expect(session.user()).toEqual(ADMIN);
      expect(session.csrfToken()).toBe(ADMIN.csrfToken);
    });

    it('means "not logged in" on 401, without a redirect or an "expired" notice', async () => {
      const navigate = jest.spyOn(TestBed.inject(Router), 'navigateByUrl');
      const done = session.restore();
      flushError(httpTesting.expectOne(AUTH_URLS.me), 401, 'unauthorized', 'not logged in');
      await expect(done).resolves.toBeUndefined();
      expect(session.loggedIn()).toBe(false);
      expect(session.endReason()).toBeNull();
      expect(navigate).not.toHaveBeenCalled();
    });

    it('never rejects, even when the server is unreachable', async () => {
      const done = session.restore();
      httpTesting.expectOne(AUTH_URLS.me).error(new ProgressEvent('error'));
      await expect(done).resolves.toBeUndefined();
      expect(session.loggedIn()).toBe(false);
    });
  });

  it('logs in with {username, password} as JSON', async () => {
    const done = session.login({ username: 'alice', password: 'secret' });
    const req = httpTesting.expectOne(AUTH_URLS.login);
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ username: 'alice', password: 'secret' });
    req.flush(ADMIN);
    await expect(done).resolves.toEqual(ADMIN);
    expect(session.loggedIn()).toBe(true);
  });

  describe('logout', () => {
    beforeEach(async () => {
      const done = session.login({ username: 'alice', password: 'secret' });
      httpTesting.expectOne(AUTH_URLS.login).flush(ADMIN);
      await done;
    });

    it('posts with the CSRF token, then forgets the session', async () => {
      const done = session.logout();
      const req = httpTesting.expectOne(AUTH_URLS.logout);
      expect(req.request.method).toBe('POST');
      expect(req.request.headers.get(CSRF_HEADER)).toBe(ADMIN.csrfToken);
      expect(session.loggedIn()).toBe(true); // not before the server has answered
      req.flush(null, { status: 204, statusText: 'No Content' });
      await done;
      expect(session.user()).toBeNull();
      expect(session.endReason()).toBe('logged-out');
    });

    it('forgets the session even when the server cannot be told', async () => {
      const done = session.logout();
      httpTesting.expectOne(AUTH_URLS.logout).error(new ProgressEvent('error'));
      await expect(done).rejects.toBeDefined();
      expect(session.user()).toBeNull();
    });
  });
});

describe('SessionService permissions', () => {
  it.each([
    ['admin', true, true],
    ['operator', true, false],
    ['auditor', false, false],
  ] as const)('%s: canWrite %p, isAdmin %p', async (role, write, admin) => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    const session = TestBed.inject(SessionService);
    expect(session.canWrite()).toBe(false);
    const done = session.login({ username: 'u', password: 'p' });
    TestBed.inject(HttpTestingController)
      .expectOne(AUTH_URLS.login)
      .flush({ ...ADMIN, role });
    await done;
    expect(session.canWrite()).toBe(write);
    expect(session.isAdmin()).toBe(admin);
  });
});
