import fc from 'fast-check';
import { hashKey, hashKind, normaliseUrl, urlKey } from './keys';

describe('keys', () => {
  it('recognises hashes by length and hex alphabet', () => {
    expect(hashKind('a'.repeat(64))).toBe('sha256');
    expect(hashKind('A'.repeat(40))).toBe('sha1');
    expect(hashKind('0'.repeat(32))).toBe('md5');
    expect(hashKind('g'.repeat(32))).toBeUndefined();
    expect(hashKind('a'.repeat(33))).toBeUndefined();
  });

  it('lower-cases hashes in keys whatever their case', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F]{64}$/), (h) => {
        expect(hashKey('sha256', h)).toBe(hashKey('sha256', h.toLowerCase()));
        expect(hashKey('sha256', h)).toBe(`sha256:${h.toLowerCase()}`);
      }),
    );
  });

  it('normalises scheme, host, default port and fragment', () => {
    expect(normaliseUrl('HTTP://Example.COM:80/Path?q=1#frag')).toBe('http://example.com/Path?q=1');
    expect(normaliseUrl('https://example.com:443')).toBe('https://example.com/');
    expect(normaliseUrl('https://example.com:8443/a')).toBe('https://example.com:8443/a');
    expect(urlKey('https://EXAMPLE.com/#x')).toBe('url:https://example.com/');
  });

  it('refuses what is not an absolute http(s) URL', () => {
    expect(normaliseUrl('ftp://example.com/')).toBeUndefined();
    expect(normaliseUrl('/relative')).toBeUndefined();
    expect(normaliseUrl('javascript:alert(1)')).toBeUndefined();
    expect(normaliseUrl(`https://example.com/${'a'.repeat(5000)}`)).toBeUndefined();
  });
});
