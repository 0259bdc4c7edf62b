import { describeMatch, moveItem, ruleFromForm, ruleValueError, EMPTY_RULE } from './rule-form';

describe('application-control rule form', () => {
  it.each([
    ['category', '', 'Pick a category.'],
    ['category', 'Games', null],
    ['vendor', '', 'Enter a vendor name.'],
    ['certificate', 'abc', 'A certificate thumbprint is 40 hexadecimal characters (SHA-1).'],
    ['certificate', 'A'.repeat(40), null],
    ['hash', 'b'.repeat(63), 'A file hash here is a SHA-256: 64 hexadecimal characters.'],
  ] as const)('%s %p → %p', (kind, value, error) => {
    expect(ruleValueError({ ...EMPTY_RULE, kind, value })).toBe(error);
  });

  it('builds rules with lower-case hex and no empty comment', () => {
    expect(ruleFromForm({ ...EMPTY_RULE, kind: 'certificate', value: ' ' + 'A'.repeat(40) })).toEqual({
      action: 'block',
      status: 'on',
      match: { kind: 'certificate', thumbprint: 'a'.repeat(40) },
    });
    expect(
      ruleFromForm({ ...EMPTY_RULE, value: 'Games', action: 'allow', status: 'test', comment: 'x' }),
    ).toEqual({
      action: 'allow',
      status: 'test',
      match: { kind: 'category', path: 'Games' },
      comment: 'x',
    });
    expect(describeMatch({ kind: 'vendor', vendor: 'Acme' })).toBe('Vendor Acme');
  });

  it('reorders', () => {
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
  });
});
