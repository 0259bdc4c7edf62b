import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { Role } from '@ksn/contracts';
import { AUTH_URLS, SessionService } from '../app/core/auth/session.service';
import { ADMIN } from './fixtures';

/** Logs in through the real SessionService (answering its request) as a user with `role`. */
export async function loginAs(role: Role): Promise<void> {
  const done = TestBed.inject(SessionService).login({ username: ADMIN.username, password: 'x' });
  TestBed.inject(HttpTestingController).expectOne(AUTH_URLS.login).flush({ ...ADMIN, role });
  await done;
}

/** Text of the first element with `data-testid`, whitespace collapsed. */
export function byTestId(root: HTMLElement, id: string): string | undefined {
  return root.querySelector(`[data-testid="${id}"]`)?.textContent?.replace(/\s+/g, ' ').trim();
}

/** Types into an input or select the way a user does (value + input/change events). */
export function typeInto(el: Element | null, value: string): void {
  if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement))
    throw new Error('not a form control');
  el.value = value;
  el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input'));
}

/** Lets awaited HTTP answers resolve (microtasks, a macrotask), then waits for change detection. */
export async function settle(fixture: { whenStable(): Promise<unknown> }): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await fixture.whenStable();
}
