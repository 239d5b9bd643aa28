import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, MlpVectorField, NeuralODE, odeintTensor, odeintTensorDetailed, SampledInput } from '../src/index.js';
import { lcg, mlp64, type Net, relErr, rkStep64, TABLEAUX } from './helpers/ref64.js';

beforeAll(async () => {
  await initBackend();
});

// dy/dt = A y (row vectors: y·Aᵀ), eigenvalues −0.5 ± 2i; y(t) = e^{−t/2}[cos 2t, −sin 2t] from [1, 0].
const A_T = [
  [-0.5, -2],
  [2, -0.5],
];
const linear = (_t: number, y: tf.Tensor) => tf.matMul(y, tf.tensor2d(A_T));
const exact = (t: number) => [Math.exp(-t / 2) * Math.cos(2 * t), -Math.exp(-t / 2) * Math.sin(2 * t)];

function errorAt(method: string, h: number, T: number): number {
  const y = odeintTensor(linear, tf.tensor2d([[1, 0]]), [0, T], { method, step: h, adaptive: false });
  const got = y.dataSync().slice(2);
  y.dispose();
  const want = exact(T);
  return Math.hypot(got[0] - want[0], got[1] - want[1]);
}

describe('fixed grid (torchdiffeq semantics)', () => {
  it('outputs between grid points are linear interpolations of the grid solution', () => {
    // Euler on y' = −y, h = 0.25: grid values 0.75^k
    const y = odeintTensor((_t, v) => tf.neg(v), [1], [0, 0.1, 0.6, 1], { method: 'euler', step: 0.25 });
    const v = Array.from(y.dataSync());
    expect(y.shape).toEqual([4, 1]);
    expect(v[0]).toBe(1);
    expect(v[1]).toBeCloseTo(1 + (0.75 - 1) * 0.4, 6);
    expect(v[2]).toBeCloseTo(0.5625 + (0.421875 - 0.5625) * 0.4, 6);
    expect(v[3]).toBeCloseTo(0.75 ** 4, 6);
    y.dispose();
  });
});

describe('fixed-step convergence order on a linear ODE with known solution', () => {
  // steps chosen so that truncation error dominates float32 round-off
  // [method, order, step, end time, slack above the order]
  const cases: Array<[string, number, number, number, number]> = [
    ['euler', 1, 0.02, 2, 0.4],
    ['midpoint', 2, 0.1, 2, 0.4],
    ['heun', 2, 0.1, 2, 0.4],
    ['ralston', 2, 0.1, 2, 0.4],
    ['kutta3', 3, 0.2, 2, 0.4],
    ['heun3', 3, 0.2, 2, 0.4],
    ['ssprk3', 3, 0.2, 2, 0.4],
    ['rk4', 4, 0.25, 2, 0.4],
    ['rk38', 4, 0.25, 2, 0.4],
    ['bosh3', 3, 0.2, 2, 0.4],
    ['dopri5', 5, 0.25, 4, 0.4],
    // Tsitouras' pair: R(z) matches e^z almost to z⁶, so on a linear ODE it converges like order ~6.
    ['tsit5', 5, 0.5, 4, 1.3],
  ];
  for (const [method, p, h, T, slack] of cases) {
    it(`${method}: observed order ≈ ${p}`, () => {
      const e1 = errorAt(method, h, T);
      const e2 = errorAt(method, h / 2, T);
      const observed = Math.log2(e1 / e2);
      expect(observed).toBeGreaterThan(p - 0.3);
      expect(observed).toBeLessThan(p + slack);
    });
  }
});

describe('NeuralODE', () => {
  const spec = { states: 3, inputs: 2, hidden: 6, layers: 2, activation: 'tanh' as const };
  for (const method of Object.keys(TABLEAUX)) {
    it(`${method}: step() equals an independent float64 Butcher step with the input held constant`, () => {
      const field = new MlpVectorField(spec, undefined, { seed: method });
      const w = field.getWeights();
      const net: Net = { n: 3, m: 2, act: 'tanh', W: w.weights, b: w.biases };
      const r = lcg(9);
      const X = Array.from({ length: 4 }, () => [r(), r(), r()]);
      const U = Array.from({ length: 4 }, () => [r(), r()]);
      const ode = new NeuralODE(field, { method, step: 0.3 });
      const got = ode.step(tf.tensor2d(X), tf.tensor2d(U)).dataSync();
      const want = X.flatMap((x, b) => Array.from(rkStep64((y) => mlp64(net, y, U[b]), Float64Array.from(x), 0.3, TABLEAUX[method])));
      expect(relErr(got, want)).toBeLessThan(1e-6);
      field.dispose();
    });
  }

  it('rollout = repeated steps; includeInitial prepends x0; autonomous fields take a step count', () => {
    const field = new MlpVectorField(spec, undefined, { seed: 2 });
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const x0 = tf.tensor2d([[0.1, 0.2, 0.3]]);
    const u = tf.tensor3d([[[1, 0]], [[0, 1]], [[-1, 0.5]]]);
    const traj = ode.rollout(x0, u, { includeInitial: true });
    expect(traj.shape).toEqual([4, 1, 3]);
    let x: tf.Tensor2D = x0;
    for (let k = 0; k < 3; k++) x = ode.step(x, tf.tensor2d([u.arraySync()[k][0]]));
    expect(relErr(traj.dataSync().slice(9), x.dataSync())).toBeLessThan(1e-7);
    expect(Array.from(traj.dataSync().slice(0, 3))).toEqual(Array.from(x0.dataSync()));
    const auto = new MlpVectorField({ ...spec, inputs: 0 }, undefined, { seed: 3 });
    expect(new NeuralODE(auto, { method: 'rk4', step: 0.1 }).rollout(x0, 5).shape).toEqual([5, 1, 3]);
    field.dispose();
    auto.dispose();
  });
});

describe('adaptive stepping', () => {
  const grid = Array.from({ length: 41 }, (_, k) => k * 0.05);
  for (const [method, tol] of [
    ['dopri5', 1e-6],
    ['bosh3', 1e-5],
    ['adaptive_heun', 1e-5],
  ] as const) {
    it(`${method}: error at 41 output times (dense output) stays within a small multiple of the tolerance`, () => {
      const { y, stats } = odeintTensorDetailed(linear, tf.tensor2d([[1, 0]]), grid, { method, rtol: tol, atol: tol / 10 });
      const v = y.dataSync();
      let maxErr = 0;
      grid.forEach((t, k) => {
        const w = exact(t);
        maxErr = Math.max(maxErr, Math.abs(v[2 * k] - w[0]), Math.abs(v[2 * k + 1] - w[1]));
      });
      expect(maxErr).toBeLessThan(30 * tol);
      expect(stats.accepted).toBeGreaterThan(1);
      // the outputs are not all grid points of the stepper: fewer steps than outputs for dopri5
      if (method === 'dopri5') expect(stats.accepted).toBeLessThan(grid.length - 1);
      const tighter = odeintTensorDetailed(linear, tf.tensor2d([[1, 0]]), grid, { method, rtol: tol / 10, atol: tol / 100 });
      expect(tighter.stats.accepted).toBeGreaterThan(stats.accepted);
      tf.dispose([y, tighter.y]);
    });
  }

  it('gradients flow through the accepted steps: d y(T)/da = T·e^{aT} for y′ = a·y', () => {
    const a = tf.variable(tf.scalar(-0.7));
    const T = 2;
    const { value, grads } = tf.variableGrads(() => {
      const y = odeintTensor((_t, v) => tf.mul(v, a), [1], [0, 1.3, T], { method: 'dopri5', rtol: 1e-6, atol: 1e-8 });
      return tf.sum(tf.slice(y, [2, 0], [1, 1])) as tf.Scalar;
    }, [a]);
    expect(value.dataSync()[0]).toBeCloseTo(Math.exp(-0.7 * T), 5);
    expect(Math.abs(grads[a.name].dataSync()[0] - T * Math.exp(-0.7 * T)) / (T * Math.exp(-0.7 * T))).toBeLessThan(1e-3);
    tf.dispose([value, grads[a.name], a]);
  });

  it('does not leak tensors', () => {
    const before = tf.memory().numTensors;
    const y = odeintTensor(linear, tf.tensor2d([[1, 0]]), [0, 0.5, 1], { method: 'dopri5' });
    const z = odeintTensor(linear, tf.tensor2d([[1, 0]]), [0, 0.35, 1], { method: 'rk4', step: 0.1 });
    tf.dispose([y, z]);
    // the two y0 tensors and the matrices created inside `linear` under tidy: only y0s remain
    expect(tf.memory().numTensors).toBe(before + 2);
  });

  it('drives a vector field with a sampled input: dx/dt = −x + u, u(t) = t (linear samples)', () => {
    // L = 1, no activation: f = [x, u]·W + b with W = [[−1], [1]], b = 0
    const field = new MlpVectorField(
      { states: 1, inputs: 1, hidden: 1, layers: 1, activation: 'none' },
      {
        weights: [{ rows: 2, cols: 1, data: Float64Array.from([-1, 1]) }],
        biases: [Float64Array.from([0])],
      },
    );
    const input = new SampledInput([0, 1, 2, 3], [[0], [1], [2], [3]], { interpolation: 'linear' });
    const ts = [0, 0.5, 1.5, 3];
    const y = odeintTensor(field, tf.tensor2d([[2]]), ts, { method: 'dopri5', input, rtol: 1e-6, atol: 1e-8 });
    const v = y.dataSync();
    // x0 = 2
    ts.forEach((t, k) => {
      expect(v[k]).toBeCloseTo(t - 1 + 3 * Math.exp(-t), 4);
    });
    tf.dispose(y);
    input.dispose();
    field.dispose();
  });
});
