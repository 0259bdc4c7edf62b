/**
 * The answers' serialiser: the text JSON.stringify gives, for every result `answer` can build.
 * The compact file lookup read from bytes: accepts only what JSON.parse and the schema accept, with the same keys.
 */
import {
  DECISIONS,
  MAX_LOOKUP_ITEMS,
  MODULE_IDS,
  SOURCES,
  VERDICTS,
  type LookupResult,
} from '@ksn/contracts';
import fc from 'fast-check';
import { fuzzSeed } from '../test/adversarial/harness';
import { packKey } from './cache';
import { asciiJson, compactFileLookup, fileKeys, parseLookup, resultJson, resultsJson } from './lookup';

/** A result as `answer` builds one: the five fields, then category and reason when present. */
const result = fc
  .record({
    key: fc.oneof(
      fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`),
      // URL keys and upstream categories may hold anything: quotes, backslashes, control and non-ASCII characters.
      fc.string({ unit: 'binary' }).map((u) => `url:${u}`),
    ),
    verdict: fc.constantFrom(...VERDICTS),
    decision: fc.constantFrom(...DECISIONS),
    source: fc.constantFrom(...SOURCES),
    ttl: fc.nat(),
    category: fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
    reason: fc.option(fc.string({ unit: 'grapheme-ascii' }), { nil: undefined }),
  })
  .map(({ category, reason, ...rest }) => {
    const r: LookupResult = { ...rest };
    if (category !== undefined) r.category = category;
    if (reason !== undefined) r.reason = reason;
    return r;
  });

describe('resultJson / resultsJson', () => {
  const seed = fuzzSeed('resultJson');

  it('writes what JSON.stringify writes, with characters past ASCII escaped', () => {
    fc.assert(
      fc.property(result, (r) => resultJson(r) === asciiJson(r)),
      { seed, numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(result, { maxLength: 20 }),
        (results) => resultsJson(results) === asciiJson({ results }),
      ),
      { seed, numRuns: 300 },
    );
  });

  it('asciiJson: the same JSON value in ASCII text, and JSON.stringify text where that is ASCII', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        const ascii = (t: string) => [...t].every((c) => c.charCodeAt(0) < 0x80);
        for (const v of [value, text, { text, value }]) {
          const json = asciiJson(v);
          const plain = JSON.stringify(v);
          if (!ascii(json)) return false;
          if (JSON.stringify(JSON.parse(json)) !== plain) return false;
          if (ascii(plain) && json !== plain) return false;
        }
        return true;
      }),
      { seed, numRuns: 1000 },
    );
    expect(asciiJson({ c: 'é😀' })).toBe('{"c":"\\u00e9\\ud83d\\ude00"}');
  });

  it('escapes what JSON needs escaped', () => {
    const r: LookupResult = {
      key: 'url:https://example.com/"a\\b"\n\u0001é',
      verdict: 'clean',
      decision: 'allow',
      source: 'cache',
      ttl: 5,
      category: 'A "quoted" \\ category\t',
    };
    expect(JSON.parse(resultJson(r))).toEqual(r);
    expect(resultJson(r)).toBe(JSON.stringify(r).replace('é', '\\u00e9'));
  });
});

describe('compactFileLookup (lookup bodies read from their bytes)', () => {
  const seed = fuzzSeed('compactFileLookup');
  const hex = fc.stringMatching(/^[0-9a-fA-F]{64}$/);
  const fileItem = hex.map((sha256) => ({ type: 'file', sha256 }));
  // Items and bodies near the compact shape, and a step off it in every direction.
  const item = fc.oneof(
    { weight: 30, arbitrary: fileItem },
    fc.record({ type: fc.constantFrom('file', 'url', 'File'), sha256: fc.oneof(hex, fc.string()) }),
    fc.record({ sha256: hex, type: fc.constant('file') }),
    fc.record({ type: fc.constant('file'), sha1: fc.stringMatching(/^[0-9a-f]{40}$/) }),
    fc.record({ type: fc.constant('url'), url: fc.webUrl() }),
    hex.map((sha256) => ({ type: 'file', sha256, extra: 1 })),
    hex.map((sha256) => ({ type: 'file', sha256, md5: '0'.repeat(32) })),
    hex.map((sha256) => ({ sha256 })),
    fc.constantFrom(null, 'file', 7, [], [{ type: 'file' }]),
  );
  const module = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...MODULE_IDS) },
    fc.constantFrom('unknown-module', '', 7, null, 'file-threat-protection\u0000', 'anti-spam"'),
  );
  const body = fc.oneof(
    { weight: 6, arbitrary: fc.record({ module, items: fc.array(item, { maxLength: 5 }) }) },
    fc.record({ items: fc.array(fileItem, { maxLength: 3 }), module }),
    fc.record({ module, items: fc.array(fileItem, { maxLength: 3 }), extra: fc.anything() }),
    fc.record({ module, items: fc.anything() }),
    fc.record({ items: fc.array(fileItem, { maxLength: 3 }) }),
    fc.anything(),
  );
  const json = body.map((b) => JSON.stringify(b) ?? 'null');
  // JSON texts as JSON.stringify writes them, and with one character replaced, inserted or
  // removed: whitespace, escapes, quotes, brackets, upper case, non-ASCII, a NUL, nothing.
  const edit = fc.constantFrom(
    ' ',
    '\n',
    '\\',
    '"',
    ',',
    '{',
    '}',
    '[',
    ']',
    'A',
    'f',
    '0',
    'é',
    '\u0000',
    '',
  );
  const text = fc.oneof(
    { weight: 3, arbitrary: json },
    fc.tuple(json, fc.nat(), edit, fc.boolean()).map(([t, at, c, insert]) => {
      const i = at % (t.length + 1);
      return t.slice(0, i) + c + t.slice(insert ? i : i + 1);
    }),
  );
  const general = (t: string) => {
    try {
      return parseLookup(JSON.parse(t));
    } catch {
      return 'refused';
    }
  };

  it('accepts only bodies JSON.parse and the schema accept, with the same module and keys', () => {
    let fast = 0;
    fc.assert(
      fc.property(text, (t) => {
        const quick = compactFileLookup(Buffer.from(t));
        if (quick === undefined) return true;
        fast++;
        const { packed, ...parsed } = quick;
        expect(parsed).toEqual(general(t));
        expect(packed).toEqual(parsed.keys.map(packKey));
        return true;
      }),
      { seed, numRuns: 4000 },
    );
    // The comparison above is only as good as the bodies that took the compact path.
    expect(fast).toBeGreaterThan(300);
  });

  it('takes the bodies endpoints send, and leaves the rest to JSON.parse, the schema and its errors', () => {
    const digest = 'AB'.repeat(32);
    const items = Array.from({ length: MAX_LOOKUP_ITEMS }, () => ({ type: 'file', sha256: digest }));
    const compact = (b: unknown) => compactFileLookup(Buffer.from(JSON.stringify(b)));
    const full = compact({ module: 'file-threat-protection', items });
    expect(full?.keys).toHaveLength(MAX_LOOKUP_ITEMS);
    expect(full?.keys[0]).toBe(`sha256:${'ab'.repeat(32)}`);
    expect(full?.packed?.[0]).toBe(packKey(`sha256:${'ab'.repeat(32)}`));
    expect(compact({ module: 'file-threat-protection', items: [...items, items[0]] })).toBeUndefined();
    expect(compact({ module: 'file-threat-protection', items: [] })).toBeUndefined();
    for (const sha256 of [`${digest}ab`, digest.slice(2), `${digest.slice(1)}g`])
      expect(
        compact({ module: 'file-threat-protection', items: [{ type: 'file', sha256 }] }),
      ).toBeUndefined();
    const one = { module: 'anti-spam', items: [{ type: 'file', sha256: digest }] };
    // A view into larger bytes, as the fast lane hands a body over; whitespace is left to JSON.parse.
    expect(compactFileLookup(Buffer.from(`xx${JSON.stringify(one)}yy`).subarray(2, -2))?.module).toBe(
      'anti-spam',
    );
    expect(compactFileLookup(Buffer.from(JSON.stringify(one, null, 1)))).toBeUndefined();
    expect(compactFileLookup(Buffer.from(`${JSON.stringify(one)} `))).toBeUndefined();
    // Not JSON at all: the digest's closing quote replaced.
    expect(
      compactFileLookup(Buffer.from(JSON.stringify(one).replace(`${digest}"`, `${digest}x`))),
    ).toBeUndefined();
    const bad = { module: 'file-threat-protection', items: [{ type: 'file', sha256: digest, extra: 1 }] };
    expect(compact(bad)).toBeUndefined();
    expect(() => parseLookup(bad)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('reads each body on its own: nothing of a body it refused half-way reaches the next', () => {
    const digests = ['0a', '1b', '2c', '3d'].map((d) => d.repeat(32));
    const body = (ds: string[], tail = '') =>
      Buffer.from(
        JSON.stringify({
          module: 'file-threat-protection',
          items: ds.map((sha256) => ({ type: 'file', sha256 })),
        }) + tail,
      );
    // Three digests read, then refused at its end.
    expect(compactFileLookup(body(digests.slice(0, 3), ' '))).toBeUndefined();
    const next = compactFileLookup(body([digests[3]!, digests[0]!]));
    expect(next?.keys).toEqual([`sha256:${digests[3]}`, `sha256:${digests[0]}`]);
    expect(next?.packed).toEqual(next?.keys.map((k) => packKey(k)));
  });
});

describe('fileKeys (GET /v1/files/{hash})', () => {
  it('keys a digest as the lookup body would, packing a SHA-256 for the cache', () => {
    const sha256 = 'aB'.repeat(32);
    expect(fileKeys(sha256)).toEqual({
      keys: [`sha256:${'ab'.repeat(32)}`],
      packed: [packKey(`sha256:${'ab'.repeat(32)}`)],
    });
    expect(fileKeys('0F'.repeat(20))).toEqual({ keys: [`sha1:${'0f'.repeat(20)}`] });
    expect(fileKeys('c4'.repeat(16))).toEqual({ keys: [`md5:${'c4'.repeat(16)}`] });
  });

  it('refuses anything else with a 400 naming the hash', () => {
    for (const hash of ['ab'.repeat(33), 'ab'.repeat(31), `${'ab'.repeat(31)}ag`, '', 'sha256:00'])
      expect(() => fileKeys(hash)).toThrow(
        expect.objectContaining({ status: 400, code: 'invalid_request', field: 'hash' }),
      );
  });
});
