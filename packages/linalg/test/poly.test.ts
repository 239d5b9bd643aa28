import { describe, expect, it } from 'vitest';
import { type Complex, cabs, cexp, cmul, complex, cpolyval, csub, polyRoots } from '../src/index.js';
import { matchSets } from './helpers.js';

/** Ascending coefficients of lead·Π(z − r_k), expanded in complex arithmetic. */
function fromRoots(roots: Complex[], lead: Complex = complex(1)): Complex[] {
  let c: Complex[] = [lead];
  for (const r of roots) {
    const next: Complex[] = Array.from({ length: c.length + 1 }, () => complex(0));
    c.forEach((ck, k) => {
      next[k + 1] = { re: next[k + 1].re + ck.re, im: next[k + 1].im + ck.im };
      const t = cmul(ck, r);
      next[k] = { re: next[k].re - t.re, im: next[k].im - t.im };
    });
    c = next;
  }
  return c;
}

describe('polyRoots with real coefficients', () => {
  it('simple real and complex-conjugate roots', () => {
    // (z − 1)(z − 2)(z − 3) = z³ − 6z² + 11z − 6
    const r = polyRoots([-6, 11, -6, 1]);
    expect(r.map((z) => z.im)).toEqual([0, 0, 0]);
    matchSets(
      r,
      [3, 2, 1].map((x) => complex(x)),
      1e-14,
      true,
    );
    expect(r[0].re).toBeGreaterThan(r[1].re);
    // z² − 2z + 5: 1 ± 2i, exactly conjugate, +ω first
    const c = polyRoots(new Float64Array([5, -2, 1]));
    expect(c[1]).toEqual({ re: c[0].re, im: -c[0].im });
    matchSets(c, [complex(1, 2), complex(1, -2)], 1e-15, true);
    expect(polyRoots([1, 0, 1])).toEqual([complex(0, 1), complex(0, -1)]);
    expect(polyRoots([3, 2])).toEqual([complex(-1.5)]);
  });

  it('Wilkinson-type polynomial Π_{k=1}^{10}(z − k)', () => {
    const want = Array.from({ length: 10 }, (_, k) => complex(k + 1));
    const coeffs = fromRoots(want).map((z) => z.re); // integers, exact in float64
    const r = polyRoots(coeffs);
    matchSets(r, want, 1e-8, true); // condition number of this polynomial ~ 1e5…1e6
    expect(r.every((z) => z.im === 0)).toBe(true);
  });

  it('mixed real/complex roots of degree 7 and a scaled leading coefficient', () => {
    const want = [complex(-0.5), complex(4), complex(2, 1), complex(2, -1), complex(-1, 3), complex(-1, -3), complex(0.1)];
    const coeffs = fromRoots(want, complex(-2.5)).map((z) => z.re);
    const r = polyRoots(coeffs);
    matchSets(r, want, 1e-12, true);
    r.forEach((z, k) => {
      if (z.im > 0) expect(r[k + 1]).toEqual({ re: z.re, im: -z.im });
    });
  });

  it('repeated roots: accuracy ε^{1/m}, exact Vieta sums', () => {
    // (z − 1)⁴ = 1 − 4z + 6z² − 4z³ + z⁴
    const r = polyRoots([1, -4, 6, -4, 1]);
    matchSets(
      r,
      [1, 1, 1, 1].map((x) => complex(x)),
      1e-3,
      true,
    );
    const sum = r.reduce((s, z) => ({ re: s.re + z.re, im: s.im + z.im }), complex(0));
    expect(Math.abs(sum.re - 4)).toBeLessThan(1e-12); // Σ roots = −c₃/c₄
    expect(Math.abs(sum.im)).toBe(0); // conjugate pairs cancel exactly
    // double pair (z² + 1)² and (z − 2)²(z + 1)
    matchSets(polyRoots([1, 0, 2, 0, 1]), [complex(0, 1), complex(0, 1), complex(0, -1), complex(0, -1)], 1e-6, true);
    matchSets(polyRoots([4, 0, -3, 1]), [complex(2), complex(2), complex(-1)], 1e-6, true);
  });

  it('trims leading zeros, splits off zero roots, handles degree 0', () => {
    expect(polyRoots([-2, 1, 0, 0])).toEqual([complex(2)]);
    expect(polyRoots([0, 0, 1])).toEqual([complex(0), complex(0)]);
    matchSets(polyRoots([0, -1, 1]), [complex(1), complex(0)], 1e-15, true);
    expect(polyRoots([5])).toEqual([]);
    expect(polyRoots([5, 0, 0])).toEqual([]);
    // complex input with zero imaginary parts takes the real path (exact conjugate pairs)
    expect(polyRoots([complex(1), complex(0), complex(1)])).toEqual([complex(0, 1), complex(0, -1)]);
  });
});

describe('polyRoots with complex coefficients (Aberth–Ehrlich)', () => {
  it('recovers prescribed complex roots of varied magnitude', () => {
    const want = [complex(1, 2), complex(0, -0.5), complex(3), complex(-2, -1), complex(0.1, 0.1), complex(-7, 4)];
    const c = fromRoots(want, complex(0.5, -1.5));
    const r = polyRoots(c);
    matchSets(r, want, 1e-12, true);
    for (let k = 0; k + 1 < r.length; k++) expect(r[k].re).toBeGreaterThanOrEqual(r[k + 1].re);
    // backward error at rounding level: |p(z)| ≤ 1e-13·Σ|c_k||z|^k
    for (const z of r) {
      const scale = c.reduce((acc, ck, k) => acc + cabs(ck) * cabs(z) ** k, 0);
      expect(cabs(cpolyval(c, z))).toBeLessThan(1e-13 * scale);
    }
  });

  it('roots of z^n = e^{iθ} are e^{i(θ + 2πk)/n}', () => {
    for (const [n, theta] of [
      [3, 0.4],
      [5, 2],
      [8, -1.1],
    ] as const) {
      const c: Complex[] = Array.from({ length: n + 1 }, () => complex(0));
      c[0] = { re: -Math.cos(theta), im: -Math.sin(theta) };
      c[n] = complex(1);
      const want = Array.from({ length: n }, (_, k) => cexp(complex(0, (theta + 2 * Math.PI * k) / n)));
      matchSets(polyRoots(c), want, 1e-14, true);
    }
  });

  it('RK4 stability boundary: R(z) = e^{iθ} passes through i·2√2 and −2.7853', () => {
    const R = [1, 1, 1 / 2, 1 / 6, 1 / 24];
    const shifted = (w: Complex): Complex[] => R.map((r, k) => (k === 0 ? complex(r - w.re, -w.im) : complex(r)));
    // R(i·2√2) = −1/3 − i·2√2/3 has modulus 1 (imaginary stability limit 2√2)
    const w = complex(-1 / 3, (-2 * Math.SQRT2) / 3);
    expect(cabs(w)).toBeCloseTo(1, 15);
    const r = polyRoots(shifted(w));
    expect(r).toHaveLength(4);
    for (const z of r) expect(cabs(csub(cpolyval(R, z), w))).toBeLessThan(1e-13);
    expect(Math.min(...r.map((z) => cabs(csub(z, complex(0, 2 * Math.SQRT2)))))).toBeLessThan(1e-13);
    // θ = 0: R(z) = 1 has the root 0 and the real root −2.785293563405282 (real stability limit of
    // RK4); multiplying by i makes the coefficients purely imaginary (complex path), roots unchanged.
    const iShifted = shifted(complex(1)).map((ck) => cmul(complex(0, 1), ck));
    const one = polyRoots(iShifted);
    expect(one).toContainEqual(complex(0));
    expect(Math.min(...one.map((z) => cabs(csub(z, complex(-2.785293563405282)))))).toBeLessThan(1e-12);
  });

  it('repeated complex root with a looser tolerance', () => {
    const a = complex(1, 1);
    const want = [a, a, complex(-2, 0.5)];
    matchSets(polyRoots(fromRoots(want, complex(0, 1))), want, 1e-6, true);
  });

  it('zero roots and leading zeros with complex coefficients', () => {
    const c = [complex(0), complex(0, 2), complex(1), complex(0), complex(0)];
    // z(2i + z) → roots 0 and −2i
    expect(polyRoots(c)).toEqual([complex(0), complex(0, -2)].sort((x, y) => y.re - x.re || y.im - x.im));
    expect(polyRoots([complex(0, 3)])).toEqual([]);
  });
});

describe('polyRoots bad input', () => {
  it('throws for zero polynomial, empty and non-finite coefficients', () => {
    expect(() => polyRoots([0, 0, 0])).toThrow(/zero polynomial/);
    expect(() => polyRoots([])).toThrow(/zero polynomial/);
    expect(() => polyRoots([1, Number.NaN, 1])).toThrow(/coefficient 1 must be a finite number, got NaN/);
    expect(() => polyRoots([complex(1), complex(0, Number.POSITIVE_INFINITY)])).toThrow(/coefficient 1 must be a finite Complex/);
    expect(() => polyRoots(null as unknown as number[])).toThrow(/coeffsAscending must be an array/);
  });
});
