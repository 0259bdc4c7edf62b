/**
 * Properties of the verdict cache key, checked through the real proxy with fast-check
 * (seeded; the seed is printed, replay with FC_SEED=<seed>):
 * - the case of a hash, and URL spellings that normalise to the same URL, give the same
 *   key, so the second spelling is a cache hit and the upstream is asked once;
 * - nothing outside the key (extra headers, another device of the same group, the
 *   position of the item in the request) changes the answer.
 */
import type { LookupResponse, LookupResult, Verdict } from '@ksn/contracts';
import fc from 'fast-check';
import { fuzzSeed, postLookup, startRig, type Rig } from './harness';

// Real servers, timeouts and retries: generous per-test time on a loaded 2-core machine.
jest.setTimeout(30_000);

const VERDICTS: Verdict[] = ['clean', 'malicious', 'suspicious', 'adware', 'unknown'];
const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
/** The same hex string with each letter's case chosen at random. */
const caseMix = (h: string) =>
  fc
    .array(fc.boolean(), { minLength: h.length, maxLength: h.length })
    .map((flags) => [...h].map((c, i) => (flags[i] ? c.toUpperCase() : c)).join(''));

/** What an answer says about the object, without the ttl (which counts down) or the source. */
const essence = (r: LookupResult) => ({
  key: r.key,
  verdict: r.verdict,
  decision: r.decision,
  category: r.category,
  reason: r.reason,
});

async function results(
  rig: Rig,
  items: unknown[],
  headers: Record<string, string> = {},
  token?: string,
): Promise<LookupResult[]> {
  const res = await postLookup(
    rig,
    { module: 'file-threat-protection', items },
    { ...headers, ...(token && { authorization: `Bearer ${token}` }) },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as LookupResponse).results;
}

describe('ksn-proxy adversarial: cache key properties (fast-check)', () => {
  let rig: Rig;
  const seed = fuzzSeed('cache-key');
  let n = 0;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig.close();
  });

  it('hash case: any spelling of a hash is one key, asked upstream once', async () => {
    const kinds = [
      ['sha256', 64],
      ['sha1', 40],
      ['md5', 32],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...kinds)
          .chain(([kind, len]) =>
            hex(len).chain((h) =>
              fc.tuple(
                fc.constant(kind),
                fc.constant(h),
                caseMix(h),
                caseMix(h),
                fc.constantFrom(...VERDICTS),
              ),
            ),
          ),
        async ([kind, h, spellingA, spellingB, verdict]) => {
          const key = `${kind}:${h}`;
          rig.up.verdicts.set(key, { verdict });
          const before = rig.up.lookups.length;
          const [a] = await results(rig, [{ type: 'file', [kind]: spellingA }]);
          const [b] = await results(rig, [{ type: 'file', [kind]: spellingB }]);
          expect(a!.key).toBe(key);
          expect(essence(b!)).toEqual(essence(a!));
          expect(b!.source).toBe('cache');
          expect(a!.verdict).toBe(verdict);
          // Asked once, or not at all if an earlier run of the property already asked.
          expect(rig.up.lookups.length - before).toBeLessThanOrEqual(1);
        },
      ),
      { seed, numRuns: 60 },
    );
  });

  it('URL spellings that normalise to one URL (scheme/host case, default port, fragment) are one key', async () => {
    const label = fc.string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
      minLength: 1,
      maxLength: 12,
    });
    const path = fc
      .array(
        fc.string({
          unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.'),
          minLength: 1,
          maxLength: 8,
        }),
        { maxLength: 4 },
      )
      .map((p) => '/' + p.join('/'));
    const flip = (s: string) =>
      fc
        .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
        .map((f) => [...s].map((c, i) => (f[i] ? c.toUpperCase() : c)).join(''));
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(
            fc.constantFrom('http', 'https'),
            fc.array(label, { minLength: 1, maxLength: 3 }),
            path,
            fc.constantFrom(...VERDICTS),
          )
          .chain(([scheme, labels, p, verdict]) => {
            const host = [...labels, 'example'].join('.');
            const canonical = `${scheme}://${host}${p}`;
            const spelling = fc
              .tuple(
                flip(scheme),
                flip(host),
                fc.boolean(),
                fc.option(fc.string({ unit: fc.constantFrom(...'abcxyz#/?'), maxLength: 6 })),
              )
              .map(
                ([s, h, port, frag]) =>
                  `${s}://${h}${port ? (scheme === 'http' ? ':80' : ':443') : ''}${p}${frag === null ? '' : `#${frag}`}`,
              );
            return fc.tuple(fc.constant(canonical), spelling, spelling, fc.constant(verdict));
          }),
        async ([canonical, a, b, verdict]) => {
          const key = `url:${new URL(canonical).href}`;
          rig.up.verdicts.set(key, { verdict });
          const [ra] = await results(rig, [{ type: 'url', url: a }]);
          const [rb] = await results(rig, [{ type: 'url', url: b }]);
          expect(ra!.key).toBe(key);
          expect(essence(rb!)).toEqual(essence(ra!));
          expect(rb!.source).toBe('cache');
          expect(
            rig.up.lookups
              .flatMap((r) => (JSON.parse(r.body) as { keys: string[] }).keys)
              .filter((k) => k === key),
          ).toHaveLength(1);
        },
      ),
      { seed: seed + 1, numRuns: 60 },
    );
  });

  it('nothing outside the key changes an answer: extra headers, another device of the group, position in the batch', async () => {
    const headerName = fc
      .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-'), minLength: 1, maxLength: 20 })
      .map((s) => `x-${s}`);
    const headerValue = fc
      .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABC0123456789 ;=,/.:'), maxLength: 40 })
      .map((s) => s.trim());
    const known = [
      'accept-language',
      'user-agent',
      'accept',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-real-ip',
      'forwarded',
      'if-none-match',
      'if-modified-since',
      'cache-control',
      'pragma',
      'range',
      'cookie',
      'x-http-method-override',
    ];
    await fc.assert(
      fc.asyncProperty(
        hex(64),
        fc.constantFrom(...VERDICTS),
        fc.dictionary(fc.oneof(headerName, fc.constantFrom(...known)), headerValue, { maxKeys: 6 }),
        fc.nat({ max: 5 }),
        async (h, verdict, extra, position) => {
          const key = `sha256:${h}`;
          rig.up.verdicts.set(key, { verdict });
          const plain = (await results(rig, [{ type: 'file', sha256: h }]))[0]!;
          const withHeaders = (await results(rig, [{ type: 'file', sha256: h }], extra))[0]!;
          const otherDevice = (
            await results(rig, [{ type: 'file', sha256: h }], {}, rig.sc.token(`dev-fuzz-${n++}`))
          )[0]!;
          const filler = Array.from({ length: 5 }, (_, i) => ({
            type: 'file',
            md5: i.toString(16).padStart(32, '0'),
          }));
          filler.splice(position, 0, { type: 'file', sha256: h } as never);
          const inBatch = (await results(rig, filler))[position]!;
          for (const r of [withHeaders, otherDevice, inBatch]) expect(essence(r)).toEqual(essence(plain));
        },
      ),
      { seed: seed + 2, numRuns: 40 },
    );
  });
});
