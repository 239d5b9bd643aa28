import { describe, expect, it } from 'vitest';
import { MersenneTwister, numpyPermutation, sklearnTrainTestSplit } from '../src/forecast/numpy_split.js';

// Reference values printed by numpy 2.4 (legacy RandomState / MT19937 with legacy seeding).
describe('numpy RandomState permutation (the authors’ train_test_split)', () => {
  it('MT19937 seeded as RandomState(42) gives numpy’s first raw outputs', () => {
    const r = new MersenneTwister(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([1608637542, 3421126067, 4083286876]);
  });
  it('permutation(n) equals numpy’s for n = 10, 25 (seed 42) and 1000 (seed 7)', () => {
    expect(Array.from(numpyPermutation(10, 42))).toEqual([8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
    expect(Array.from(numpyPermutation(25, 42))).toEqual([
      8, 16, 0, 23, 11, 9, 13, 1, 22, 5, 2, 12, 15, 3, 4, 20, 17, 21, 18, 24, 7, 10, 14, 19, 6,
    ]);
    const p = numpyPermutation(1000, 7);
    expect(Array.from(p.slice(0, 5))).toEqual([778, 334, 271, 802, 216]);
    expect(Array.from(p.slice(-5))).toEqual([579, 502, 537, 196, 175]);
  });
  it('train_test_split(test_size 0.2): test = first ceil(0.2·n) of the permutation, train the rest in order', () => {
    const s = sklearnTrainTestSplit(25, 0.2, 42);
    expect(Array.from(s.test)).toEqual([8, 16, 0, 23, 11]);
    expect(Array.from(s.train)).toEqual([9, 13, 1, 22, 5, 2, 12, 15, 3, 4, 20, 17, 21, 18, 24, 7, 10, 14, 19, 6]);
    // ceil: 0.2·13 = 2.6 → 3 test items
    expect(sklearnTrainTestSplit(13, 0.2, 0).test).toHaveLength(3);
  });
  it('rejects bad arguments with the offending value', () => {
    expect(() => new MersenneTwister(-1)).toThrow(/seed .* got -1/);
    expect(() => sklearnTrainTestSplit(1, 0.2, 42)).toThrow(/cannot split 1 items/);
    expect(() => sklearnTrainTestSplit(10, 1.5, 42)).toThrow(/testSize .* got 1.5/);
  });
});
