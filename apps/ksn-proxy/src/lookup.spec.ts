/** The answers' serialiser: the text JSON.stringify gives, for every result `answer` can build. */
import { DECISIONS, SOURCES, VERDICTS, type LookupResult } from '@ksn/contracts';
import fc from 'fast-check';
import { fuzzSeed } from '../test/adversarial/harness';
import { resultJson, resultsJson } from './lookup';

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

  it('writes what JSON.stringify writes', () => {
    fc.assert(
      fc.property(result, (r) => resultJson(r) === JSON.stringify(r)),
      { seed, numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(result, { maxLength: 20 }),
        (results) => resultsJson(results) === JSON.stringify({ results }),
      ),
      { seed, numRuns: 300 },
    );
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
    expect(resultJson(r)).toBe(JSON.stringify(r));
  });
});
