/**
 * The training step's tail on the SIMD kernels (src/simd/optimizer.ts) against float64 references of
 * torch's rules: Adam and NAdam over several steps with global-norm clipping on and off, the mean
 * squared error and its gradient, for sizes with every remainder of the 4-lane loops; and the whole
 * step on the kernels (src/simd/train_step.ts) against the tfjs path over several steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fastRollout, initBackend, MlpVectorField, NeuralODE } from '../src/index.js';
import { SimdMomentOptimizer } from '../src/simd/optimizer.js';
import { SimdTrainStep } from '../src/simd/train_step.js';
import { lcg } from './helpers/ref64.js';

/** torch.optim.Adam / NAdam with clip_grad_norm_, in float64. */
function reference(method: 'adam' | 'nadam', theta0: number[], grads: number[][], o: { lr: number; clipNorm?: number }) {
  const [b1, b2, eps, psi] = [0.9, 0.999, 1e-8, 4e-3];
  const theta = theta0.slice();
  const m = theta.map(() => 0);
  const v = theta.map(() => 0);
  let muProduct = 1;
  const norms: number[] = [];
  grads.forEach((g0, i) => {
    const t = i + 1;
    const norm = Math.sqrt(g0.reduce((s, x) => s + x * x, 0));
    norms.push(norm);
    const f = o.clipNorm === undefined ? 1 : Math.min(1, o.clipNorm / (norm + 1e-6));
    const g = g0.map((x) => x * f);
    const bc2 = 1 - b2 ** t;
    let cg = 0;
    let cm = o.lr / (1 - b1 ** t);
    if (method === 'nadam') {
      const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
      const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
      muProduct *= mu;
      cg = (o.lr * (1 - mu)) / (1 - muProduct);
      cm = (o.lr * muNext) / (1 - muProduct * muNext);
    }
    for (let j = 0; j < theta.length; j++) {
      m[j] = b1 * m[j] + (1 - b1) * g[j];
      v[j] = b2 * v[j] + (1 - b2) * g[j] ** 2;
      theta[j] = theta[j] - (cg * g[j] + cm * m[j]) / (Math.sqrt(v[j] / bc2) + eps);
    }
  });
  return { theta, m, v, norms };
}

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

function maxErr(got: ArrayLike<number>, want: ArrayLike<number>, scale: number): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / scale);
  return e;
}

describe('SimdMomentOptimizer', () => {
  it("Adam's first step moves every parameter by lr against its gradient's sign (m̂ = g, v̂ = g²)", () => {
    const theta = Float32Array.from([0.5, -1, 2, 0, 3]);
    const opt = new SimdMomentOptimizer(theta, { method: 'adam', learningRate: 0.01 });
    opt.step(Float32Array.from([3, -0.2, 1e-3, -7, 40]));
    const want = [0.49, -0.99, 1.99, 0.01, 2.99];
    // |g| ≫ ε: the step is lr·g/(|g| + ε) = lr to float32 rounding of θ
    expect(maxErr(opt.params, want, 1)).toBeLessThan(4e-7);
  });

  for (const method of ['adam', 'nadam'] as const) {
    for (const clipNorm of [undefined, 0.5]) {
      it(`${method}${clipNorm ? `, clipNorm ${clipNorm}` : ''}: 6 steps equal torch's rule in float64 (float32 tolerance), every remainder`, () => {
        for (const size of [1, 3, 4, 7, 37, 1000]) {
          const r = lcg(size + (clipNorm ? 100 : 0));
          const theta0 = f32(Array.from({ length: size }, () => 2 * r() - 1));
          // gradients of decreasing size: clipping acts on the first steps only
          const grads = Array.from({ length: 6 }, (_, i) => f32(Array.from({ length: size }, () => (2 * r() - 1) * 2 ** (2 - i))));
          const lr = 0.05;
          const opt = new SimdMomentOptimizer(Float32Array.from(theta0), { method, learningRate: lr, clipNorm });
          const norms = grads.map((g) => opt.step(Float32Array.from(g)).norm);
          const ref = reference(method, theta0, grads, { lr, clipNorm });
          expect(opt.iterations).toBe(6);
          expect(maxErr(norms, ref.norms, Math.max(...ref.norms)), `norms, size ${size}`).toBeLessThan(1e-6);
          // each step moves θ by at most ~lr; float32 rounding of the moments and the update per step
          expect(maxErr(opt.params, ref.theta, lr), `θ, size ${size}`).toBeLessThan(2e-5);
          const { m, v } = opt.moments;
          expect(maxErr(m, ref.m, Math.max(...ref.m.map(Math.abs))), `m, size ${size}`).toBeLessThan(2e-6);
          expect(maxErr(v, ref.v, Math.max(...ref.v))).toBeLessThan(2e-6);
          if (clipNorm !== undefined) expect(ref.norms[0]).toBeGreaterThan(clipNorm); // clipping was active
        }
      });
    }
  }

  it('mse: mean squared error and its gradient 2(pred − target)/n, every remainder', () => {
    const opt = new SimdMomentOptimizer(new Float32Array(1), { method: 'adam' });
    for (const n of [1, 5, 8, 103]) {
      const r = lcg(n);
      const pred = Float32Array.from({ length: n }, () => 3 * r() - 1);
      const target = Float32Array.from({ length: n }, () => r());
      const { loss, grad } = opt.mse(pred, target);
      const d = Array.from(pred, (p, i) => p - target[i]);
      const want = d.reduce((s, x) => s + x * x, 0) / n;
      expect(Math.abs(loss - want)).toBeLessThan(1e-6 * want);
      expect(
        maxErr(
          grad,
          d.map((x) => (2 * x) / n),
          2 / n,
        ),
      ).toBeLessThan(1e-6);
    }
  });

  it('bad arguments throw errors naming them and the value', () => {
    expect(() => new SimdMomentOptimizer(new Float32Array(0), { method: 'adam' })).toThrow(/params must be a non-empty Float32Array/);
    expect(() => new SimdMomentOptimizer(new Float32Array(2), { method: 'sgd' as 'adam' })).toThrow(
      /options.method must be 'adam' or 'nadam', got sgd/,
    );
    expect(() => new SimdMomentOptimizer(new Float32Array(2), { method: 'adam', beta1: 1 })).toThrow(
      /options.beta1 must be in \[0, 1\), got 1/,
    );
    expect(() => new SimdMomentOptimizer(new Float32Array(2), { method: 'nadam', clipNorm: 0 })).toThrow(
      /options.clipNorm must be a finite number > 0, got 0/,
    );
    const opt = new SimdMomentOptimizer(new Float32Array(2), { method: 'adam' });
    expect(() => opt.step(new Float32Array(3))).toThrow(/grad must be a Float32Array of 2 values, got 3/);
    expect(() => opt.mse(new Float32Array(2), new Float32Array(3))).toThrow(/same non-zero length, got 2 and 3/);
  });
});

describe('SimdTrainStep: a whole training step on the SIMD kernels', () => {
  /** The tfjs reference: fastRollout (tfjs engine) + MSE + clip_grad_norm_ + Adam/NAdam with tf ops. */
  function tfjsSteps(
    ode: NeuralODE,
    x0: tf.Tensor2D,
    target: tf.Tensor,
    inputs: tf.Tensor3D | number,
    output: 'all' | 'final',
    steps: number,
    o: { lr: number; clipNorm: number; method: 'adam' | 'nadam' },
  ) {
    const vars = ode.field.variables;
    const m: tf.Tensor[] = vars.map((v) => tf.zerosLike(v));
    const v2: tf.Tensor[] = vars.map((v) => tf.zerosLike(v));
    const [b1, b2, eps, psi] = [0.9, 0.999, 1e-8, 4e-3];
    let muProduct = 1;
    const losses: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const { value, grads } = tf.variableGrads(
        () => tf.mean(tf.squaredDifference(fastRollout(ode, x0, inputs, { output, engine: 'tfjs' }), target)) as tf.Scalar,
        vars,
      );
      losses.push(value.dataSync()[0]);
      const gs = vars.map((v) => grads[v.name]);
      const norm = Math.sqrt(gs.reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0], 0));
      const f = Math.min(1, o.clipNorm / (norm + 1e-6));
      let cg = 0;
      let cm = o.lr / (1 - b1 ** t);
      if (o.method === 'nadam') {
        const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
        const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
        muProduct *= mu;
        cg = (o.lr * (1 - mu)) / (1 - muProduct);
        cm = (o.lr * muNext) / (1 - muProduct * muNext);
      }
      vars.forEach((v, i) => {
        const [mi, vi] = tf.tidy(() => {
          const g = tf.mul(gs[i], f);
          const mNew = tf.add(tf.mul(m[i], b1), tf.mul(g, 1 - b1));
          const vNew = tf.add(tf.mul(v2[i], b2), tf.mul(tf.square(g), 1 - b2));
          const denom = tf.add(tf.sqrt(tf.mul(vNew, 1 / (1 - b2 ** t))), eps);
          v.assign(tf.sub(v, tf.div(tf.add(tf.mul(g, cg), tf.mul(mNew, cm)), denom)));
          return [mNew, vNew];
        });
        tf.dispose([m[i], v2[i]]);
        m[i] = mi;
        v2[i] = vi;
      });
      tf.dispose([value, ...gs]);
    }
    tf.dispose([...m, ...v2]);
    return losses;
  }

  for (const [method, output, act, m, uBatch1] of [
    ['adam', 'final', 'silu', 0, false],
    ['nadam', 'all', 'elu', 0, false],
    ['nadam', 'all', 'elu', 2, false],
    ['adam', 'final', 'tanh', 1, true],
  ] as const) {
    const withInputs = m > 0 ? `, ${m} inputs${uBatch1 ? ' (one sequence)' : ''}` : '';
    it(`${method}, loss on ${output} states, ${act}${withInputs}: 5 steps equal the tfjs path (losses and weights, float32 tolerance)`, async () => {
      await initBackend();
      const spec = { states: 3, inputs: m, hidden: 19, layers: 3, activation: act };
      const [B, T, lr, clipNorm] = [6, 5, 0.01, 0.3];
      const a = new MlpVectorField(spec, undefined, { seed: 4 });
      const b = new MlpVectorField(spec, a.getWeights());
      const odeA = new NeuralODE(a, { method: 'rk4', step: 0.2 });
      const odeB = new NeuralODE(b, { method: 'rk4', step: 0.2 });
      const r = lcg(9);
      const x0 = Float32Array.from({ length: B * 3 }, () => 2 * r() - 1);
      const target = Float32Array.from({ length: (output === 'all' ? T : 1) * B * 3 }, () => r());
      const uB = uBatch1 ? 1 : B;
      const u = m > 0 ? Float32Array.from({ length: T * uB * m }, () => 2 * r() - 1) : undefined;
      const simd = new SimdTrainStep(odeA, { method, learningRate: lr, clipNorm, batch: B, steps: T, output, inputBatch: uB });
      const results = Array.from({ length: 5 }, () => simd.step(x0, target, u));
      const simdLosses = results.map((x) => x.loss);
      expect(results[0].norm).toBeGreaterThan(clipNorm); // the clipping acts
      simd.writeBack();
      const x0t = tf.tensor2d(x0, [B, 3]);
      const targetT = output === 'all' ? tf.tensor3d(target, [T, B, 3]) : tf.tensor2d(target, [B, 3]);
      const ut = u ? tf.tensor3d(u, [T, uB, m]) : null;
      const refLosses = tfjsSteps(odeB, x0t, targetT, ut ?? T, output, 5, { lr, clipNorm, method });
      simdLosses.forEach((l, i) => {
        expect(Math.abs(l - refLosses[i]), `loss ${i}`).toBeLessThan(1e-5 * refLosses[i]);
      });
      expect(refLosses[4]).toBeLessThan(refLosses[0]);
      a.variables.forEach((v, i) => {
        // Adam steps are ±lr-sized whatever the gradient's scale: compare in units of lr
        expect(maxErr(v.dataSync(), b.variables[i].dataSync(), lr), `variable ${i}`).toBeLessThan(1e-3);
      });
      tf.dispose([x0t, targetT, ...(ut ? [ut] : [])]);
      a.dispose();
      b.dispose();
    });
  }

  it('bad arguments throw errors naming them', async () => {
    await initBackend();
    const field = new MlpVectorField({ states: 2, inputs: 0, hidden: 4, layers: 2, activation: 'elu' });
    const ode = new NeuralODE(field, { method: 'euler', step: 0.1 });
    expect(() => new SimdTrainStep(ode, { method: 'adam', batch: 0, steps: 2, output: 'final' })).toThrow(
      /options.batch must be an integer >= 1, got 0/,
    );
    expect(() => new SimdTrainStep(ode, { method: 'adam', batch: 3, steps: 2, output: 'final', inputBatch: 2 })).toThrow(
      /options.inputBatch must be the batch or 1, got 2/,
    );
    const s = new SimdTrainStep(ode, { method: 'adam', batch: 2, steps: 2, output: 'final' });
    expect(() => s.step(new Float32Array(3), new Float32Array(4))).toThrow(/x0 must hold 4 values, got 3/);
    expect(() => s.step(new Float32Array(4), new Float32Array(5))).toThrow(/target must hold 4 values, got 5/);
    field.dispose();
  });
});
