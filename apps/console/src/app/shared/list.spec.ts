import { formatInstant, isHttpUrl, itemsOf, localInputToIso } from './list';

describe('shared list helpers', () => {
  it('reads arrays and pages alike', () => {
    expect(itemsOf([1, 2])).toEqual([1, 2]);
    expect(itemsOf({ items: [3], total: 1, limit: 100, offset: 0 })).toEqual([3]);
  });

  it('formats instants in UTC by default', () => {
    expect(formatInstant('2026-11-27T09:05:00.000Z')).toBe('2026-11-27 09:05');
    expect(formatInstant(null)).toBe('–');
    expect(formatInstant('garbage')).toBe('garbage');
  });

  it('turns a datetime-local value into an ISO instant', () => {
    expect(localInputToIso('')).toBeUndefined();
    expect(localInputToIso('2026-11-27T10:30')).toMatch(/^2026-11-2\dT\d\d:30:00\.000Z$/);
  });

  it.each([
    ['https://example.com/x', true],
    ['http://a', true],
    ['ftp://a', false],
    ['example.com', false],
  ])('isHttpUrl(%p) = %p', (url, ok) => {
    expect(isHttpUrl(url)).toBe(ok);
  });
});
