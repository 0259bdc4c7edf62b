import { VERDICTS, urlKey, type Verdict } from '@ksn/contracts';
import { randomHex } from '../../test/client';
import { CATEGORY_LEAVES, CATEGORY_PATHS, categoryTree } from './categories';
import { Corpus } from './corpus';
import { WELL_KNOWN } from './well-known';

const EICAR = [
  'sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
  'md5:44d88612fea8a8f36de82e1278abb02f',
  'sha1:3395856ce81f2b7382dee72602f798b642f14140',
];
const REGEDIT = ['md5:2e2c937846a0b8789e5e91739284d17a', 'sha1:f48138dc476e040b8a9925c7d2650b706178e863'];

function mix(corpus: Corpus, keys: string[]): Record<Verdict, number> {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const k of keys) counts[corpus.reputation(k).verdict]++;
  for (const v of VERDICTS) counts[v] /= keys.length;
  return counts;
}

describe(Corpus.name, () => {
  const corpus = new Corpus('spec-seed');
  const hashes = Array.from({ length: 20_000 }, (_, i) =>
    i % 3 === 0 ? `md5:${randomHex(16)}` : i % 3 === 1 ? `sha1:${randomHex(20)}` : `sha256:${randomHex(32)}`,
  );

  it('is a pure function of (seed, key): same seed same answers, another seed other answers', () => {
    const again = new Corpus('spec-seed');
    const other = new Corpus('other-seed');
    const sample = hashes.slice(0, 2000);
    expect(sample.map((k) => again.reputation(k))).toEqual(sample.map((k) => corpus.reputation(k)));
    expect(sample.map((k) => again.details(k, again.reputation(k)))).toEqual(
      sample.map((k) => corpus.details(k, corpus.reputation(k))),
    );
    const differing = sample.filter(
      (k) => other.reputation(k).verdict !== corpus.reputation(k).verdict,
    ).length;
    // Two independent draws of the mix disagree on about half of the keys.
    expect(differing / sample.length).toBeGreaterThan(0.3);
  });

  it('knows about 70 % of files (mostly clean) and not the other 30 %', () => {
    const m = mix(corpus, hashes);
    expect(m.unknown).toBeGreaterThan(0.27);
    expect(m.unknown).toBeLessThan(0.33);
    expect(m.clean).toBeGreaterThan(0.54);
    expect(m.clean).toBeLessThan(0.62);
    for (const v of ['malicious', 'adware', 'suspicious'] as const) {
      expect(m[v]).toBeGreaterThan(0.015);
      expect(m[v]).toBeLessThan(0.08);
    }
  });

  it('gives URLs the same mix, without categories or vendors', () => {
    const urls = Array.from({ length: 10_000 }, () =>
      urlKey(`https://${randomHex(6)}.example.net/${randomHex(4)}`)!,
    );
    const m = mix(corpus, urls);
    expect(m.unknown).toBeGreaterThan(0.27);
    expect(m.unknown).toBeLessThan(0.33);
    expect(m.malicious).toBeGreaterThan(0.03);
    expect(
      urls.every(
        (k) => corpus.reputation(k).category === undefined && corpus.reputation(k).vendor === undefined,
      ),
    ).toBe(true);
  });

  it('gives clean files a category of the tree, a vendor publishing in it and mostly a certificate', () => {
    const clean = hashes.map((k) => corpus.reputation(k)).filter((r) => r.verdict === 'clean');
    const publishers = new Set(
      CATEGORY_LEAVES.flatMap((l) =>
        l.publishers.map(([vendor, product]) => `${l.path}|${vendor}|${product}`),
      ),
    );
    const strays = clean.filter((r) => !publishers.has(`${r.category}|${r.vendor}|${r.product}`));
    expect(strays).toEqual([]);
    expect(new Set(clean.map((r) => r.category)).size).toBe(CATEGORY_LEAVES.length);
    const signed = clean.filter((r) => r.certificate !== undefined).length / clean.length;
    expect(signed).toBeGreaterThan(0.75);
    expect(signed).toBeLessThan(0.85);
    expect(clean.find((r) => r.certificate)!.certificate).toMatch(/^[0-9a-f]{40}$/);
  });

  it('answers the well-known objects the same whatever the seed', () => {
    for (const c of [corpus, new Corpus('another')]) {
      for (const k of EICAR) expect(c.reputation(k).verdict).toBe('malicious');
      for (const k of REGEDIT) {
        expect(c.reputation(k)).toMatchObject({
          verdict: 'clean',
          vendor: 'Microsoft Corporation',
          category: 'Golden Image/Operating Systems & Utilities/OS Components',
          certificate: expect.stringMatching(/^[0-9a-f]{40}$/),
        });
      }
      expect(c.reputation('url:http://malware.wicar.org/data/eicar.com').verdict).toBe('malicious');
      expect(c.reputation('url:https://testsafebrowsing.appspot.com/s/phishing.html').verdict).toBe(
        'malicious',
      );
      expect(c.reputation('url:http://www.example.com/').verdict).toBe('clean');
    }
    expect(corpus.details(EICAR[0]!, corpus.reputation(EICAR[0]!)).size).toBe(68);
  });

  it('keeps the well-known URL keys in normalised form and their categories in the tree', () => {
    for (const [key, { reputation }] of WELL_KNOWN) {
      if (key.startsWith('url:')) expect(urlKey(key.slice(4))).toBe(key);
      if (reputation.category !== undefined) expect(CATEGORY_PATHS.has(reputation.category)).toBe(true);
    }
  });

  it('gives details consistent with the verdict', () => {
    const regedit = corpus.details(REGEDIT[0]!, corpus.reputation(REGEDIT[0]!));
    expect(regedit).toMatchObject({
      key: REGEDIT[0],
      verdict: 'clean',
      vendor: 'Microsoft Corporation',
      product: 'Microsoft Windows Operating System',
      signer: 'Microsoft Corporation',
      certificateStatus: expect.stringMatching(/^(valid|expired)$/),
    });
    for (const key of hashes.slice(0, 3000)) {
      const r = corpus.reputation(key);
      const d = corpus.details(key, r);
      expect(d.verdict).toBe(r.verdict);
      expect(d.users!.day).toBeLessThanOrEqual(d.users!.week);
      expect(d.users!.week).toBeLessThanOrEqual(d.users!.month);
      expect(d.reputation).toBeGreaterThanOrEqual(0);
      expect(d.reputation).toBeLessThanOrEqual(100);
      expect(d.userConfidence).toBeGreaterThanOrEqual(0);
      expect(d.userConfidence).toBeLessThanOrEqual(1);
      expect(Number.isNaN(Date.parse(d.firstSeen!))).toBe(false);
      expect(d.certificateStatus).toEqual(
        r.certificate ? expect.stringMatching(/^(valid|expired)$/) : 'unsigned',
      );
      if (r.verdict === 'clean') expect(d.reputation).toBeGreaterThanOrEqual(70);
      if (r.verdict === 'malicious') expect(d.reputation).toBeLessThanOrEqual(10);
      if (d.countries) {
        const shares = Object.values(d.countries);
        expect(shares.length).toBeGreaterThanOrEqual(3);
        expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      }
    }
  });

  it('follows a verdict that changed: details of an unknown file found malicious say malicious', () => {
    const unknown = hashes.find((k) => corpus.reputation(k).verdict === 'unknown')!;
    const d = corpus.details(unknown, { ...corpus.reputation(unknown), verdict: 'malicious' });
    expect(d).toMatchObject({ verdict: 'malicious', certificateStatus: 'unsigned' });
    expect(d.reputation).toBeLessThanOrEqual(10);
  });

  it('draws the urgent roll independently of the verdict', () => {
    const unknown = hashes.filter((k) => corpus.reputation(k).verdict === 'unknown');
    const below = unknown.filter((k) => corpus.urgentRoll(k) < 0.1).length / unknown.length;
    expect(below).toBeGreaterThan(0.07);
    expect(below).toBeLessThan(0.13);
  });
});

describe(categoryTree.name, () => {
  const tree = categoryTree();

  it('has the expected roots, 2 to 3 levels deep, with consistent paths', () => {
    expect(tree.map((n) => n.name)).toEqual(
      expect.arrayContaining([
        'Golden Image',
        'Trusted updaters',
        'Browsers',
        'Games',
        'Office',
        'Development tools',
        'Remote administration tools',
        'Messengers',
        'Multimedia',
      ]),
    );
    const depths: number[] = [];
    const walk = (nodes: typeof tree, parent: string, depth: number) => {
      for (const n of nodes) {
        expect(n.path).toBe(parent ? `${parent}/${n.name}` : n.name);
        expect(CATEGORY_PATHS.has(n.path)).toBe(true);
        if (n.children.length === 0) depths.push(depth);
        walk(n.children, n.path, depth + 1);
      }
    };
    walk(tree, '', 1);
    expect(Math.min(...depths)).toBe(2);
    expect(Math.max(...depths)).toBe(3);
    expect(tree.find((n) => n.name === 'Golden Image')!.children.map((c) => c.path)).toContain(
      'Golden Image/Operating Systems & Utilities',
    );
  });
});
