import {
  decodeDeviceToken,
  generateSigningKey,
  importPrivateKey,
  importPublicKey,
  signDeviceToken,
  verifyDeviceToken,
} from './index';

describe('device tokens', () => {
  const pair = generateSigningKey('k1');
  const keys = new Map([['k1', importPublicKey(pair.publicKey)]]);
  const claims = { kid: 'k1', sub: 'dev-1', grp: 'grp-1', iat: 1000, exp: 2000 };
  const token = signDeviceToken(importPrivateKey(pair.privateKey), claims);

  it('verifies a token it signed', () => {
    expect(verifyDeviceToken(token, keys, 1500)).toEqual({ ok: true, claims });
  });

  it('refuses an expired token', () => {
    expect(verifyDeviceToken(token, keys, 2000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token whose payload was changed', () => {
    const [prefix, , sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, grp: 'grp-admin' })).toString('base64url');
    expect(verifyDeviceToken(`${prefix}.${forged}.${sig}`, keys, 1500)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a token signed by another key with the same kid', () => {
    const other = generateSigningKey('k1');
    const foreign = signDeviceToken(importPrivateKey(other.privateKey), claims);
    expect(verifyDeviceToken(foreign, keys, 1500)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses unknown keys and garbage', () => {
    expect(verifyDeviceToken(token, new Map(), 1500)).toEqual({ ok: false, reason: 'unknown_key' });
    for (const junk of ['', 'ksn1.', 'ksn1.a.b.c', 'Bearer x', 'ksn1.e30.sig']) {
      expect(verifyDeviceToken(junk, keys, 1500)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(decodeDeviceToken(token)).toEqual(claims);
  });
});
