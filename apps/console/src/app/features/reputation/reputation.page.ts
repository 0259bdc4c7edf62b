import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, InjectionToken, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import type { FileDetails } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { apiErrorMessage, placeError } from '../../core/http/api-error';
import { formatInstant } from '../../shared/list';
import { formatCount, humanBytes } from '../dashboard/format';
import { BAR_HEIGHT, countryBars, hashError, percent, sha256OfFile } from './reputation';

export const REPUTATION_URL = '/api/v1/reputation';
/** The browser's Web Crypto (a token so tests can hand in Node's). */
// Browsers offer crypto.subtle only in secure contexts (HTTPS, or localhost): elsewhere it is undefined.
export const SUBTLE_CRYPTO = new InjectionToken<SubtleCrypto | undefined>('SUBTLE_CRYPTO', {
  factory: () => (globalThis.crypto as Crypto | undefined)?.subtle,
});

/** "Application advisor": the cloud's reputation of a file, by hash or by a file dropped here (hashed locally). */
@Component({
  selector: 'ksn-reputation-page',
  imports: [FormsModule, MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './reputation.page.html',
  styleUrl: './reputation.page.scss',
})
export class ReputationPage {
  private readonly http = inject(HttpClient);
  private readonly subtle = inject(SUBTLE_CRYPTO);
  protected readonly formatInstant = formatInstant;
  protected readonly formatCount = formatCount;
  protected readonly humanBytes = humanBytes;
  protected readonly percent = percent;
  protected readonly barHeight = BAR_HEIGHT;

  protected hash = '';
  protected readonly inputError = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly dragging = signal(false);
  protected readonly fileName = signal<string | null>(null);
  protected readonly details = signal<FileDetails | null>(null);
  protected readonly bars = computed(() => countryBars(this.details()?.countries));

  protected async lookUp(): Promise<void> {
    const problem = hashError(this.hash);
    this.inputError.set(problem);
    if (problem) return;
    this.fileName.set(null);
    await this.fetch(this.hash.trim());
  }

  protected onDragOver(event: DragEvent): void {
    event.preventDefault();
    this.dragging.set(true);
  }

  protected async onDrop(event: DragEvent): Promise<void> {
    event.preventDefault();
    this.dragging.set(false);
    const file = event.dataTransfer?.files[0];
    if (file) await this.hashFile(file);
  }

  protected async onPick(event: Event): Promise<void> {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) await this.hashFile(file);
  }

  /** Hashes the file here and looks the hash up; the file never leaves the browser. */
  async hashFile(file: File): Promise<void> {
    this.error.set(null);
    this.inputError.set(null);
    if (!this.subtle) {
      this.error.set(
        'This browser hashes files only when the console is opened over HTTPS (or on localhost). Enter the hash instead.',
      );
      return;
    }
    this.busy.set(true);
    try {
      this.hash = await sha256OfFile(file, this.subtle);
      this.fileName.set(file.name);
    } catch (err) {
      this.error.set(`Could not hash ${file.name}: ${err instanceof Error ? err.message : String(err)}`);
      this.busy.set(false);
      return;
    }
    await this.fetch(this.hash);
  }

  private async fetch(hash: string): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    this.details.set(null);
    try {
      this.details.set(
        await firstValueFrom(this.http.get<FileDetails>(`${REPUTATION_URL}/${encodeURIComponent(hash)}`)),
      );
    } catch (err) {
      const placed = placeError(err);
      if (placed.field === 'hash') this.inputError.set(placed.message);
      else this.error.set(apiErrorMessage(err));
    } finally {
      this.busy.set(false);
    }
  }
}
