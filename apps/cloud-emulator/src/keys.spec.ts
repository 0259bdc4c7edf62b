import { isNormalisedKey, normaliseKey } from './keys';

describe(isNormalisedKey.name, () => {
  it('accepts normalised hash and URL keys only', () => {
    expect(isNormalisedKey(`sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isNormalisedKey(`sha1:${'0'.repeat(40)}`)).toBe(true);
    expect(isNormalisedKey(`md5:${'f'.repeat(32)}`)).toBe(true);
    expect(isNormalisedKey('url:https://example.com/a?b=1')).toBe(true);
    expect(isNormalisedKey(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isNormalisedKey(`md5:${'f'.repeat(31)}`)).toBe(false);
    expect(isNormalisedKey(`sha1:${'0'.repeat(64)}`)).toBe(false);
    expect(isNormalisedKey('url:HTTPS://Example.com')).toBe(false);
    expect(isNormalisedKey('url:ftp://example.com/')).toBe(false);
    expect(isNormalisedKey('crc32:deadbeef')).toBe(false);
  });
});

describe(normaliseKey.name, () => {
  it('normalises what a person types', () => {
    expect(normaliseKey(`SHA256:${'A'.repeat(64)}`)).toBe(`sha256:${'a'.repeat(64)}`);
    expect(normaliseKey('2E2C937846A0B8789E5E91739284D17A')).toBe('md5:2e2c937846a0b8789e5e91739284d17a');
    expect(normaliseKey('url:HTTP://Example.COM:80/x#frag')).toBe('url:http://example.com/x');
    expect(normaliseKey(`md5:${'a'.repeat(64)}`)).toBeUndefined();
    expect(normaliseKey('nonsense')).toBeUndefined();
  });
});
