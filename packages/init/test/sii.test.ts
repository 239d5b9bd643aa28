import { type Complex, eigenvalues, Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import { type ActivationName, activationSlopeAtZero, activationSupSlope, type MlpSpec, type MlpWeights, mlpJacobian64 } from '@sii/mlp';
import { siiInit, verify } from '../src/index.js';
import { absPoly, maxMatchedRelError, scalePoles, taylor } from './helpers.js';

function originPoles(spec: MlpSpec, w: MlpWeights): Complex[] {
  return eigenvalues(mlpJacobian64(spec, w, new Float64Array(spec.states), new Float64Array(spec.inputs)));
}

function bitsEqual(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('siiInit: eig(∂f/∂x at the origin) equals the sampled poles', () => {
  it("ELU with 'exact' compensation, L = 2, 3, 4, real and complex, m = 0 and m > 0 (float64, rel. error ≤ 1e-6)", () => {
    let count = 0;
    for (const layers of [2, 3, 4]) {
      for (const complex of [false, true]) {
        for (const inputs of [0, 2]) {
          const spec: MlpSpec = { states: 5, inputs, hidden: 12, layers, activation: 'elu' };
          const w = siiInit({
            ...spec,
            solver: 'midpoint',
            h: 0.1,
            complex,
            compensation: 'exact',
            seed: `elu-${layers}-${complex}-${inputs}`,
          });
          const nComplex = w.poles.filter((p) => p.im !== 0).length;
          expect(nComplex).toBe(complex ? 4 : 0);
          expect(maxMatchedRelError(originPoles(spec, w), w.poles)).toBeLessThan(1e-6);
          count++;
        }
      }
    }
    expect(count).toBe(12);
  });

  it('L = 1: the single weight is −A and the poles are exact', () => {
    const spec: MlpSpec = { states: 4, inputs: 0, hidden: 0, layers: 1, activation: 'elu' };
    const w = siiInit({ ...spec, solver: 'rk4', h: 0.2, complex: true, seed: 1 });
    expect(w.weights).toHaveLength(1);
    expect(Array.from(w.weights[0].data)).toEqual(Array.from(w.reference.data).map((v) => -v));
    expect(maxMatchedRelError(originPoles(spec, w), w.poles)).toBeLessThan(1e-12);
  });

  it("'exact' compensation: SiLU, GELU, tanh, sigmoid, softplus, SELU, leaky ReLU", () => {
    const acts: ActivationName[] = ['silu', 'gelu', 'tanh', 'sigmoid', 'softplus', 'selu', 'leaky_relu'];
    for (const activation of acts) {
      for (const layers of [2, 3, 4]) {
        const spec: MlpSpec = { states: 4, inputs: 1, hidden: 10, layers, activation };
        const w = siiInit({ ...spec, solver: 'rk4', h: 0.1, complex: true, compensation: 'exact', seed: `${activation}-${layers}` });
        expect(w.compensation).toBe('exact');
        expect(maxMatchedRelError(originPoles(spec, w), w.poles), `${activation} L=${layers}`).toBeLessThan(1e-6);
      }
    }
  });

  it("default (the authors' code, no compensation): eig J(0) = λ·σ'(0)^(L−1): SiLU λ/2, λ/4, λ/8 for L = 2, 3, 4; ELU λ", () => {
    for (const layers of [2, 3, 4]) {
      const silu: MlpSpec = { states: 4, inputs: 1, hidden: 12, layers, activation: 'silu' };
      const w = siiInit({ ...silu, solver: 'midpoint', h: 0.1, complex: true, seed: layers, biasScale: 0 });
      expect(w.compensation).toBe('none');
      expect(maxMatchedRelError(originPoles(silu, w), scalePoles(w.poles, [0.5, 0.25, 0.125][layers - 2]))).toBeLessThan(1e-8);
      // with the default ±1e-4 biases, σ'(a) differs from σ'(0) by O(1e-4) per layer
      const biased = siiInit({ ...silu, solver: 'midpoint', h: 0.1, complex: true, seed: layers });
      const err = maxMatchedRelError(originPoles(silu, biased), scalePoles(biased.poles, 0.5 ** (layers - 1)));
      expect(err).toBeLessThan(1e-3);
      const elu: MlpSpec = { ...silu, activation: 'elu' };
      const e = siiInit({ ...elu, solver: 'midpoint', h: 0.1, complex: true, seed: layers, biasScale: 0 });
      expect(maxMatchedRelError(originPoles(elu, e), e.poles)).toBeLessThan(1e-8);
      const eb = siiInit({ ...elu, solver: 'midpoint', h: 0.1, complex: true, seed: layers });
      expect(maxMatchedRelError(originPoles(elu, eb), eb.poles)).toBeLessThan(1e-3);
    }
  });

  it("'max': eig J(0) = λ·(σ'(0)/sup|σ'|)^(L−1): SiLU 0.207·λ at L = 3, GELU likewise; ELU and tanh identical to 'none'", () => {
    expect((0.5 / activationSupSlope('silu')) ** 2).toBeCloseTo(0.20667, 5);
    // (not selu or relu: at a pre-activation of exactly 0 autodiff takes the left branch, not σ'(0⁺))
    for (const activation of ['silu', 'gelu', 'sigmoid'] as ActivationName[]) {
      for (const layers of [2, 3, 4]) {
        const spec: MlpSpec = { states: 4, inputs: 1, hidden: 12, layers, activation };
        const w = siiInit({ ...spec, solver: 'rk4', h: 0.1, complex: true, compensation: 'max', seed: `max-${layers}`, biasScale: 0 });
        expect(w.compensation).toBe('max');
        const factor = (activationSlopeAtZero(activation) / activationSupSlope(activation)) ** (layers - 1);
        // sigmoid(0) = 0.5 ≠ 0 shifts deeper pre-activations off 0 even without biases: skip its L > 2
        if (activation === 'sigmoid' && layers > 2) continue;
        expect(maxMatchedRelError(originPoles(spec, w), scalePoles(w.poles, factor)), `${activation} L=${layers}`).toBeLessThan(1e-8);
      }
    }
    const silu3: MlpSpec = { states: 4, inputs: 0, hidden: 12, layers: 3, activation: 'silu' };
    const w = siiInit({ ...silu3, solver: 'midpoint', h: 0.1, complex: false, compensation: 'max', seed: 1, biasScale: 0 });
    const got = originPoles(silu3, w)
      .map((p) => p.re)
      .sort((a, b) => a - b);
    const want = w.poles.map((p) => 0.206671944 * p.re).sort((a, b) => a - b);
    for (const [i, g] of got.entries()) expect(g).toBeCloseTo(want[i], 8);
    for (const activation of ['elu', 'tanh'] as ActivationName[]) {
      const spec: MlpSpec = { states: 4, inputs: 2, hidden: 12, layers: 3, activation };
      const none = siiInit({ ...spec, solver: 'midpoint', h: 0.1, complex: true, seed: 'same' });
      const max = siiInit({ ...spec, solver: 'midpoint', h: 0.1, complex: true, seed: 'same', compensation: 'max' });
      for (let k = 0; k < 3; k++) {
        expect(bitsEqual(none.weights[k].data, max.weights[k].data)).toBe(true);
        expect(bitsEqual(none.biases[k], max.biases[k])).toBe(true);
      }
    }
  });

  it('reference preset (SiLU): Taylor sampling, no compensation: poles λ·slope^(L−1)', () => {
    for (const layers of [2, 3, 4]) {
      const spec: MlpSpec = { states: 4, inputs: 1, hidden: 12, layers, activation: 'silu' };
      const factor = activationSlopeAtZero('silu') ** (layers - 1);
      const exact = siiInit({ ...spec, solver: 'midpoint', h: 0.1, complex: true, preset: 'reference', seed: layers, biasScale: 0 });
      expect(exact.compensation).toBe('none');
      expect(maxMatchedRelError(originPoles(spec, exact), scalePoles(exact.poles, factor))).toBeLessThan(1e-12);
    }
  });

  it('reference preset samples with the Taylor polynomial (dopri5 → order 4); default with the exact R', () => {
    const spec: MlpSpec = { states: 40, inputs: 0, hidden: 40, layers: 2, activation: 'elu' };
    const ref = siiInit({ ...spec, solver: 'dopri5', h: 0.1, complex: true, preset: 'reference', seed: 5 });
    expect(Array.from(ref.stability)).toEqual(taylor(4).map((c) => expect.closeTo(c, 15)));
    for (const z of ref.hLambda) expect(absPoly(taylor(4), z.re, z.im)).toBeLessThan(0.99);
    const def = siiInit({ ...spec, solver: 'dopri5', h: 0.1, complex: true, seed: 5 });
    expect(def.stability[6]).toBeCloseTo(1 / 600, 12);
    const dopri = [...taylor(5), 1 / 600];
    let outsideRk4 = 0;
    for (const z of def.hLambda) {
      expect(absPoly(dopri, z.re, z.im)).toBeLessThan(0.99);
      if (absPoly(taylor(4), z.re, z.im) >= 0.99) outsideRk4++;
    }
    // the Dopri5 region is larger: about (87 − 67) / 87 ≈ 23 % of its samples fall outside RK4's
    expect(outsideRk4).toBeGreaterThan(0);
  });

  it('product of the weights is −Aᴸ on the states and −B0·Aᴸ⁻¹ on the inputs (compensation none)', () => {
    const spec: MlpSpec = { states: 3, inputs: 2, hidden: 7, layers: 3, activation: 'elu' };
    const w = siiInit({ ...spec, solver: 'heun', h: 0.1, complex: true, seed: 'prod', compensation: 'none' });
    const mul = (a: number[][], b: number[][]) => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
    const rows = (M: { rows: number; cols: number; data: Float64Array }) =>
      Array.from({ length: M.rows }, (_, i) => Array.from(M.data.subarray(i * M.cols, (i + 1) * M.cols)));
    let P = rows(w.weights[0]);
    for (let k = 1; k < 3; k++) P = mul(P, rows(w.weights[k]));
    const A = rows(w.reference);
    const A2 = mul(A, A);
    const expected = [...mul(A2, A), ...mul(rows(w.inputBlock), A2)].map((r) => r.map((v) => -v));
    for (let i = 0; i < P.length; i++) for (let j = 0; j < 3; j++) expect(P[i][j]).toBeCloseTo(expected[i][j], 12);
    // β = mean |diag A| bounds the input block
    const beta = A.reduce((s, r, i) => s + Math.abs(r[i]), 0) / 3;
    for (const v of w.inputBlock.data) expect(Math.abs(v)).toBeLessThan(beta);
    for (const b of w.biases) for (const v of b) expect(Math.abs(v)).toBeLessThan(1e-4);
  });

  it('exclusive teachers (q = 4, eps = −0.2): every pole outside the RK4 region by 0.2', () => {
    const spec: MlpSpec = { states: 2, inputs: 1, hidden: 32, layers: 3, activation: 'elu' };
    const w = siiInit({
      ...spec,
      solver: 'dopri5',
      h: 0.1,
      complex: true,
      eps: -0.2,
      exclusionOrder: 4,
      exclusive: true,
      compensation: 'exact',
      seed: 'teacher',
    });
    const r = verify(spec, w, { solver: 'rk4', h: 0.1 });
    expect(maxMatchedRelError(r.poles, w.poles)).toBeLessThan(1e-6);
    for (const a of r.absR) expect(a).toBeGreaterThanOrEqual(1.2 - 1e-9);
    expect(r.inside.some(Boolean)).toBe(false);
  });

  it('uses given poles and places them exactly', () => {
    const poles = [
      { re: -3, im: 4 },
      { re: -3, im: -4 },
      { re: -0.5, im: 0 },
    ];
    const spec: MlpSpec = { states: 3, inputs: 0, hidden: 3, layers: 3, activation: 'gelu' };
    const w = siiInit({ ...spec, solver: 'euler', h: 0.1, poles, compensation: 'exact', seed: 0 });
    expect(maxMatchedRelError(originPoles(spec, w), poles)).toBeLessThan(1e-10);
  });

  it('seeds reproduce weights bit for bit; different seeds differ; a shared Rng advances', () => {
    const spec: MlpSpec = { states: 4, inputs: 2, hidden: 16, layers: 3, activation: 'silu' };
    const opts = { ...spec, solver: 'midpoint', h: 0.1, complex: true };
    const a = siiInit({ ...opts, seed: 123 });
    const b = siiInit({ ...opts, seed: 123 });
    const c = siiInit({ ...opts, seed: 124 });
    for (let k = 0; k < 3; k++) {
      expect(bitsEqual(a.weights[k].data, b.weights[k].data)).toBe(true);
      expect(bitsEqual(a.biases[k], b.biases[k])).toBe(true);
      expect(bitsEqual(a.weights[k].data, c.weights[k].data)).toBe(false);
    }
    const rng = new Rng(7);
    const first = siiInit({ ...opts, rng });
    const second = siiInit({ ...opts, rng });
    expect(bitsEqual(first.weights[0].data, second.weights[0].data)).toBe(false);
    const again = siiInit({ ...opts, rng: new Rng(7) });
    expect(bitsEqual(first.weights[1].data, again.weights[1].data)).toBe(true);
  });

  it('clear errors: H < n, L = 1 with inputs, bad h, relu exact compensation, unknown preset or compensation', () => {
    const base = { states: 4, inputs: 0, hidden: 8, layers: 2, activation: 'elu' as const, solver: 'midpoint', h: 0.1 };
    expect(() => siiInit({ ...base, hidden: 3 })).toThrow(/hidden must be >= states.*hidden = 3 < states = 4/);
    expect(() => siiInit({ ...base, layers: 1, inputs: 1 })).toThrow(/layers = 1 does not support inputs.*inputs = 1/);
    expect(() => siiInit({ ...base, h: -0.1 })).toThrow(/h must be a finite number > 0, got -0\.1/);
    expect(() => siiInit({ ...base, h: Number.POSITIVE_INFINITY })).toThrow(/h must be.*Infinity/);
    expect(() => siiInit({ ...base, activation: 'relu', compensation: 'exact' })).toThrow(/ill-posed for activation 'relu'/);
    expect(() => siiInit({ ...base, activation: 'relu' })).not.toThrow();
    expect(() => siiInit({ ...base, activation: 'relu', compensation: 'max' })).not.toThrow();
    expect(() => siiInit({ ...base, compensation: 'slope' as 'max' })).toThrow(
      /compensation must be one of 'none', 'max', 'exact', got "slope"/,
    );
    expect(() => siiInit({ ...base, preset: 'paper' as 'reference' })).toThrow(/preset.*paper/);
    expect(() => siiInit({ ...base, solver: 'rk99' })).toThrow(/solver.*rk99/);
    expect(() =>
      siiInit({
        ...base,
        poles: [
          { re: 1, im: 0 },
          { re: -1, im: 0 },
          { re: -1, im: 0 },
          { re: -1, im: 0 },
        ],
      }),
    ).toThrow(/real pole must be <= 0, got 1/);
  });
});

describe('verify', () => {
  it('reports the poles at the origin, hλ and region membership as data', () => {
    const spec: MlpSpec = { states: 6, inputs: 1, hidden: 16, layers: 3, activation: 'elu' };
    const w = siiInit({ ...spec, solver: 'midpoint', h: 0.1, complex: true, compensation: 'exact', seed: 9 });
    const r = verify(spec, w, { solver: 'midpoint', h: 0.1 });
    expect(r.poles).toHaveLength(6);
    expect(maxMatchedRelError(r.poles, w.poles)).toBeLessThan(1e-6);
    r.poles.forEach((p, i) => {
      expect(r.hLambda[i].re).toBeCloseTo(0.1 * p.re, 12);
      expect(r.absR[i]).toBeCloseTo(absPoly(taylor(2), r.hLambda[i].re, r.hLambda[i].im), 12);
      expect(r.absR[i]).toBeLessThan(0.99);
    });
    expect(r.inside.every(Boolean)).toBe(true);
    expect(r.allInside).toBe(true);
  });

  it('flags poles outside the region', () => {
    // hλ = −2.5 is outside Euler's disk (|1 + z| = 1.5) and inside RK4's interval (2.785)
    const poles = [
      { re: -25, im: 0 },
      { re: -5, im: 0 },
    ];
    const spec: MlpSpec = { states: 2, inputs: 0, hidden: 4, layers: 2, activation: 'elu' };
    const w = siiInit({ ...spec, solver: 'euler', h: 0.1, poles, compensation: 'exact', seed: 0 });
    const euler = verify(spec, w, { solver: 'euler', h: 0.1 });
    const outside = euler.hLambda.map((z, i) => ({ z, inside: euler.inside[i] })).sort((a, b) => a.z.re - b.z.re);
    expect(outside[0].z.re).toBeCloseTo(-2.5, 10);
    expect(outside[0].inside).toBe(false);
    expect(outside[1].inside).toBe(true);
    expect(euler.absR.map((a) => Math.round(a * 1e9) / 1e9).sort()).toEqual([0.5, 1.5]);
    expect(verify(spec, w, { solver: 'rk4', h: 0.1 }).allInside).toBe(true);
    expect(() => verify(spec, w, { solver: 'euler', h: 0 })).toThrow(/h must be/);
  });
});
