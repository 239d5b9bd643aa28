/**
 * The "excl" teacher–student student at initialization (paper's Figure 5 setting): 2 states, 1 input,
 * H 32, 2 Linear layers (L = 2), ELU, midpoint, h 0.1, eps −0.01, complex poles. With n = 2 the
 * sampler draws one conjugate pair, so the reference matrix is a single 2×2 block built from the
 * principal square root of −p: the L = 2 complex-root branch. Everything the assertions compare
 * against is computed here by hand: the Jacobian at the origin from the weights, its eigenvalues by
 * the quadratic formula, the square root in polar form, and R_midpoint(z) = 1 + z + z²/2.
 */
import { Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import type { MlpWeights } from '@sii/mlp';
import { siiInit } from '../src/index.js';

const n = 2;
const m = 1;
const H = 32;
const h = 0.1;
const eps = -0.01;
const student = { states: n, inputs: m, hidden: H, layers: 2, activation: 'elu' as const, solver: 'midpoint', h, eps, complex: true };
const SEEDS = ['excl/0', 'excl/1', 'excl/2', 'excl/3', 'excl/4', 17, 42, 1234];

/**
 * ∂f_i/∂x_j at x = 0, u = 0 of f = elu([x, u]·W1 + b1)·W2 + b2 (row convention, W1 (n+m)×H,
 * W2 H×n): Σ_k W1[j, k] · elu'(b1[k]) · W2[k, i], with elu'(a) = 1 for a > 0 and e^a otherwise.
 */
function jacobianAtOrigin(w: MlpWeights): number[][] {
  const [W1, W2] = w.weights as [MlpWeights['weights'][0], MlpWeights['weights'][0]];
  const b1 = w.biases[0];
  const J = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < H; k++) {
        const a = b1[k];
        s += W1.data[j * W1.cols + k] * (a > 0 ? 1 : Math.exp(a)) * W2.data[k * W2.cols + i];
      }
      J[i][j] = s;
    }
  }
  return J;
}

/** Eigenvalues of a real 2×2 matrix by the quadratic formula (complex pair first with +im). */
function eig2(J: number[][]): { re: number; im: number }[] {
  const tr = J[0][0] + J[1][1];
  const det = J[0][0] * J[1][1] - J[0][1] * J[1][0];
  const disc = (tr * tr) / 4 - det;
  if (disc >= 0)
    return [
      { re: tr / 2 + Math.sqrt(disc), im: 0 },
      { re: tr / 2 - Math.sqrt(disc), im: 0 },
    ];
  return [
    { re: tr / 2, im: Math.sqrt(-disc) },
    { re: tr / 2, im: -Math.sqrt(-disc) },
  ];
}

/** |R_midpoint(z)| with R(z) = 1 + z + z²/2, z = x + iy. */
function absMidpoint(x: number, y: number): number {
  return Math.hypot(1 + x + (x * x - y * y) / 2, y + x * y);
}

/** Largest |λ − p| / |p| after pairing each computed eigenvalue with the pole of the same imaginary sign. */
function relErr(ev: { re: number; im: number }[], poles: { re: number; im: number }[]): number {
  let worst = 0;
  for (const p of poles) {
    const q = ev.reduce((best, e) => (Math.hypot(e.re - p.re, e.im - p.im) < Math.hypot(best.re - p.re, best.im - p.im) ? e : best));
    worst = Math.max(worst, Math.hypot(q.re - p.re, q.im - p.im) / Math.hypot(p.re, p.im));
  }
  return worst;
}

describe('excl student at init (H 32, L = 2, ELU, midpoint, complex pair)', () => {
  it('samples one conjugate pair strictly inside the midpoint region: |R(hλ)| < 1 + eps', () => {
    for (const seed of SEEDS) {
      const r = siiInit({ ...student, rng: new Rng(seed) });
      const [p, q] = r.poles as [{ re: number; im: number }, { re: number; im: number }];
      expect(p.im, `seed ${seed}`).not.toBe(0);
      expect(q.re).toBe(p.re);
      expect(q.im).toBe(-p.im);
      for (const z of r.poles) {
        expect(z.re * h, `seed ${seed}`).toBeLessThan(-0.1 + 1e-12); // box U(−3, −0.1) in hλ
        expect(absMidpoint(z.re * h, z.im * h), `seed ${seed}`).toBeLessThan(1 + eps);
      }
    }
  });

  it('the reference block is the principal square root of −p: [[μ, ω], [−ω, μ]], μ > 0', () => {
    for (const seed of SEEDS) {
      const r = siiInit({ ...student, rng: new Rng(seed) });
      const p = r.poles[0];
      // −p in polar form, square root halves the angle (principal branch, |angle| < π/2 since Re(−p) > 0)
      const rho = Math.hypot(-p.re, -p.im);
      const theta = Math.atan2(-p.im, -p.re);
      const mu = Math.sqrt(rho) * Math.cos(theta / 2);
      const omega = Math.sqrt(rho) * Math.sin(theta / 2);
      expect(mu).toBeGreaterThan(0);
      const A = r.reference.data;
      expect(A[0]).toBeCloseTo(mu, 12);
      expect(A[3]).toBeCloseTo(mu, 12);
      expect(A[1]).toBeCloseTo(omega, 12);
      expect(A[2]).toBeCloseTo(-omega, 12);
    }
  });

  it('eig(J(0)) equals the sampled poles to 1e-8 with exact slope compensation or zero biases', () => {
    for (const seed of SEEDS) {
      for (const opts of [{ compensation: 'exact' as const }, { biasScale: 0 }]) {
        const r = siiInit({ ...student, ...opts, rng: new Rng(seed) });
        const ev = eig2(jacobianAtOrigin(r));
        expect(ev[0].im, `seed ${seed}`).not.toBe(0); // still a complex pair
        expect(relErr(ev, r.poles), `seed ${seed} ${JSON.stringify(opts)}`).toBeLessThan(1e-8);
      }
    }
  });

  it("with the ±1e-4 biases and no compensation (the authors' code) the poles move by at most ~1e-4 relative", () => {
    // elu'(b) = e^b for b < 0: slopes in [e^−1e-4, 1], so J(0) is off by a relative O(1e-4).
    for (const seed of SEEDS) {
      const r = siiInit({ ...student, compensation: 'none', rng: new Rng(seed) });
      // the default (what the student gets) is this case
      const d = siiInit({ ...student, rng: new Rng(seed) });
      d.weights.forEach((w, k) => {
        expect(Array.from(w.data)).toEqual(Array.from(r.weights[k].data));
      });
      const err = relErr(eig2(jacobianAtOrigin(r)), r.poles);
      expect(err, `seed ${seed}`).toBeLessThan(3e-4);
      expect(err, `seed ${seed}`).toBeGreaterThan(1e-9); // the biases do shift them
    }
  });
});
