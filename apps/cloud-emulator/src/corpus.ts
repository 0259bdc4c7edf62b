import type { CategoryNode, FileDetails, UpstreamVerdict, Verdict } from '@ksn/contracts';
import { createHash } from 'node:crypto';

/** The category tree the corpus draws from (every assigned path exists here). */
export const CATEGORY_PATHS = [
  'Golden Image/Operating Systems & Utilities/OS Components',
  'Golden Image/Operating Systems & Utilities/Drivers',
  'Golden Image/Security Software',
  'Trusted updaters/Vendor updaters',
  'Browsers/Web browsers',
  'Browsers/Browser extensions',
  'Games/Online games',
  'Games/Game launchers',
  'Office/Documents & spreadsheets',
  'Office/PDF tools',
  'Development tools/Compilers & interpreters',
  'Development tools/IDEs',
  'Remote administration tools/Remote desktop',
  'Messengers/Instant messaging',
  'Multimedia/Audio & video players',
  'Multimedia/Image editors',
] as const;

export function categoryTree(): CategoryNode[] {
  const roots: CategoryNode[] = [];
  for (const path of CATEGORY_PATHS) {
    let level = roots;
    const parts = path.split('/');
    parts.forEach((name, i) => {
      const p = parts.slice(0, i + 1).join('/');
      let node = level.find((n) => n.name === name);
      if (!node) {
        node = { name, path: p, children: [] };
        level.push(node);
      }
      level = node.children;
    });
  }
  return roots;
}

const VENDORS = ['Microsoft Corporation', 'Google LLC', 'Mozilla Corporation', 'Adobe Inc.', 'Valve Corp.', 'JetBrains s.r.o.', 'TeamViewer Germany GmbH', 'VideoLAN', 'Oracle America, Inc.', 'Unknown Publisher'];

const REGEDIT = { verdict: 'clean', category: 'Golden Image/Operating Systems & Utilities/OS Components', vendor: 'Microsoft Corporation', certificate: '3b1efd3a66ea28b16697394703a72ca340a05bd5' } as const;
/** Fixed entries: the well-known objects every demo and test relies on. */
export const WELL_KNOWN: ReadonlyMap<string, Omit<UpstreamVerdict, 'key'>> = new Map<string, Omit<UpstreamVerdict, 'key'>>([
  ['sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f', { verdict: 'malicious' }],
  ['md5:44d88612fea8a8f36de82e1278abb02f', { verdict: 'malicious' }],
  ['sha1:3395856ce81f2b7382dee72602f798b642f14140', { verdict: 'malicious' }],
  ['md5:2e2c937846a0b8789e5e91739284d17a', REGEDIT],
  ['sha1:f48138dc476e040b8a9925c7d2650b706178e863', REGEDIT],
  ['url:http://malware.wicar.org/data/eicar.com', { verdict: 'malicious' }],
  ['url:https://testsafebrowsing.appspot.com/s/phishing.html', { verdict: 'malicious' }],
  ['url:http://www.example.com/', { verdict: 'clean' }],
  ['url:https://www.example.com/', { verdict: 'clean' }],
]);

/**
 * Deterministic synthetic corpus: an object's reputation is a pure function of
 * (seed, key), so millions of objects exist without being stored. About 70 % of
 * objects are known (mostly clean), 30 % unknown.
 */
export class Corpus {
  constructor(private readonly seed: string) {}

  private digest(key: string): Buffer {
    return createHash('sha256').update(this.seed).update('\0').update(key).digest();
  }

  verdictOf(key: string): Omit<UpstreamVerdict, 'key'> {
    const known = WELL_KNOWN.get(key);
    if (known) return known;
    const d = this.digest(key);
    const roll = d.readUInt16BE(0) % 1000; // 0..999
    let verdict: Verdict;
    if (roll < 300) verdict = 'unknown';
    else if (roll < 880) verdict = 'clean';
    else if (roll < 940) verdict = 'malicious';
    else if (roll < 970) verdict = 'adware';
    else verdict = 'suspicious';
    if (verdict === 'unknown' || key.startsWith('url:')) return { verdict };
    const signed = d[4]! % 4 !== 0;
    return {
      verdict,
      category: CATEGORY_PATHS[d[2]! % CATEGORY_PATHS.length],
      vendor: VENDORS[d[3]! % VENDORS.length],
      ...(signed && { certificate: d.subarray(8, 28).toString('hex') }),
    };
  }

  details(key: string, verdict: Omit<UpstreamVerdict, 'key'>): FileDetails {
    const d = this.digest(`details:${key}`);
    const base: FileDetails = { key, verdict: verdict.verdict };
    if (verdict.verdict === 'unknown') return { ...base, users: { day: 0, week: 0, month: d[0]! % 3 }, reputation: 50 };
    const month = d.readUInt32BE(0) % 2_000_000;
    const week = Math.floor(month * (0.2 + (d[4]! % 50) / 100));
    const day = Math.floor(week * (0.1 + (d[5]! % 30) / 100));
    const countries = ['US', 'DE', 'RU', 'BR', 'IN', 'FR', 'JP', 'GB'];
    const weights = countries.map((_, i) => 1 + d[6 + i]!);
    const sum = weights.reduce((a, b) => a + b, 0);
    const reputation = verdict.verdict === 'clean' ? 70 + (d[14]! % 31) : verdict.verdict === 'malicious' ? d[14]! % 10 : 20 + (d[14]! % 30);
    return {
      ...base,
      ...(verdict.category !== undefined && { category: verdict.category }),
      ...(verdict.vendor !== undefined && { vendor: verdict.vendor, product: `${verdict.vendor.split(' ')[0]} ${['Suite', 'Tool', 'Client', 'Service'][d[15]! % 4]}` }),
      signer: verdict.certificate !== undefined ? verdict.vendor : undefined,
      certificateStatus: verdict.certificate !== undefined ? 'valid' : 'unsigned',
      size: 10_000 + (d.readUInt32BE(16) % 50_000_000),
      firstSeen: new Date(Date.UTC(2015, 0, 1) + (d.readUInt32BE(20) % 3_600) * 86_400_000).toISOString(),
      users: { day, week, month },
      userConfidence: Math.round((0.5 + (d[24]! % 50) / 100) * 100) / 100,
      reputation,
      countries: Object.fromEntries(countries.map((c, i) => [c, Math.round((weights[i]! / sum) * 1000) / 1000])),
    };
  }
}
