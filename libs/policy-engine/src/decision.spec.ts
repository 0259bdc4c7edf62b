import type { AppControlRule, PolicySettings } from '@ksn/contracts';
import { DEFAULT_SETTINGS } from './defaults';
import { categoryCovers, cloudAllowed, decide, sendingAllowed, type ObjectFacts } from './decision';

const regedit: ObjectFacts = {
  key: 'md5:2e2c937846a0b8789e5e91739284d17a',
  verdict: 'clean',
  category: 'Golden Image/Operating Systems & Utilities/OS Components',
  vendor: 'Microsoft Corporation',
  certificate: 'a'.repeat(40),
  sha256: 'b'.repeat(64),
};

function withRules(
  rules: AppControlRule[],
  mode: 'default-allow' | 'default-deny' = 'default-allow',
  testMode = false,
): PolicySettings {
  return { ...DEFAULT_SETTINGS, appControl: { mode, testMode, rules } };
}
const rule = (
  id: string,
  action: 'allow' | 'block',
  match: AppControlRule['match'],
  status: AppControlRule['status'] = 'on',
): AppControlRule => ({ id, action, status, match });

describe(decide.name, () => {
  it('lets an override win over everything', () => {
    expect(decide({ ...regedit, verdict: 'malicious' }, DEFAULT_SETTINGS, 'allow', true)).toEqual({
      decision: 'allow',
      reason: 'override',
    });
    expect(decide(regedit, DEFAULT_SETTINGS, 'block', true)).toEqual({
      decision: 'block',
      reason: 'override',
    });
  });

  it('blocks malicious, suspicious and adware verdicts, allows clean and unknown', () => {
    for (const verdict of ['malicious', 'suspicious', 'adware'] as const) {
      expect(decide({ ...regedit, verdict }, DEFAULT_SETTINGS, undefined, true).decision).toBe('block');
    }
    expect(decide(regedit, DEFAULT_SETTINGS, undefined, true).decision).toBe('allow');
    expect(
      decide({ key: 'url:https://a/', verdict: 'unknown' }, DEFAULT_SETTINGS, undefined, false).decision,
    ).toBe('allow');
  });

  it('applies precedence hash > certificate > vendor > category regardless of order', () => {
    const rules = [
      rule('cat', 'block', { kind: 'category', path: 'Golden Image' }),
      rule('vendor', 'allow', { kind: 'vendor', vendor: 'microsoft corporation' }),
      rule('cert', 'block', { kind: 'certificate', thumbprint: 'a'.repeat(40) }),
      rule('hash', 'allow', { kind: 'hash', sha256: 'b'.repeat(64) }),
    ];
    expect(decide(regedit, withRules(rules), undefined, true)).toEqual({
      decision: 'allow',
      reason: 'rule:hash',
    });
    expect(decide(regedit, withRules(rules.slice(0, 3)), undefined, true)).toEqual({
      decision: 'block',
      reason: 'rule:cert',
    });
    expect(decide(regedit, withRules(rules.slice(0, 2)), undefined, true)).toEqual({
      decision: 'allow',
      reason: 'rule:vendor',
    });
    expect(decide(regedit, withRules(rules.slice(0, 1)), undefined, true)).toEqual({
      decision: 'block',
      reason: 'rule:cat',
    });
  });

  it('ignores rules that are off and turns would-blocks into audit in test mode', () => {
    const block = rule('cat', 'block', { kind: 'category', path: 'Golden Image' });
    expect(decide(regedit, withRules([{ ...block, status: 'off' }]), undefined, true).decision).toBe('allow');
    expect(decide(regedit, withRules([{ ...block, status: 'test' }]), undefined, true).decision).toBe(
      'audit',
    );
    expect(decide(regedit, withRules([block], 'default-allow', true), undefined, true).decision).toBe(
      'audit',
    );
  });

  it('default-deny blocks what no rule allows (audit in test mode)', () => {
    const allowOs = rule('os', 'allow', {
      kind: 'category',
      path: 'Golden Image/Operating Systems & Utilities',
    });
    const game: ObjectFacts = { key: 'sha256:' + 'c'.repeat(64), verdict: 'clean', category: 'Games/Online' };
    expect(decide(regedit, withRules([allowOs], 'default-deny'), undefined, true)).toEqual({
      decision: 'allow',
      reason: 'rule:os',
    });
    expect(decide(game, withRules([allowOs], 'default-deny'), undefined, true)).toEqual({
      decision: 'block',
      reason: 'default-deny',
    });
    expect(decide(game, withRules([allowOs], 'default-deny', true), undefined, true).decision).toBe('audit');
    // URLs are not applications.
    expect(
      decide({ key: 'url:https://a/', verdict: 'clean' }, withRules([], 'default-deny'), undefined, false)
        .decision,
    ).toBe('allow');
  });

  it('matches category prefixes on segment boundaries only', () => {
    expect(categoryCovers('Games', 'Games')).toBe(true);
    expect(categoryCovers('Games', 'Games/Online')).toBe(true);
    expect(categoryCovers('Games', 'Gamesroom')).toBe(false);
    expect(categoryCovers('Games/Online', 'Games')).toBe(false);
  });
});

describe('cloud and sending switches', () => {
  it('follow module toggles and participation', () => {
    const s: PolicySettings = {
      ...DEFAULT_SETTINGS,
      cloud: { modules: { ...DEFAULT_SETTINGS.cloud.modules, 'anti-spam': false } },
    };
    expect(cloudAllowed(s, 'anti-spam')).toBe(false);
    expect(cloudAllowed(s, 'file-threat-protection')).toBe(true);
    expect(cloudAllowed({ ...s, ksn: { ...s.ksn, participation: 'off' } }, 'file-threat-protection')).toBe(
      false,
    );
  });

  it('send only under extended participation with the kind switched on', () => {
    expect(sendingAllowed(DEFAULT_SETTINGS, 'statistics')).toBe(true);
    expect(
      sendingAllowed(
        { ...DEFAULT_SETTINGS, ksn: { ...DEFAULT_SETTINGS.ksn, participation: 'basic' } },
        'statistics',
      ),
    ).toBe(false);
    expect(
      sendingAllowed(
        {
          ...DEFAULT_SETTINGS,
          ksn: {
            participation: 'extended',
            sending: { statistics: true, detectedObjects: false, urls: true },
          },
        },
        'detected-objects',
      ),
    ).toBe(false);
  });
});
