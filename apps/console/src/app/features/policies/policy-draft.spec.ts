import { childPolicyView } from '../../../testing/policy';
import {
  describePath,
  draftFromView,
  lockedByParent,
  mergeDrafts,
  policyInput,
  provenanceLabel,
  sameDraft,
  takeTheirs,
  type PolicyDraft,
} from './policy-draft';

const clone = (d: PolicyDraft): PolicyDraft => JSON.parse(JSON.stringify(d)) as PolicyDraft;

describe('policy draft', () => {
  it('starts inherited sections from the effective values, and sends only own sections', () => {
    const view = childPolicyView();
    const draft = draftFromView(view);
    expect(draft.cloud.own).toBe(false);
    expect(draft.cloud.value.modules['anti-spam']).toBe(true);
    expect(policyInput(draft)).toEqual({ locked: [] });

    draft.cloud.own = true;
    draft.cloud.value.modules['anti-spam'] = false;
    draft.appControl.locked = true;
    expect(policyInput(draft)).toEqual({
      locked: ['appControl'],
      cloud: { modules: { ...view.effective.settings.cloud.modules, 'anti-spam': false } },
    });
  });

  it('takes own sections and locks from what the group stores', () => {
    const view = childPolicyView();
    view.policy = {
      ksn: { participation: 'basic', sending: { statistics: false, detectedObjects: false, urls: false } },
      locked: ['ksn'],
    };
    const draft = draftFromView(view);
    expect(draft.ksn).toEqual({ own: true, locked: true, value: view.policy.ksn });
  });

  it('says where each value comes from', () => {
    const view = childPolicyView();
    const draft = draftFromView(view);
    const sources = view.effective.settingSources;
    expect(provenanceLabel(draft, sources, 'cloud.modules.anti-spam')).toBe('Inherited from Head office');
    expect(provenanceLabel(draft, sources, 'ksn.participation')).toBe('Locked by Head office');
    expect(provenanceLabel(draft, sources, 'appControl.mode')).toBe('Default');
    draft.cloud.own = true;
    expect(provenanceLabel(draft, sources, 'cloud.modules.anti-spam')).toBe('Set here');
    expect(lockedByParent(view, 'ksn')).toEqual({ id: 'g-root', name: 'Head office' });
    expect(lockedByParent(view, 'cloud')).toBeNull();
  });

  describe('merge after a conflict', () => {
    const base = draftFromView(childPolicyView());

    it('keeps my change and takes theirs where we touched different settings', () => {
      const mine = clone(base);
      mine.cloud.own = true;
      mine.cloud.value.modules['anti-spam'] = false;
      const theirs = clone(base);
      theirs.appControl.own = true;
      theirs.appControl.value.testMode = true;
      const { merged, conflicts, takenFromTheirs } = mergeDrafts(base, mine, theirs);
      expect(conflicts).toEqual([]);
      expect(merged.cloud.value.modules['anti-spam']).toBe(false);
      expect(merged.cloud.own).toBe(true);
      expect(merged.appControl.value.testMode).toBe(true);
      expect(merged.appControl.own).toBe(true);
      expect(takenFromTheirs).toEqual(
        expect.arrayContaining(['appControl.own', 'appControl.value.testMode']),
      );
    });

    it('lists settings we both changed differently, keeping mine until I take theirs', () => {
      const mine = clone(base);
      mine.cloud.own = true;
      mine.cloud.value.modules['anti-spam'] = false;
      const theirs = clone(base);
      theirs.cloud.own = true;
      theirs.cloud.value.modules['anti-spam'] = true;
      theirs.cloud.value.modules['web-threat-protection'] = false;
      const { merged, conflicts } = mergeDrafts(base, mine, theirs);
      // own: both set true → same, no conflict; anti-spam: I set false, they kept true (= base) → mine.
      expect(conflicts).toEqual([]);
      expect(merged.cloud.value.modules['anti-spam']).toBe(false);
      expect(merged.cloud.value.modules['web-threat-protection']).toBe(false);

      const theirs2 = clone(base);
      theirs2.ksn.value.participation = 'off';
      const mine2 = clone(base);
      mine2.ksn.value.participation = 'basic';
      const r = mergeDrafts(base, mine2, theirs2);
      expect(r.conflicts).toEqual([{ path: 'ksn.value.participation', mine: 'basic', theirs: 'off' }]);
      expect(r.merged.ksn.value.participation).toBe('basic');
      expect(takeTheirs(r.merged, r.conflicts[0]).ksn.value.participation).toBe('off');
    });

    it('treats the rule list as one setting', () => {
      const mine = clone(base);
      mine.appControl.value.rules = [
        { action: 'block', status: 'on', match: { kind: 'category', path: 'Games' } },
      ];
      const theirs = clone(base);
      theirs.appControl.value.rules = [
        { action: 'allow', status: 'on', match: { kind: 'vendor', vendor: 'Acme' } },
      ];
      const r = mergeDrafts(base, mine, theirs);
      expect(r.conflicts.map((c) => c.path)).toEqual(['appControl.value.rules']);
      expect(sameDraft(r.merged, mine)).toBe(true);
    });
  });

  it('describes paths for people', () => {
    expect(describePath('cloud.value.modules.anti-spam')).toBe('Cloud protection › anti-spam');
    expect(describePath('ksn.locked')).toBe('KSN participation › lock');
    expect(describePath('appControl.value.rules')).toBe('Application control › rules');
  });
});
