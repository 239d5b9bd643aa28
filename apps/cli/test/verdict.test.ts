/**
 * The verdict rule of `sii reproduce` on synthetic paired data whose answer is known by hand, and the
 * Wilson interval against hand-computed values.
 */
import { Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import { decide, deterministicVerdict, pairedVerdict, proportionVerdict, VERDICT_ALPHA, wilsonInterval } from '../src/verdict.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('pairedVerdict', () => {
  it('uses α = 0.01', () => {
    expect(VERDICT_ALPHA).toBe(0.01);
  });

  it('a clear SII win is reproduced: 12 of 12 lower, both exact p = 2/4096', () => {
    const base = range(12).map((i) => 1 + 0.1 * i);
    const sii = base.map((b, i) => b * (0.5 - 0.01 * i)); // distinct log-ratios, all favouring SII
    const v = pairedVerdict(sii, base, { lowerIsBetter: true });
    expect(v.signP).toBeCloseTo(2 / 4096, 15);
    expect(v.wilcoxonP).toBeCloseTo(2 / 4096, 15);
    expect(v.siiWinShare).toBe(1);
    expect(v.signFavours).toBe('sii');
    expect(v.wilcoxonFavours).toBe('sii');
    expect(v.verdict).toBe('reproduced');
  });

  it('a clear loss is not reproduced (both tests reject in the opposite direction)', () => {
    const base = range(12).map((i) => 1 + 0.1 * i);
    const sii = base.map((b, i) => b * (2 + 0.01 * i));
    const v = pairedVerdict(sii, base, { lowerIsBetter: true });
    expect(v.signFavours).toBe('baseline');
    expect(v.wilcoxonFavours).toBe('baseline');
    expect(v.signP).toBeCloseTo(2 / 4096, 15);
    expect(v.verdict).toBe('not reproduced');
    // The same data read with the opposite claim reproduce it.
    expect(pairedVerdict(sii, base, { lowerIsBetter: true, claim: 'baseline-better' }).verdict).toBe('reproduced');
  });

  it('higher-is-better metrics (accuracy): SII higher on every seed of 10 is reproduced, p = 2/1024', () => {
    const base = range(10).map((i) => 0.8 + 0.01 * i);
    const sii = base.map((b, i) => b + 0.005 + 0.001 * i);
    const v = pairedVerdict(sii, base, { lowerIsBetter: false });
    expect(v.signP).toBeCloseTo(2 / 1024, 15);
    expect(v.verdict).toBe('reproduced');
    expect(pairedVerdict(base, sii, { lowerIsBetter: false }).verdict).toBe('not reproduced');
  });

  it('pure noise (fixed seed) is inconclusive, and over 300 noise sets the rule rejects in at most a few', () => {
    const noise = (seed: string, n: number) => {
      const rng = new Rng(seed);
      const a = range(n).map(() => Math.exp(rng.normal()));
      const b = range(n).map(() => Math.exp(rng.normal()));
      return pairedVerdict(a, b, { lowerIsBetter: true });
    };
    const v = noise('verdict/noise', 40);
    expect(v.verdict).toBe('inconclusive');
    expect(Math.min(v.signP, v.wilcoxonP)).toBeGreaterThan(VERDICT_ALPHA);
    // Under H0 each test rejects with probability ≤ α; needing both, the rate is ≤ 0.01: expected ≤ 3 of 300.
    let decided = 0;
    for (let s = 0; s < 300; s++) if (noise(`verdict/noise/${s}`, 30).verdict !== 'inconclusive') decided++;
    expect(decided).toBeLessThanOrEqual(9); // P(Bin(300, 0.01) ≥ 10) < 0.002
  });

  it('ties: all equal pairs are inconclusive; ties are dropped from the tests and count half in the win share', () => {
    const same = range(20).map((i) => 1 + i);
    const all = pairedVerdict(same, same, { lowerIsBetter: true });
    expect(all.signP).toBe(1);
    expect(all.siiWinShare).toBe(0.5);
    expect(all.verdict).toBe('inconclusive');
    // 10 SII wins and 5 ties: the tests see 10 untied pairs (sign p = 2/1024), win share (10 + 2.5)/15.
    const base = range(15).map((i) => 1 + i);
    const sii = base.map((b, i) => (i < 10 ? b * (0.5 - 0.01 * i) : b));
    const v = pairedVerdict(sii, base, { lowerIsBetter: true });
    expect(v.signP).toBeCloseTo(2 / 1024, 15);
    expect(v.siiWinShare).toBeCloseTo(12.5 / 15, 15);
    expect(v.verdict).toBe('reproduced');
  });

  it('tiny n: 6 of 6 SII wins cannot reach α (smallest p = 2/64) and is inconclusive', () => {
    const base = range(6).map((i) => 1 + i);
    const sii = base.map((b, i) => b * (0.5 - 0.01 * i));
    const v = pairedVerdict(sii, base, { lowerIsBetter: true });
    expect(v.signP).toBeCloseTo(2 / 64, 15);
    expect(v.smallestAttainableP).toBeCloseTo(2 / 64, 15);
    expect(v.verdict).toBe('inconclusive');
    expect(v.statistic).toContain('no test can reach');
    // n = 3 (the benchmark's default seeds): smallest p 0.25.
    expect(pairedVerdict([1, 1, 1], [2, 2, 2], { lowerIsBetter: true }).smallestAttainableP).toBe(0.25);
  });

  it('a diverged run (non-finite) loses to a finite one in the sign test', () => {
    const base = range(12).map(() => Number.POSITIVE_INFINITY);
    const sii = range(12).map((i) => 1 + i);
    const v = pairedVerdict(sii, base, { lowerIsBetter: true });
    expect(v.signP).toBeCloseTo(2 / 4096, 15);
    // No finite pair: the Wilcoxon test has nothing to rank, so the rule stays inconclusive.
    expect(v.wilcoxonP).toBe(1);
    expect(v.verdict).toBe('inconclusive');
  });

  it('decide: tests that disagree in direction, or one that does not reject, give inconclusive', () => {
    expect(decide(0.001, 'sii', 0.001, 'baseline', 'sii')).toBe('inconclusive');
    expect(decide(0.001, 'sii', 0.02, 'sii', 'sii')).toBe('inconclusive');
    expect(decide(0.01, 'sii', 0.001, 'sii', 'sii')).toBe('inconclusive'); // p must be < α
    expect(decide(0.009, 'sii', 0.009, 'sii', 'sii')).toBe('reproduced');
    expect(decide(0.009, 'baseline', 0.009, 'baseline', 'sii')).toBe('not reproduced');
  });

  it('rejects a bad alpha and unequal lengths', () => {
    expect(() => pairedVerdict([1], [1], { lowerIsBetter: true, alpha: 0 })).toThrow(/alpha must be in \(0, 1\), got 0/);
    expect(() => pairedVerdict([1, 2], [1], { lowerIsBetter: true })).toThrow(/equal length/);
  });
});

describe('proportionVerdict and deterministicVerdict', () => {
  it('12 of 12 successes: p = 2/4096, reproduced; 0 of 12: not reproduced; 8 of 12: inconclusive', () => {
    const all = proportionVerdict(12, 12);
    expect(all.p).toBeCloseTo(2 / 4096, 15);
    expect(all.verdict).toBe('reproduced');
    expect(proportionVerdict(0, 12).verdict).toBe('not reproduced');
    // P(Bin(12, 1/2) ≥ 8) = (495 + 220 + 66 + 12 + 1)/4096 = 794/4096; two-sided 1588/4096.
    const some = proportionVerdict(8, 12);
    expect(some.p).toBeCloseTo(1588 / 4096, 12);
    expect(some.verdict).toBe('inconclusive');
    expect(() => proportionVerdict(13, 12)).toThrow(/successes must be an integer in \[0, 12\], got 13/);
  });

  it('deterministic claims', () => {
    expect(deterministicVerdict(true)).toBe('reproduced');
    expect(deterministicVerdict(false)).toBe('not reproduced');
  });
});

describe('wilsonInterval (95 %)', () => {
  // Hand-computed with z = 1.959964: centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²).
  it('8 of 10: [0.4902, 0.9433]', () => {
    const [lo, hi] = wilsonInterval(8, 10);
    expect(lo).toBeCloseTo(0.490163, 5);
    expect(hi).toBeCloseTo(0.943317, 5);
  });
  it('0 of 10 and 10 of 10: [0, z²/(n + z²)] = [0, 0.27753] and its mirror', () => {
    const z2 = 1.959963984540054 ** 2;
    const [lo0, hi0] = wilsonInterval(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(z2 / (10 + z2), 12);
    expect(hi0).toBeCloseTo(0.27753, 5);
    const [lo1, hi1] = wilsonInterval(10, 10);
    expect(lo1).toBeCloseTo(10 / (10 + z2), 12);
    expect(hi1).toBe(1);
  });
  it('50 of 100: symmetric about 1/2, [0.40383, 0.59617]', () => {
    const [lo, hi] = wilsonInterval(50, 100);
    expect(lo).toBeCloseTo(0.403832, 5);
    expect(hi).toBeCloseTo(0.596168, 5);
  });
  it('half wins (ties) are allowed; bad input throws', () => {
    const [lo, hi] = wilsonInterval(2.5, 5);
    expect(lo + hi).toBeCloseTo(1, 12);
    expect(() => wilsonInterval(3, 0)).toThrow(/n must be > 0, got 0/);
    expect(() => wilsonInterval(6, 5)).toThrow(/k must be in \[0, n\], got 6/);
  });
});
