import { describe, expect, it } from 'vitest';
import { erfc, median, midRanks, normalSf, pairedSummary, quantile, signTest, wilcoxonSignedRank } from '../src/stats.js';

describe('quantile / median', () => {
  it('interpolates linearly between order statistics (type 7)', () => {
    expect(quantile([4, 1, 3, 2], 0.25)).toBeCloseTo(1.75, 15);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
    expect(quantile([1, 2, 3], 1)).toBe(3);
    expect(() => quantile([1], 1.5)).toThrow(/q must be in \[0, 1\], got 1.5/);
  });
});

describe('signTest (exact binomial)', () => {
  it('9 of 10 positive: p = 2·(C(10,0)+C(10,1))/2^10 = 22/1024', () => {
    const r = signTest([1, 2, 3, 4, 5, 6, 7, 8, 9, -1]);
    expect(r.n).toBe(10);
    expect(r.positive).toBe(9);
    expect(r.p).toBeCloseTo(22 / 1024, 14);
  });
  it('drops zeros: [+,+,+,0,−] → n 4, p = 2·(1+4)/16', () => {
    const r = signTest([1, 1, 1, 0, -1]);
    expect(r.n).toBe(4);
    expect(r.p).toBeCloseTo(10 / 16, 14);
  });
  it('all 5 positive: p = 2/32; balanced is capped at 1; empty is 1', () => {
    expect(signTest([1, 1, 1, 1, 1]).p).toBeCloseTo(1 / 16, 14);
    expect(signTest([1, -1, 1, -1]).p).toBe(1);
    expect(signTest([0, 0]).p).toBe(1);
  });
  it('rejects non-finite input naming the index', () => {
    expect(() => signTest([1, Number.NaN])).toThrow(/diffs\[1\] must be finite/);
  });
});

describe('wilcoxonSignedRank', () => {
  it('mid-ranks share tied positions', () => {
    expect(midRanks([3, 1, 1, 2])).toEqual([4, 1.5, 1.5, 3]);
  });
  it('n = 5 all positive: W+ = 15, p = 2·(1/32)', () => {
    const r = wilcoxonSignedRank([0.5, 1, 2, 3, 4]);
    expect(r.wPlus).toBe(15);
    expect(r.wMinus).toBe(0);
    expect(r.method).toBe('exact');
    expect(r.p).toBeCloseTo(2 / 32, 14);
  });
  it('n = 6, only rank 1 negative: W− = 1; subsets of {1..6} with sum ≤ 1 are {}, {1} → p = 4/64', () => {
    const r = wilcoxonSignedRank([-1, 2, 3, 4, 5, 6]);
    expect(r.wPlus).toBe(20);
    expect(r.p).toBeCloseTo(4 / 64, 14);
  });
  it('n = 8, ranks 1 and 2 negative: W− = 3; 5 subsets with sum ≤ 3 → p = 10/256', () => {
    const r = wilcoxonSignedRank([-0.1, -0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    expect(r.wMinus).toBe(3);
    expect(r.p).toBeCloseTo(10 / 256, 14);
  });
  it('ties: |d| = 1,1,1,2 with one negative 1: W+ = 8; P(W+ ≥ 8) = 4/16 → p = 0.5', () => {
    // Doubled mid-ranks 4,4,4,8: sums ≥ 16 need the 8 and at least two 4s: C(3,2)+C(3,3) = 4 of 16.
    const r = wilcoxonSignedRank([1, 1, -1, 2]);
    expect(r.wPlus).toBe(8);
    expect(r.p).toBeCloseTo(0.5, 14);
  });
  it('is symmetric in the sign of the differences and drops zeros', () => {
    const d = [0.3, -1.2, 2.5, 0.7, 1.9, -0.4, 0, 3.1];
    const a = wilcoxonSignedRank(d);
    const b = wilcoxonSignedRank(d.map((x) => -x));
    expect(a.n).toBe(7);
    expect(a.p).toBeCloseTo(b.p, 14);
    expect(a.wPlus).toBe(b.wMinus);
  });
  it('normal approximation: n = 5 all positive, z = (7.5 − 0.5)/√13.75', () => {
    const r = wilcoxonSignedRank([1, 2, 3, 4, 5], { method: 'normal' });
    const z = 7 / Math.sqrt(13.75);
    expect(r.method).toBe('normal');
    expect(r.p).toBeCloseTo(2 * normalSf(z), 12);
    expect(r.p).toBeCloseTo(0.05905, 4);
  });
  it('exact and normal agree closely for n = 30', () => {
    const d = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? -1 : 1) * (i + 1));
    const e = wilcoxonSignedRank(d, { method: 'exact' });
    const n = wilcoxonSignedRank(d, { method: 'normal' });
    expect(Math.abs(e.p - n.p)).toBeLessThan(0.005);
  });
  it('uses the normal approximation above n = 50', () => {
    const d = Array.from({ length: 60 }, (_, i) => i + 1);
    const r = wilcoxonSignedRank(d);
    expect(r.method).toBe('normal');
    expect(r.wPlus).toBe(1830);
    // μ = 915, σ² = 60·61·121/24 = 18452.5
    expect(r.p).toBeCloseTo(2 * normalSf((915 - 0.5) / Math.sqrt(18452.5)), 14);
  });
});

describe('erfc / normalSf', () => {
  it('matches tabulated values', () => {
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 6);
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 6);
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 6);
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 6);
    expect(normalSf(0)).toBeCloseTo(0.5, 7);
  });
});

describe('pairedSummary', () => {
  it('counts wins of a (lower loss) and treats divergence as a loss', () => {
    const a = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const b = [2, 3, 4, 5, 6, 7, 8, 9, Number.NaN, 0.5];
    const s = pairedSummary(a, b);
    expect(s.winShare).toBeCloseTo(0.9, 14);
    expect(s.sign.p).toBeCloseTo(22 / 1024, 14);
    expect(s.wilcoxon.n).toBe(9);
  });
});
