import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, jacobian, MlpVectorField, NeuralODE, poles, polesAlongTrajectory, stabilityCheck } from '../src/index.js';
import { lcg, mlp64, type Net } from './helpers/ref64.js';

beforeAll(async () => {
  await initBackend();
});

/** Givens rotation G(i, j, θ) of size n (row-major, float64). */
function givens(n: number, i: number, j: number, th: number): number[][] {
  const g: number[][] = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (r === c ? 1 : 0)));
  g[i][i] = Math.cos(th);
  g[j][j] = Math.cos(th);
  g[i][j] = -Math.sin(th);
  g[j][i] = Math.sin(th);
  return g;
}
const mm = (a: number[][], b: number[][]) => a.map((r) => b[0].map((_, c) => r.reduce((s, v, k) => s + v * b[k][c], 0)));
const tr = (a: number[][]) => a[0].map((_, c) => a.map((r) => r[c]));

// J = Q·D·Qᵀ with D = diag(−1, [[−2, 3], [−3, −2]], −0.5): eigenvalues −2 ± 3i, −1, −0.5.
const n = 4;
const D = [
  [-1, 0, 0, 0],
  [0, -2, 3, 0],
  [0, -3, -2, 0],
  [0, 0, 0, -0.5],
];
const Q = mm(mm(givens(n, 0, 1, 0.7), givens(n, 1, 3, -1.1)), givens(n, 2, 3, 0.4));
const J = mm(mm(Q, D), tr(Q));

/** Linear field f(x, u) = x·Jᵀ + u·B + b  (so ∂f/∂x = J), as an MLP with L = 1 and no activation. */
function linearField() {
  const Wt = tr(J); // rows = inputs (x), cols = outputs
  const B = [[0.3, -0.2, 0.1, 0.5]];
  const W = [...Wt, ...B];
  return new MlpVectorField(
    { states: n, inputs: 1, hidden: 1, layers: 1, activation: 'none' },
    {
      weights: [{ rows: n + 1, cols: n, data: Float64Array.from(W.flat()) }],
      biases: [Float64Array.from([0.01, 0.02, 0.03, 0.04])],
    },
  );
}

const sortPoles = (ps: { re: number; im: number }[]) => [...ps].sort((a, b) => a.re - b.re || a.im - b.im);

describe('Jacobian and poles', () => {
  it('linear field: the Jacobian is the (float32) weight matrix transposed, exactly, at every point', () => {
    const f = linearField();
    const Wf = f.getWeights().weights[0]; // float32 values as float64
    const Js = jacobian(
      f,
      [
        [0, 0, 0, 0],
        [1, -2, 3, 0.5],
      ],
      [[0], [2]],
    );
    expect(Js.length).toBe(2);
    for (const Jb of Js) {
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Jb[i * n + j]).toBe(Wf.data[j * n + i]);
    }
    f.dispose();
  });

  it('linear field: poles are the known eigenvalues −2 ± 3i, −1, −0.5', () => {
    const f = linearField();
    const [ps] = poles(f, [[0.3, 0.1, -0.2, 0]], [[1]]);
    const want = sortPoles([
      { re: -2, im: -3 },
      { re: -2, im: 3 },
      { re: -1, im: 0 },
      { re: -0.5, im: 0 },
    ]);
    sortPoles(ps).forEach((p, k) => {
      expect(p.re).toBeCloseTo(want[k].re, 5);
      expect(p.im).toBeCloseTo(want[k].im, 5);
    });
    f.dispose();
  });

  it('nonlinear field: autodiff Jacobian matches float64 central differences of the reference MLP', () => {
    const spec = { states: 3, inputs: 2, hidden: 8, layers: 3, activation: 'tanh' as const };
    const f = new MlpVectorField(spec, undefined, { seed: 17 });
    const w = f.getWeights();
    const net: Net = { n: 3, m: 2, act: 'tanh', W: w.weights, b: w.biases };
    const r = lcg(5);
    const X = Array.from({ length: 3 }, () => [r(), r(), r()]);
    const U = Array.from({ length: 3 }, () => [r(), r()]);
    const Js = jacobian(f, X, U);
    X.forEach((x, b) => {
      for (let j = 0; j < 3; j++) {
        const up = [...x];
        const dn = [...x];
        up[j] += 1e-6;
        dn[j] -= 1e-6;
        const fu = mlp64(net, up, U[b]);
        const fd = mlp64(net, dn, U[b]);
        for (let i = 0; i < 3; i++) expect(Js[b][i * 3 + j]).toBeCloseTo((fu[i] - fd[i]) / 2e-6, 5);
      }
    });
    f.dispose();
  });

  it('poles along a trajectory: a linear field has the same poles at every visited state', () => {
    const f = linearField();
    const ode = new NeuralODE(f, { method: 'rk4', step: 0.1 });
    const x0 = tf.tensor2d([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    const u = tf.tensor3d(Array.from({ length: 3 }, (_, k) => [[k], [-k]]));
    const res = polesAlongTrajectory(ode, x0, u);
    expect(res.poles.length).toBe(3);
    expect(res.poles[0].length).toBe(2);
    expect(Array.from(res.states[0][1])).toEqual([0, 1, 0, 0]);
    const traj = ode.rollout(x0, u).dataSync(); // x_1 … x_3
    expect(Array.from(res.states[2][0])).toEqual(Array.from(traj.slice(8, 12)));
    const ref = sortPoles(res.poles[0][0]);
    for (const pk of res.poles) {
      for (const pb of pk) {
        sortPoles(pb).forEach((p, i) => {
          expect(p.re).toBeCloseTo(ref[i].re, 5);
        });
      }
    }
    tf.dispose([x0, u]);
    f.dispose();
  });
});

describe('stabilityCheck (h·λ in the solver region)', () => {
  it('Euler: |R(hλ)| = |1 + hλ|', () => {
    const ps = [
      { re: -15, im: 0 },
      { re: -25, im: 0 },
      { re: -5, im: 5 },
      { re: -2, im: 12 },
    ];
    const rep = stabilityCheck(ps, { method: 'euler', step: 0.1 });
    expect(rep.hLambda[0]).toEqual({ re: -1.5, im: 0 });
    rep.hLambda.forEach((z, i) => {
      expect(rep.abs[i]).toBeCloseTo(Math.hypot(1 + z.re, z.im), 12);
    });
    expect(rep.inside).toEqual([true, false, true, false]);
  });

  it('midpoint: R(z) = 1 + z + z²/2; the −2 ± 3i pair with h = 1 lies outside, h = 0.5 inside', () => {
    const pair = [
      { re: -2, im: 3 },
      { re: -2, im: -3 },
    ];
    const R = (re: number, im: number) => Math.hypot(1 + re + (re * re - im * im) / 2, im + re * im);
    const big = stabilityCheck(pair, { method: 'midpoint', step: 1 });
    expect(big.abs[0]).toBeCloseTo(R(-2, 3), 12); // |−3.5 − 3i|
    expect(big.inside).toEqual([false, false]);
    const small = stabilityCheck(pair, { method: 'midpoint', step: 0.5 });
    expect(small.abs[1]).toBeCloseTo(0.625, 12); // |1 − 1 + (1 − 2.25)/2|
    expect(small.inside).toEqual([true, true]);
    expect(() => stabilityCheck(pair, { method: 'midpoint', step: -1 })).toThrow(/options\.step must be a finite number > 0, got -1/);
  });
});
