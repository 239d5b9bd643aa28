import { Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import { samplePoles, samplePolesDetailed, solverStability, taylorOrderForSolver } from '../src/index.js';
import { absPoly, taylor } from './helpers.js';

/** Area fraction of the box Re ∈ [−3, −0.1], Im ∈ [−3, 3] where |R| < 1 + eps, by a midpoint grid. */
function gridFraction(coeffs: number[], eps: number, nx = 600, ny = 1200): number {
  let inside = 0;
  for (let i = 0; i < nx; i++) {
    const x = -3 + (2.9 * (i + 0.5)) / nx;
    for (let j = 0; j < ny; j++) {
      const y = -3 + (6 * (j + 0.5)) / ny;
      if (absPoly(coeffs, x, y) < 1 + eps) inside++;
    }
  }
  return inside / (nx * ny);
}

describe('samplePoles', () => {
  it('every sampled hλ is inside the region with the requested margin (Taylor p = 1..4, dopri5 exact)', () => {
    const cases: { stability: string | { taylorOrder: number }; coeffs: number[] }[] = [
      { stability: { taylorOrder: 1 }, coeffs: taylor(1) },
      { stability: { taylorOrder: 2 }, coeffs: taylor(2) },
      { stability: { taylorOrder: 3 }, coeffs: taylor(3) },
      { stability: { taylorOrder: 4 }, coeffs: taylor(4) },
      // Dormand–Prince: Σ_{k≤5} z^k/k! + z⁶/600 (METHOD.md §2)
      { stability: 'dopri5', coeffs: [...taylor(5), 1 / 600] },
    ];
    for (const { stability, coeffs } of cases) {
      for (const eps of [-0.01, -0.2]) {
        const h = 0.05;
        const r = samplePolesDetailed({ n: 41, h, stability, complex: true, eps, rng: new Rng(1) });
        expect(r.poles).toHaveLength(41);
        for (let k = 0; k < r.poles.length; k++) {
          const z = r.hLambda[k];
          expect(z.re).toBeCloseTo(r.poles[k].re * h, 12);
          expect(z.im).toBeCloseTo(r.poles[k].im * h, 12);
          expect(absPoly(coeffs, z.re, z.im)).toBeLessThan(1 + eps);
          expect(z.re).toBeGreaterThanOrEqual(-3);
          expect(z.re).toBeLessThan(-0.1);
        }
      }
    }
  });

  it('complex mode: conjugate pairs from the even-index samples, odd n ends with a real pole', () => {
    const r = samplePolesDetailed({ n: 7, h: 0.1, stability: { taylorOrder: 4 }, complex: true, rng: new Rng(3) });
    expect(r.samples).toHaveLength(7);
    for (let j = 0; j + 1 < 7; j += 2) {
      expect(r.hLambda[j]).toEqual(r.samples[j]);
      expect(r.hLambda[j + 1].re).toBe(r.samples[j].re);
      expect(r.hLambda[j + 1].im).toBe(-r.samples[j].im);
      expect(r.samples[j].im).not.toBe(0);
    }
    expect(r.hLambda[6].im).toBe(0);
    expect(r.samples[6].im).toBe(0);
  });

  it('real mode with Euler and h = 0.1 gives poles in (−19.9, −1]', () => {
    const poles = samplePoles({ n: 500, h: 0.1, stability: 'euler', rng: new Rng(4) });
    let lo = 0;
    let hi = -Infinity;
    for (const p of poles) {
      expect(p.im).toBe(0);
      lo = Math.min(lo, p.re);
      hi = Math.max(hi, p.re);
    }
    // |1 + z| < 0.99 ∩ box → z ∈ (−1.99, −0.1)
    expect(lo).toBeGreaterThan(-19.9);
    expect(hi).toBeLessThanOrEqual(-1);
    expect(lo).toBeLessThan(-19); // the whole interval is used
    expect(hi).toBeGreaterThan(-1.1);
  });

  it('exclusion order: inside R, outside the lower-order region by |eps|', () => {
    const eps = -0.05;
    const r = samplePolesDetailed({ n: 60, h: 0.1, stability: { taylorOrder: 4 }, complex: true, eps, exclusionOrder: 2, rng: new Rng(8) });
    for (const z of r.hLambda) {
      expect(absPoly(taylor(4), z.re, z.im)).toBeLessThan(1 + eps);
      expect(absPoly(taylor(2), z.re, z.im)).toBeGreaterThanOrEqual(1 - eps);
    }
  });

  it('exclusive sampling keeps only |R_q(z)| ≥ 1 − eps (teachers outside RK4)', () => {
    const r = samplePolesDetailed({ n: 40, h: 0.1, complex: true, eps: -0.2, exclusionOrder: 4, exclusive: true, rng: new Rng(2) });
    let outsideEuler = 0;
    for (const z of r.hLambda) {
      expect(absPoly(taylor(4), z.re, z.im)).toBeGreaterThanOrEqual(1.2);
      if (absPoly(taylor(1), z.re, z.im) >= 1) outsideEuler++;
    }
    expect(outsideEuler).toBe(40); // the RK4 region contains the Euler disk
  });

  it('acceptance share matches the region area fraction of the box within 2 points (20 000 draws)', () => {
    const eps = -0.01;
    const shares: number[] = [];
    for (const p of [1, 2, 3, 4]) {
      const area = gridFraction(taylor(p), eps);
      const rng = new Rng(`share-${p}`);
      let tries = 0;
      let accepted = 0;
      while (tries < 20_000) {
        const r = samplePolesDetailed({ n: 2, h: 1, stability: { taylorOrder: p }, complex: true, eps, rng });
        tries += r.tries;
        accepted += r.accepted;
      }
      const share = accepted / tries;
      expect(Math.abs(share - area), `p = ${p}: share ${share}, area ${area}`).toBeLessThan(0.02);
      shares.push(share);
    }
    // Spec §3: about 17 %, 33 %, 50 %, 67 %.
    [0.17, 0.33, 0.5, 0.67].forEach((s, k) => {
      expect(Math.abs(shares[k] - s)).toBeLessThan(0.02);
    });
  });

  it('solver stability: default exact R from the tableau; authors’ Taylor orders', () => {
    expect(Array.from(solverStability('midpoint'))).toEqual(taylor(2).map((c) => expect.closeTo(c, 14)));
    expect(Array.from(solverStability('rk3'))).toEqual(taylor(3).map((c) => expect.closeTo(c, 14)));
    const d = solverStability('dopri5');
    // Σ_{k≤5} z^k/k! + z⁶/600, then zeros (7 stages, FSAL: the z⁷ coefficient vanishes)
    expect(d.length).toBeGreaterThanOrEqual(7);
    [...taylor(5), 1 / 600].forEach((c, k) => {
      expect(d[k]).toBeCloseTo(c, 12);
    });
    for (let k = 7; k < d.length; k++) expect(Math.abs(d[k])).toBeLessThan(1e-12);
    expect([...['euler', 'midpoint', 'adaptive_heun', 'rk3', 'rk4', 'dopri5'].map(taylorOrderForSolver)]).toEqual([1, 2, 2, 3, 4, 4]);
  });

  it('clear errors: impossible exclusive sampling, bad h, hopeless margin, bad options', () => {
    expect(() =>
      samplePoles({ n: 2, h: 0.1, complex: true, eps: -0.2, exclusionOrder: 0, exclusive: true, maxTries: 2000, rng: new Rng(1) }),
    ).toThrow(/exclusive.*R_0\(z\) ≡ 1/);
    expect(() =>
      samplePoles({
        n: 2,
        h: 0.1,
        complex: true,
        eps: -0.2,
        exclusionOrder: 4,
        exclusive: true,
        box: { reMin: -1.5, reMax: -0.5, imMax: 0.5 },
        maxTries: 500,
        rng: new Rng(1),
      }),
    ).toThrow(/order-4 region grown by \|eps\| covers all of it/);
    expect(() => samplePoles({ n: 2, h: 0, stability: 'euler', rng: new Rng(1) })).toThrow(/h must be a finite number > 0, got 0/);
    expect(() => samplePoles({ n: 2, h: Number.NaN, stability: 'euler', rng: new Rng(1) })).toThrow(/h must be.*NaN/);
    expect(() => samplePoles({ n: 2, h: 0.1, stability: 'euler', eps: -1.5, maxTries: 100, rng: new Rng(1) })).toThrow(
      /inclusion test \|R\(z\)\| < 1 \+ eps = -0\.5 failed every time/,
    );
    expect(() => samplePoles({ n: 2, h: 0.1, stability: { taylorOrder: 2 }, exclusionOrder: 4, maxTries: 500, rng: new Rng(1) })).toThrow(
      /failed the exclusion test.*order-4 region/,
    );
    expect(() => samplePoles({ n: 0, h: 0.1, stability: 'euler', rng: new Rng(1) })).toThrow(/n must be an integer >= 1, got 0/);
    expect(() => samplePoles({ n: 2, h: 0.1, exclusive: true, rng: new Rng(1) })).toThrow(/exclusionOrder/);
    expect(() => samplePoles({ n: 2, h: 0.1, stability: 'no-such-solver', rng: new Rng(1) })).toThrow(/no-such-solver/);
  });

  it('same seed → same poles; different seeds differ', () => {
    const a = samplePoles({ n: 6, h: 0.1, stability: 'rk4', complex: true, rng: 'x' });
    const b = samplePoles({ n: 6, h: 0.1, stability: 'rk4', complex: true, rng: new Rng('x') });
    const c = samplePoles({ n: 6, h: 0.1, stability: 'rk4', complex: true, rng: new Rng('y') });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
