import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { Type } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { Role } from '@ksn/contracts';
import { sessionInterceptor } from '../app/core/auth/session.interceptor';
import { AUTH_URLS, SessionService } from '../app/core/auth/session.service';
import { ADMIN } from './fixtures';

/** Logs in through the real SessionService (answering its request) as a user with `role`. */
export async function loginAs(role: Role): Promise<void> {
  const done = TestBed.inject(SessionService).login({ username: ADMIN.username, password: 'x' });
  TestBed.inject(HttpTestingController)
    .expectOne(AUTH_URLS.login)
    .flush({ ...ADMIN, role });
  await done;
}

/**
 * A page component under test the way the app runs it (HTTP through the session
 * interceptor, a router), with a user of `role` logged in.
 */
export async function mountPage<T>(
  component: Type<T>,
  role: Role,
): Promise<{ fixture: ComponentFixture<T>; http: HttpTestingController; page: HTMLElement }> {
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(withInterceptors([sessionInterceptor])),
      provideHttpClientTesting(),
      provideRouter([]),
    ],
  });
  const http = TestBed.inject(HttpTestingController);
  await loginAs(role);
  const fixture = TestBed.createComponent(component);
  return { fixture, http, page: fixture.nativeElement as HTMLElement };
}

/** Text of the first element with `data-testid`, whitespace collapsed. */
export function byTestId(root: HTMLElement, id: string): string | undefined {
  return root.querySelector(`[data-testid="${id}"]`)?.textContent?.replace(/\s+/g, ' ').trim();
}

/** Types into an input or select the way a user does (value + input/change events). */
export function typeInto(el: Element | null, value: string): void {
  if (!(
    el instanceof HTMLInputElement ||
    el instanceof HTMLSelectElement ||
    el instanceof HTMLTextAreaElement
  ))
    throw new Error('not a form control');
  el.value = value;
  el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input'));
}

/** Lets awaited HTTP answers resolve (microtasks, a macrotask), then waits for change detection. */
export async function settle(fixture: { whenStable(): Promise<unknown> }): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await fixture.whenStable();
}
