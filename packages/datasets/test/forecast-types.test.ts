import { describe, expect, it } from 'vitest';
import {
  buildForecastSplit,
  fitStandardization,
  makeSegment,
  makeWindows,
  type Segment,
  splitIntoSegments,
  splitSegmentIndices,
  standardize,
  unstandardize,
} from '../src/index.js';

/** Segment with inputs (t, 10 + t²) and target (−3t) for t = offset … offset+length−1. */
function seg(length: number, offset: number): Segment {
  const inputs: number[] = [];
  const targets: number[] = [];
  for (let i = 0; i < length; i++) {
    const t = offset + i;
    inputs.push(t, 10 + t * t);
    targets.push(-3 * t);
  }
  return makeSegment(inputs, targets, 2, 1);
}

describe('makeWindows', () => {
  it('cuts every window of T steps at the given stride, never across segments', () => {
    const segs = [seg(10, 0), seg(7, 100), seg(3, 200)];
    const w = makeWindows(segs, { window: 4, stride: 3 });
    // floor((10−4)/3)+1 = 3, floor((7−4)/3)+1 = 2, 0 for the 3-step segment
    expect(w.shape).toEqual({ samples: 5, steps: 4, inputDim: 2, targetDim: 1 });
    expect(Array.from(w.origins)).toEqual([0, 0, 0, 3, 0, 6, 1, 0, 1, 3]);
    expect(w.inputs.length).toBe(5 * 4 * 2);
    for (let k = 0; k < 5; k++) {
      const s = w.origins[2 * k];
      const start = w.origins[2 * k + 1];
      const offset = [0, 100, 200][s];
      for (let t = 0; t < 4; t++) {
        const tt = offset + start + t;
        expect(w.inputs[(k * 4 + t) * 2]).toBe(tt);
        expect(w.inputs[(k * 4 + t) * 2 + 1]).toBe(Math.fround(10 + tt * tt));
        expect(w.targets[k * 4 + t]).toBe(-3 * tt);
      }
    }
    expect(makeWindows([seg(5, 0)], { window: 5 }).shape.samples).toBe(1);
    expect(makeWindows([seg(5, 0)], { window: 1 }).shape.samples).toBe(5);
    expect(() => makeWindows(segs, { window: 0 })).toThrow(/window must be a positive integer, got 0/);
    expect(() => makeWindows(segs, { window: 2, stride: 1.5 })).toThrow(/stride must be a positive integer, got 1.5/);
  });
});

describe('standardization', () => {
  it('uses the population mean/std of all training steps', () => {
    const train = [seg(4, 0), seg(2, 10)];
    const stats = fitStandardization(train);
    const ts = [0, 1, 2, 3, 10, 11];
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const std = (a: number[]) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
    const c0 = ts;
    const c1 = ts.map((t) => 10 + t * t);
    const tg = ts.map((t) => -3 * t);
    expect(stats.inputMean[0]).toBeCloseTo(mean(c0), 12);
    expect(stats.inputMean[1]).toBeCloseTo(mean(c1), 12);
    expect(stats.inputStd[0]).toBeCloseTo(std(c0), 12);
    expect(stats.inputStd[1]).toBeCloseTo(std(c1), 12);
    expect(stats.targetMean[0]).toBeCloseTo(mean(tg), 12);
    expect(stats.targetStd[0]).toBeCloseTo(std(tg), 12);
    // after standardizing, the training data has mean 0 and std 1 per channel
    const z = standardize(train, stats);
    const after = fitStandardization(z);
    expect(after.inputMean[1]).toBeCloseTo(0, 12);
    expect(after.inputStd[1]).toBeCloseTo(1, 12);
    expect(after.targetStd[0]).toBeCloseTo(1, 12);
    // unstandardize inverts it
    const back = unstandardize(z[1].inputs, stats.inputMean, stats.inputStd);
    back.forEach((v, i) => {
      expect(v).toBeCloseTo(train[1].inputs[i], 9);
    });
  });

  it('a constant channel gets std 1; bad input errors', () => {
    const s = makeSegment([5, 1, 5, 2, 5, 3], [0, 0, 0], 2, 1);
    const stats = fitStandardization([s]);
    expect(stats.inputStd[0]).toBe(1);
    expect(stats.targetStd[0]).toBe(1);
    expect(Array.from(standardize([s], stats)[0].inputs.filter((_, i) => i % 2 === 0))).toEqual([0, 0, 0]);
    expect(() => fitStandardization([])).toThrow(/segments is empty/);
    expect(() => makeSegment([1, 2, 3], [1], 2, 1)).toThrow(/inputs\.length \(3\) is not a multiple of inputDim \(2\)/);
    expect(() => makeSegment([1, 2], [1, 2], 2, 1)).toThrow(/targets\.length \(2\) must equal/);
    expect(() => standardize([seg(3, 0), makeSegment([1], [1], 1, 1)], stats)).toThrow(/segment 1 has dims \(1, 1\)/);
    expect(() => unstandardize([1, 2, 3], [0, 0], [1, 1])).toThrow(/not a multiple of the channel count \(2\)/);
  });
});

describe('splitIntoSegments / splitSegmentIndices / buildForecastSplit', () => {
  it('splits a series into whole segments, dropping the remainder', () => {
    const parts = splitIntoSegments(seg(23, 0), 5);
    expect(parts.length).toBe(4);
    expect(parts[3].inputs[0]).toBe(15);
    expect(parts[3].targets[4]).toBe(-3 * 19);
  });

  it('partitions indices reproducibly with the requested sizes', () => {
    const a = splitSegmentIndices(25, { testFraction: 0.2, valFraction: 0.2, seed: 7 });
    expect([a.train.length, a.val.length, a.test.length]).toEqual([15, 5, 5]);
    const all = [...a.train, ...a.val, ...a.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const b = splitSegmentIndices(25, { testFraction: 0.2, valFraction: 0.2, seed: 7 });
    expect(Array.from(b.test)).toEqual(Array.from(a.test));
    const tests = new Set<string>();
    for (let s = 0; s < 6; s++) tests.add(Array.from(splitSegmentIndices(25, { seed: s }).test).join(','));
    expect(tests.size).toBeGreaterThan(1);
    expect(() => splitSegmentIndices(2, { testFraction: 0.5, valFraction: 0.5 })).toThrow(/cannot split 2 segments/);
    expect(() => splitSegmentIndices(5, { testFraction: 1 })).toThrow(/testFraction must be in \[0, 1\), got 1/);
  });

  it('buildForecastSplit standardizes every split with the training statistics', () => {
    const split = buildForecastSplit({
      name: 'toy',
      dt: 0.5,
      inputNames: ['a', 'b'],
      targetNames: ['y'],
      train: [seg(6, 0)],
      test: [seg(6, 50)],
      val: [seg(4, 20)],
      window: 3,
      stride: 2,
    });
    expect(split.train.stats).toBe(split.stats);
    expect(split.test.stats).toBe(split.stats);
    expect(split.train.shape).toEqual({ samples: 2, steps: 3, inputDim: 2, targetDim: 1 });
    expect(split.val?.shape.samples).toBe(1);
    // test value at t = 50 uses the training mean/std of t = 0..5: mean 2.5, std sqrt(35/12)
    expect(split.test.inputs[0]).toBeCloseTo((50 - 2.5) / Math.sqrt(35 / 12), 5);
    expect(split.test.dt).toBe(0.5);
    const raw = buildForecastSplit({
      name: 'toy',
      dt: 1,
      inputNames: ['a', 'b'],
      targetNames: ['y'],
      train: [seg(6, 0)],
      test: [seg(6, 50)],
      window: 6,
      standardize: false,
    });
    expect(raw.test.inputs[0]).toBe(50);
    expect(() =>
      buildForecastSplit({ name: 't', dt: 1, inputNames: ['a'], targetNames: ['y'], train: [seg(6, 0)], test: [], window: 2 }),
    ).toThrow(/inputNames has 1 names for 2 input channels/);
    expect(() =>
      buildForecastSplit({ name: 't', dt: 0, inputNames: ['a', 'b'], targetNames: ['y'], train: [seg(6, 0)], test: [], window: 2 }),
    ).toThrow(/dt must be > 0, got 0/);
  });
});
