import { LookupRequest } from './endpoint';
import { AppControlRule } from './policy';
import { CreateApiTokenRequest } from './management-api';
import { compile, fieldPath, isInstant } from './validate';

describe('compile', () => {
  const lookup = compile(LookupRequest);

  it('accepts a valid lookup', () => {
    const body = { module: 'file-threat-protection', items: [{ type: 'file', sha256: 'A'.repeat(64) }] };
    expect(lookup.validate(body)).toEqual({ ok: true, value: body });
  });

  it('names the field and the reason of the first error', () => {
    const bad = lookup.validate({
      module: 'file-threat-protection',
      items: [
        { type: 'file', md5: '2e2c937846a0b8789e5e91739284d17a' },
        { type: 'file', sha256: 'xyz' },
      ],
    });
    expect(bad).toMatchObject({ ok: false, field: 'items[1].sha256' });
    expect(bad.ok || bad.message).toMatch(/format/);
  });

  it('names an unknown property', () => {
    expect(
      lookup.validate({ module: 'anti-spam', items: [{ type: 'url', url: 'https://a/', extra: 1 }] }),
    ).toEqual({
      ok: false,
      field: 'items[0].extra',
      message: 'unknown property',
    });
  });

  it('reports a missing property as required', () => {
    expect(lookup.validate({ items: [] })).toMatchObject({
      ok: false,
      field: 'module',
      message: 'is required',
    });
  });

  it('names the field inside the union variant that matched, not the union', () => {
    const rule = compile(AppControlRule);
    const base = { id: 'r1', action: 'block', status: 'on' };
    expect(rule.validate({ ...base, match: { kind: 'hash', sha256: 'XYZ' } })).toMatchObject({
      ok: false,
      field: 'match.sha256',
    });
    expect(rule.validate({ ...base, match: { kind: 'vendor', vendor: 'Acme', extra: true } })).toMatchObject({
      ok: false,
      field: 'match.extra',
      message: 'unknown property',
    });
    // No variant's discriminator matches: the union itself is at fault.
    expect(rule.validate({ ...base, match: { kind: 'colour' } })).toMatchObject({
      ok: false,
      field: 'match',
    });
  });

  it('takes only instants that exist on the calendar', () => {
    for (const ok of ['2026-01-31T12:00Z', '2028-02-29T23:59:59Z', '2030-12-31T00:00:00.5Z'])
      expect([ok, isInstant(ok)]).toEqual([ok, true]);
    for (const bad of [
      '2030-13-01T00:00:00Z',
      '2030-02-31T00:00:00Z',
      '2027-02-29T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '2030-01-01T25:00:00Z',
      '2030-01-01T00:60:00Z',
      '2030-01-01T00:00:60Z',
      '2030-00-10T00:00:00Z',
      '2030-01-01 00:00:00Z',
      '2030-01-01T00:00:00+01:00',
    ])
      expect([bad, isInstant(bad)]).toEqual([bad, false]);
    // In a body: a 400 naming the field, never an instant the server cannot represent.
    expect(
      compile(CreateApiTokenRequest).validate({
        name: 'ci',
        role: 'auditor',
        expiresAt: '2030-13-01T00:00:00Z',
      }),
    ).toEqual({
      ok: false,
      field: 'expiresAt',
      message: 'must be an ISO-8601 UTC instant that exists, such as 2026-01-31T12:00:00Z',
    });
  });

  it('converts JSON pointers to dotted paths', () => {
    expect(fieldPath('')).toBe('');
    expect(fieldPath('/a/0/b~1c')).toBe('a[0].b/c');
  });
});
