import type { FileDetails, Verdict } from '@ksn/contracts';
import { CATEGORY_LEAVES, type CategoryLeaf } from './categories';
import { SeededHash, type Digest } from './hash';
import { reputation, type Reputation } from './reputation';
import { certificateOf, WELL_KNOWN } from './well-known';

/** Cumulative shares of the verdict mix: 30 % unknown, 70 % known (mostly clean). */
const MIX: readonly (readonly [number, Verdict])[] = [
  [0.3, 'unknown'],
  [0.88, 'clean'],
  [0.94, 'malicious'],
  [0.97, 'adware'],
  [1, 'suspicious'],
];
/** Share of clean files that are signed by their vendor. */
const SIGNED_SHARE = 0.8;

// Draw numbers: one independent value per purpose.
const DRAW_VERDICT = 0;
const DRAW_CLEAN = 1;
const DRAW_URGENT = 2;
const DRAW_DETAILS = 10;

const PLAIN: Readonly<Record<Verdict, Reputation>> = {
  clean: reputation('clean'),
  malicious: reputation('malicious'),
  suspicious: reputation('suspicious'),
  adware: reputation('adware'),
  unknown: reputation('unknown'),
};

const COUNTRIES = [
  'US',
  'DE',
  'RU',
  'BR',
  'IN',
  'FR',
  'JP',
  'GB',
  'CN',
  'IT',
  'ES',
  'CA',
  'MX',
  'TR',
  'KR',
  'PL',
];
const FIRST_SEEN_FROM = Date.UTC(2012, 0, 1);
const FIRST_SEEN_UNTIL = Date.UTC(2025, 0, 1);

/** Reputation details by verdict: users in the last month (upper bound), reputation and confidence ranges. */
const PROFILE: Readonly<
  Record<Verdict, { users: number; reputation: [number, number]; confidence: [number, number] }>
> = {
  clean: { users: 5_000_000, reputation: [70, 100], confidence: [0.7, 1] },
  adware: { users: 200_000, reputation: [25, 50], confidence: [0.3, 0.6] },
  suspicious: { users: 5_000, reputation: [15, 40], confidence: [0.1, 0.4] },
  malicious: { users: 50_000, reputation: [0, 10], confidence: [0, 0.1] },
  unknown: { users: 5, reputation: [40, 60], confidence: [0.4, 0.6] },
};

/**
 * The deterministic synthetic corpus: an object's reputation is a pure
 * function of (seed, key), so millions of objects exist without being stored.
 * About 70 % of objects are known (of those ~83 % clean, the rest malicious,
 * adware or suspicious) and 30 % unknown; URLs follow the same mix without
 * categories. Clean files get a category from the tree, a vendor and product
 * publishing in it, and (mostly) the vendor's certificate. Fixed well-known
 * entries (EICAR, regedit.exe, test URLs) win over the synthetic mix.
 */
export class Corpus {
  private readonly hash: SeededHash;
  /** Every possible clean file reputation, precomputed, with cumulative weights for the draw. */
  private readonly clean: Reputation[] = [];
  private readonly cleanCumulative: Float64Array;

  constructor(
    readonly seed: string,
    leaves: readonly CategoryLeaf[] = CATEGORY_LEAVES,
  ) {
    this.hash = new SeededHash(seed);
    const weights: number[] = [];
    for (const leaf of leaves) {
      const share = leaf.weight / leaf.publishers.length;
      for (const [vendor, product] of leaf.publishers) {
        const base = { category: leaf.path, vendor, product };
        this.clean.push(reputation('clean', { ...base, certificate: certificateOf(vendor, 0) }));
        this.clean.push(reputation('clean', { ...base, certificate: certificateOf(vendor, 1) }));
        this.clean.push(reputation('clean', base));
        weights.push((share * SIGNED_SHARE) / 2, (share * SIGNED_SHARE) / 2, share * (1 - SIGNED_SHARE));
      }
    }
    this.cleanCumulative = new Float64Array(weights.length);
    const total = weights.reduce((a, b) => a + b, 0);
    let sum = 0;
    weights.forEach((w, i) => (this.cleanCumulative[i] = sum += w / total));
  }

  /** The reputation the corpus gives `key` (a normalised key); a shared frozen object. */
  reputation(key: string): Reputation {
    const fixed = WELL_KNOWN.get(key);
    if (fixed) return fixed.reputation;
    const d = this.hash.of(key);
    const roll = d.unit(DRAW_VERDICT);
    let verdict: Verdict = 'suspicious';
    for (const [upTo, v] of MIX) {
      if (roll < upTo) {
        verdict = v;
        break;
      }
    }
    if (verdict !== 'clean' || key.startsWith('url:')) return PLAIN[verdict];
    return this.clean[this.pickClean(d.unit(DRAW_CLEAN))]!;
  }

  /** A uniform value in [0, 1) for `key`, independent of its verdict: unknowns below the urgent share get detected. */
  urgentRoll(key: string): number {
    return this.hash.of(key).unit(DRAW_URGENT);
  }

  /** Reputation details of a file, consistent with `current` (its verdict now, which may differ from the corpus's). */
  details(key: string, current: Reputation): FileDetails {
    const d = this.hash.of(key);
    const draw = (n: number) => d.unit(DRAW_DETAILS + n);
    const profile = PROFILE[current.verdict];
    const month = Math.floor(Math.exp(draw(0) * Math.log(profile.users + 1))) - 1;
    const week = Math.floor(month * (0.3 + 0.5 * draw(1)));
    const day = Math.floor(week * (0.1 + 0.4 * draw(2)));
    const signed = current.certificate !== undefined;
    const details: FileDetails = {
      key,
      verdict: current.verdict,
      ...(current.category !== undefined && { category: current.category }),
      ...(current.vendor !== undefined && { vendor: current.vendor }),
      ...(current.product !== undefined && { product: current.product }),
      ...(signed && current.vendor !== undefined && { signer: current.vendor }),
      certificateStatus: !signed
        ? 'unsigned'
        : current.verdict === 'malicious'
          ? 'revoked'
          : draw(3) < 0.9
            ? 'valid'
            : 'expired',
      size:
        WELL_KNOWN.get(key)?.size ??
        Math.round(Math.exp(Math.log(4096) + draw(4) * Math.log(200_000_000 / 4096))),
      firstSeen: new Date(
        FIRST_SEEN_FROM + Math.floor((draw(5) * (FIRST_SEEN_UNTIL - FIRST_SEEN_FROM)) / 1000) * 1000,
      ).toISOString(),
      users: { day, week, month },
      userConfidence: round(between(profile.confidence, draw(6)), 2),
      reputation: Math.round(between(profile.reputation, draw(7))),
      ...(month > 0 && { countries: countryShares(d) }),
    };
    return details;
  }

  private pickClean(u: number): number {
    const c = this.cleanCumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < c[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function between([lo, hi]: [number, number], u: number): number {
  return lo + (hi - lo) * u;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Share of users by country: 3 to 6 countries, shares rounded to 0.001 and summing to 1. */
function countryShares(d: Digest): Record<string, number> {
  const pool = [...COUNTRIES];
  const count = 3 + d.below(DRAW_DETAILS + 20, 4);
  const weights: [string, number][] = [];
  for (let i = 0; i < count; i++) {
    const j = i + d.below(DRAW_DETAILS + 21 + i, pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    weights.push([pool[i]!, 0.05 + d.unit(DRAW_DETAILS + 30 + i)]);
  }
  weights.sort((a, b) => b[1] - a[1]);
  const total = weights.reduce((a, [, w]) => a + w, 0);
  const shares = weights.map(([c, w]) => [c, round(w / total, 3)] as [string, number]);
  const rest = round(1 - shares.reduce((a, [, s]) => a + s, 0), 3);
  shares[0]![1] = round(shares[0]![1] + rest, 3);
  return Object.fromEntries(shares);
}
