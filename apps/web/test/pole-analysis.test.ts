import { maxStableStep, stabilityPolynomial, getTableau } from '@sii/rk';
import { describe, expect, it } from 'vitest';
import { analysePoles } from '../src/pole-analysis.js';

describe('analysePoles', () => {
  it('gives Euler’s largest stable steps from |1 + hλ| ≤ 1: h = −2 Re λ / |λ|²', () => {
    const poles = [
      { re: -5, im: 20 },
      { re: -5, im: -20 },
      { re: -25, im: 0 },
      { re: 0, im: 0 },
      { re: 1, im: 0 },
    ];
    const { euler } = analysePoles(poles, [{ name: 'euler', R: [1, 1] }]);
    expect(Array.from(euler.subarray(0, 3))).toEqual([
      expect.closeTo(10 / 425, 12),
      expect.closeTo(10 / 425, 12),
      expect.closeTo(2 / 25, 12),
    ]);
    expect(euler[3]).toBe(Number.POSITIVE_INFINITY); // λ = 0 never leaves the region
    expect(euler[4]).toBe(0); // Re λ > 0: unstable for every h > 0
  });

  it('matches maxStableStep pole by pole for RK4 (one array per method, in the order of the poles)', () => {
    const R = Array.from(stabilityPolynomial(getTableau('rk4')));
    const poles = Array.from({ length: 40 }, (_, k) => ({ re: -1 - k, im: (k % 7) * 3 - 9 }));
    const out = analysePoles(poles, [
      { name: 'rk4', R },
      { name: 'euler', R: [1, 1] },
    ]);
    expect(Object.keys(out)).toEqual(['rk4', 'euler']);
    expect(Array.from(out.rk4)).toEqual(poles.map((p) => maxStableStep(R, p)));
    // λ = −4 (k = 3) on the real axis: RK4's real stability interval 2.785293563… divided by 4
    expect(poles[3]).toEqual({ re: -4, im: 0 });
    expect(out.rk4[3]).toBeCloseTo(2.785293563405282 / 4, 9);
  });
});
