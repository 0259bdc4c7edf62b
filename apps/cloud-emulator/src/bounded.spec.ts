import { GenerationalMap } from './bounded';

describe(GenerationalMap.name, () => {
  it('keeps recent entries, drops the oldest generation when full, promotes what is read', () => {
    const m = new GenerationalMap<number>(4);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3); // a, b become the old generation
    expect(m.get('a')).toBe(1); // promoted: young = c, a
    m.set('d', 4); // young full: old = {c, a}, b dropped
    expect(m.get('b')).toBeUndefined();
    expect([m.get('a'), m.get('c'), m.get('d')]).toEqual([1, 3, 4]);
    expect(m.size).toBeLessThanOrEqual(4);
    expect(m.dropped).toBeGreaterThan(0);
    m.clear();
    expect(m.size).toBe(0);
  });

  it('never holds more than its capacity', () => {
    const m = new GenerationalMap<true>(100);
    for (let i = 0; i < 10_000; i++) m.set(String(i), true);
    expect(m.size).toBeLessThanOrEqual(100);
    expect(m.has('9999')).toBe(true);
  });
});
