import fc from 'fast-check';
import type { AppControlRule, PolicySettings } from '@ksn/contracts';
import { DEFAULT_SETTINGS } from './defaults';
import { decide, matchingRule, type ObjectFacts } from './decision';

const KINDS = ['hash', 'certificate', 'vendor', 'category'] as const;
const facts: ObjectFacts = {
  key: 'sha256:' + 'b'.repeat(64),
  verdict: 'clean',
  category: 'Games/Online',
  vendor: 'Acme',
  certificate: 'a'.repeat(40),
  sha256: 'b'.repeat(64),
};

const arbRule = (i: number): fc.Arbitrary<AppControlRule> =>
  fc
    .record({
      kind: fc.constantFrom(...KINDS),
      hits: fc.boolean(),
      action: fc.constantFrom('allow' as const, 'block' as const),
      status: fc.constantFrom('on' as const, 'off' as const, 'test' as const),
    })
    .map(({ kind, hits, action, status }) => {
      const match: AppControlRule['match'] =
        kind === 'hash'
          ? { kind, sha256: (hits ? 'b' : 'c').repeat(64) }
          : kind === 'certificate'
            ? { kind, thumbprint: (hits ? 'a' : 'd').repeat(40) }
            : kind === 'vendor'
              ? { kind, vendor: hits ? 'ACME' : 'Other' }
              : { kind, path: hits ? 'Games' : 'Gamesroom' };
      return { id: `r${i}`, action, status, match };
    });
const arbRules = fc
  .integer({ min: 0, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbRule(i))));

const settings = (
  rules: AppControlRule[],
  mode: 'default-allow' | 'default-deny',
  testMode: boolean,
): PolicySettings => ({ ...DEFAULT_SETTINGS, appControl: { mode, testMode, rules } });

describe('application-control properties', () => {
  it('the governing rule is the first enabled match of the highest-precedence kind: hash > certificate > vendor > category', () => {
    fc.assert(
      fc.property(arbRules, (rules) => {
        const got = matchingRule({ mode: 'default-allow', testMode: false, rules }, facts);
        const enabled = rules.filter(
          (r) =>
            r.status !== 'off' && matchingRule({ mode: 'default-allow', testMode: false, rules: [r] }, facts),
        );
        const best = KINDS.map((k) => enabled.find((r) => r.match.kind === k)).find((r) => r !== undefined);
        expect(got).toBe(best);
      }),
      { seed: 99, numRuns: 500 },
    );
  });

  it('the winning kind does not depend on rule order', () => {
    fc.assert(
      fc.property(
        arbRules.chain((rules) =>
          fc.tuple(
            fc.constant(rules),
            fc.shuffledSubarray(rules, { minLength: rules.length, maxLength: rules.length }),
          ),
        ),
        ([rules, shuffled]) => {
          const a = matchingRule({ mode: 'default-allow', testMode: false, rules }, facts);
          const b = matchingRule({ mode: 'default-allow', testMode: false, rules: shuffled }, facts);
          expect(b?.match.kind).toBe(a?.match.kind);
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });

  it('global test mode never blocks a clean file: every would-block becomes audit, everything else is unchanged', () => {
    fc.assert(
      fc.property(
        arbRules,
        fc.constantFrom('default-allow' as const, 'default-deny' as const),
        (rules, mode) => {
          const enforced = decide(facts, settings(rules, mode, false), undefined, true);
          const tested = decide(facts, settings(rules, mode, true), undefined, true);
          expect(tested.decision).not.toBe('block');
          expect(tested.reason).toBe(enforced.reason);
          expect(tested.decision).toBe(enforced.decision === 'block' ? 'audit' : enforced.decision);
        },
      ),
      { seed: 11, numRuns: 500 },
    );
  });

  it('test mode does not soften a malicious verdict or an override', () => {
    fc.assert(
      fc.property(
        arbRules,
        fc.constantFrom('malicious' as const, 'suspicious' as const, 'adware' as const),
        (rules, verdict) => {
          expect(
            decide({ ...facts, verdict }, settings(rules, 'default-allow', true), undefined, true).decision,
          ).toBe('block');
          expect(decide(facts, settings(rules, 'default-allow', true), 'block', true).decision).toBe('block');
        },
      ),
      { seed: 3, numRuns: 200 },
    );
  });
});
