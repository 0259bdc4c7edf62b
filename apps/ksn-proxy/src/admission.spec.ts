import { Doorkeeper, FrequencySketch, hashString, TinyLfu } from './admission';

describe(FrequencySketch.name, () => {
  it('counts increments, saturates at 15 and halves on aging', () => {
    const sketch = new FrequencySketch(1024);
    const h = hashString('sha256:aa');
    expect(sketch.frequency(h)).toBe(0);
    for (let i = 0; i < 5; i++) sketch.increment(h);
    expect(sketch.frequency(h)).toBe(5);
    for (let i = 0; i < 50; i++) sketch.increment(h);
    expect(sketch.frequency(h)).toBe(15);
    sketch.halve();
    expect(sketch.frequency(h)).toBe(7);
  });

  it('keeps independent keys apart (count-min: never under-estimates)', () => {
    const sketch = new FrequencySketch(4096);
    const keys = Array.from({ length: 1000 }, (_, i) => hashString(`sha256:${i.toString(16)}`));
    keys.forEach((h, i) => {
      for (let n = 0; n < i % 7; n++) sketch.increment(h);
    });
    let exact = 0;
    keys.forEach((h, i) => {
      expect(sketch.frequency(h)).toBeGreaterThanOrEqual(i % 7);
      if (sketch.frequency(h) === i % 7) exact++;
    });
    expect(exact).toBeGreaterThan(950);
  });
});

describe(Doorkeeper.name, () => {
  it('reports a key as seen from its second put until cleared', () => {
    const door = new Doorkeeper(1024);
    const h = hashString('url:http://example.com/');
    expect(door.has(h)).toBe(false);
    expect(door.put(h)).toBe(false);
    expect(door.has(h)).toBe(true);
    expect(door.put(h)).toBe(true);
    door.clear();
    expect(door.has(h)).toBe(false);
  });
});

describe(TinyLfu.name, () => {
  // The filter takes hashes; the cache hashes with keyHash, these tests with hashString.
  const [a, old] = [hashString('a'), hashString('old')];

  it('estimates frequency through the doorkeeper and the sketch', () => {
    const f = new TinyLfu(1000);
    expect(f.frequency(a)).toBe(0);
    f.record(a);
    expect(f.frequency(a)).toBe(1);
    f.record(a);
    f.record(a);
    expect(f.frequency(a)).toBe(3);
  });

  it('ages: after sampleSize accesses old counts are halved and the doorkeeper forgets', () => {
    const f = new TinyLfu(16);
    for (let i = 0; i < 9; i++) f.record(old);
    expect(f.frequency(old)).toBe(9);
    // Fill the sample with other keys until the reset happens.
    const others = [0, 1, 2].map((i) => hashString(`k${i}`));
    for (let i = 0; f.frequency(old) === 9 && i < f.sampleSize; i++) f.record(others[i % 3]);
    expect(f.frequency(old)).toBe(4);
  });
});
