import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { FileDetails } from '@ksn/contracts';
import { flushError } from '../../../testing/http';
import { testSubtle as subtle } from '../../../testing/sha256';
import { byTestId, loginAs, settle, typeInto } from '../../../testing/session';
import { sessionInterceptor } from '../../core/auth/session.interceptor';
import { countryBars, hashError, percent, sha256OfFile } from './reputation';
import { REPUTATION_URL, ReputationPage, SUBTLE_CRYPTO } from './reputation.page';

const HASH = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const DETAILS: FileDetails = {
  key: `sha256:${HASH}`,
  verdict: 'malicious',
  category: 'Malware/Test files',
  vendor: 'EICAR',
  size: 68,
  firstSeen: '2020-01-01T00:00:00.000Z',
  users: { day: 12, week: 340, month: 5600 },
  userConfidence: 0.92,
  reputation: 3,
  countries: { DE: 0.5, FR: 0.25, US: 0.25 },
};

describe('reputation helpers', () => {
  it('validates hashes', () => {
    expect(hashError('')).toMatch(/drop a file/);
    expect(hashError('abc')).toMatch(/hexadecimal/);
    expect(hashError(HASH.toUpperCase())).toBeNull();
  });

  it('hashes a file with Web Crypto, locally', async () => {
    // FIPS 180-4 test vectors.
    await expect(sha256OfFile(new Blob(['abc']), subtle)).resolves.toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    await expect(
      sha256OfFile(new Blob(['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq']), subtle),
    ).resolves.toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    await expect(sha256OfFile(new Blob(['']), subtle)).resolves.toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('draws the largest countries first and sums the rest', () => {
    const bars = countryBars({ A: 0.1, B: 0.4, C: 0.2, D: 0.3 }, 2);
    expect(bars.map((b) => [b.country, b.width])).toEqual([
      ['B', 100],
      ['D', 75],
      ['Other', 75],
    ]);
    expect(countryBars(undefined)).toEqual([]);
    expect(percent(0.4567)).toBe('45.7%');
  });
});

describe(ReputationPage.name, () => {
  let fixture: ComponentFixture<ReputationPage>;
  let http: HttpTestingController;
  let page: HTMLElement;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionInterceptor])),
        provideHttpClientTesting(),
        provideRouter([]),
        { provide: SUBTLE_CRYPTO, useValue: subtle },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    await loginAs('auditor');
    fixture = TestBed.createComponent(ReputationPage);
    page = fixture.nativeElement as HTMLElement;
    await settle(fixture);
  });
  afterEach(() => http.verify());

  const submit = async (): Promise<void> => {
    page.querySelector('form')!.dispatchEvent(new Event('submit'));
    await settle(fixture);
  };

  it('looks a hash up and shows what the cloud knows', async () => {
    typeInto(page.querySelector('[data-testid="hash-input"]'), HASH);
    await submit();
    http.expectOne(`${REPUTATION_URL}/${HASH}`).flush(DETAILS);
    await settle(fixture);
    expect(byTestId(page, 'verdict')).toBe('malicious');
    expect(byTestId(page, 'score')).toBe('3 / 100');
    expect(byTestId(page, 'users')).toBe('12 / 340 / 5,600');
    expect(byTestId(page, 'reputation-result')).toContain('Malware/Test files');
    expect(page.querySelectorAll('[data-testid="country-chart"] rect')).toHaveLength(3);
  });

  it('refuses a malformed hash before asking, and shows the server’s field error beside the input', async () => {
    typeInto(page.querySelector('[data-testid="hash-input"]'), 'nope');
    await submit();
    http.expectNone((r) => r.url.startsWith(REPUTATION_URL));
    expect(page.querySelector('#hash-error')?.textContent).toMatch(/hexadecimal/);

    typeInto(page.querySelector('[data-testid="hash-input"]'), 'a'.repeat(32));
    await submit();
    flushError(
      http.expectOne(`${REPUTATION_URL}/${'a'.repeat(32)}`),
      404,
      'not_found',
      'the upstream does not know this file',
    );
    await settle(fixture);
    expect(byTestId(page, 'reputation-error')).toBe('the upstream does not know this file');
  });

  it('hashes a dropped file in the browser and sends only the hash', async () => {
    {
      const content = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
      const file = new File([content], 'eicar.com');
      const done = fixture.componentInstance.hashFile(file);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const req = http.expectOne(`${REPUTATION_URL}/${HASH}`);
      expect(req.request.method).toBe('GET');
      expect(req.request.body).toBeNull();
      req.flush(DETAILS);
      await done;
      await settle(fixture);
      expect(byTestId(page, 'reputation-result')).toContain('eicar.com');
    }
  });

  it('says why a file cannot be hashed outside a secure context', async () => {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        { provide: SUBTLE_CRYPTO, useValue: undefined },
      ],
    });
    const plain = TestBed.createComponent(ReputationPage);
    await plain.componentInstance.hashFile(new File(['x'], 'x.bin'));
    await settle(plain);
    expect(byTestId(plain.nativeElement as HTMLElement, 'reputation-error')).toContain('over HTTPS');
    http = TestBed.inject(HttpTestingController);
  });
});
