/**
 * The weighted softmax cross-entropy kernel (assembly/mlp_kernels.ts: weightedCrossEntropy, both
 * builds) and its tfjs op (src/simd/cross_entropy.ts) against a float64 reference, for class counts
 * and batch sizes with every remainder of the 4-lane loops, and for logits far from zero (the
 * log-sum-exp must subtract the row maximum).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { crossEntropyKernel, weightedCrossEntropySimd } from '../src/simd/cross_entropy.js';
import { createSimdKernels, relaxedSimdSupported, type SimdKernelVariant } from '../src/simd/kernels.js';
import { lcg } from './helpers/ref64.js';

const VARIANTS: SimdKernelVariant[] = relaxedSimdSupported() ? ['plain', 'relaxed'] : ['plain'];

/** Σ_s w_s Σ_b (log Σ_c e^{z_c} − z_y) and its gradient w_s (softmax − onehot), in float64. */
function reference(z: ArrayLike<number>, labels: ArrayLike<number>, w: ArrayLike<number>, [T, B, C]: readonly number[]) {
  const grad = new Float64Array(T * B * C);
  let loss = 0;
  for (let s = 0; s < T; s++) {
    for (let b = 0; b < B; b++) {
      const o = (s * B + b) * C;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, z[o + c]);
      let S = 0;
      for (let c = 0; c < C; c++) S += Math.exp(z[o + c] - m);
      loss += w[s] * (m + Math.log(S) - z[o + labels[b]]);
      for (let c = 0; c < C; c++) grad[o + c] = w[s] * (Math.exp(z[o + c] - m) / S - (c === labels[b] ? 1 : 0));
    }
  }
  return { loss, grad };
}

function problem(T: number, B: number, C: number, seed: number, offset = 0) {
  const sym = lcg(seed); // uniform in [−1, 1)
  const logits = Float32Array.from({ length: T * B * C }, () => offset + 8 * sym());
  const labels = Int32Array.from({ length: B }, () => Math.floor(((sym() + 1) / 2) * C));
  const weights = Float32Array.from({ length: T }, () => 0.6 + 0.5 * sym());
  return { logits, labels, weights };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

describe('weightedCrossEntropy kernel', () => {
  for (const variant of VARIANTS) {
    it(`${variant}: loss and gradient equal the float64 reference for every class-count and batch remainder`, () => {
      const k = createSimdKernels(variant);
      for (const T of [1, 3]) {
        for (const B of [1, 2, 3, 4, 5]) {
          for (const C of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 16, 17]) {
            const { logits, labels, weights } = problem(T, B, C, 1000 * T + 100 * B + C);
            const got = crossEntropyKernel(logits, labels, weights, [T, B, C], k);
            const want = reference(logits, labels, weights, [T, B, C]);
            const wsum = weights.reduce((s, x) => s + x, 0);
            // float32 logits of size ≤ 8: each row's loss to a few float32 ulps of the row's scale
            expect(Math.abs(got.loss - want.loss), `loss T ${T} B ${B} C ${C}`).toBeLessThan(1e-5 * (1 + Math.abs(want.loss)));
            // gradient entries are w·p (p ≤ 1): float32 rounding of e^{z−m}/S
            expect(maxAbsDiff(got.grad, want.grad), `grad T ${T} B ${B} C ${C}`).toBeLessThan(4e-7 * wsum);
            if (C === 1) expect(want.loss).toBe(0);
          }
        }
      }
    });

    it(`${variant}: logits near ±1000 stay finite and exact relative to the row maximum`, () => {
      const k = createSimdKernels(variant);
      for (const offset of [1000, -1000]) {
        const shape = [2, 3, 7] as const;
        const { logits, labels, weights } = problem(...shape, 7, offset);
        const got = crossEntropyKernel(logits, labels, weights, shape, k);
        const want = reference(logits, labels, weights, shape);
        expect(Number.isFinite(got.loss)).toBe(true);
        // |z| ≈ 1000 carries float32 spacing 6e-5 into z − m
        expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-4 * (1 + Math.abs(want.loss)));
        expect(maxAbsDiff(got.grad, want.grad)).toBeLessThan(1e-5);
      }
    });
  }

  it('a hand-worked row: logits (0, ln 3) with label 1 give log(4/3) and gradient (1/4, −1/4)', () => {
    const k = createSimdKernels('plain');
    const got = crossEntropyKernel(Float32Array.from([0, Math.log(3)]), Int32Array.from([1]), Float32Array.from([2]), [1, 1, 2], k);
    expect(got.loss).toBeCloseTo(2 * Math.log(4 / 3), 6);
    expect(Array.from(got.grad)).toEqual([expect.closeTo(0.5, 6), expect.closeTo(-0.5, 6)]);
  });
});

describe('weightedCrossEntropySimd (tfjs op)', () => {
  it('value Σ_s w_s·mean_b CE and gradient w_s/B·(softmax − onehot) equal the float64 reference; no tensor leaks', async () => {
    await initBackend({ backend: 'wasm' });
    const shape = [4, 6, 10] as const;
    const { logits, labels, weights } = problem(...shape, 3);
    const B = shape[1];
    const want = reference(
      logits,
      labels,
      Array.from(weights, (x) => x / B),
      shape,
    );
    const z = tf.tensor3d(logits, [...shape]);
    const g = tf.valueAndGrad((x: tf.Tensor) => tf.mul(weightedCrossEntropySimd(x as tf.Tensor3D, labels, weights), 3));
    const run = () =>
      tf.tidy(() => {
        const r = g(z);
        return { value: r.value.dataSync()[0], grad: r.grad.dataSync().slice() };
      });
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    const { value, grad } = run();
    expect(value).toBeCloseTo(3 * want.loss, 4);
    expect(
      maxAbsDiff(
        grad,
        Array.from(want.grad, (x) => 3 * x),
      ),
    ).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before);
    z.dispose();
  });

  it('bad labels or weights throw naming the argument', async () => {
    await initBackend({ backend: 'wasm' });
    const z = tf.zeros([2, 3, 4]) as tf.Tensor3D;
    expect(() => weightedCrossEntropySimd(z, Int32Array.from([0, 4, 1]), [1, 1])).toThrow(
      /labels\[1\] must be a class index in \[0, 4\), got 4/,
    );
    expect(() => weightedCrossEntropySimd(z, Int32Array.from([0, 1]), [1, 1])).toThrow(
      /labels must have one entry per batch row \(3\), got 2/,
    );
    expect(() => weightedCrossEntropySimd(z, Int32Array.from([0, 1, 2]), [1])).toThrow(/weights must have one entry per step \(2\), got 1/);
    expect(() => weightedCrossEntropySimd(tf.zeros([2, 3]) as unknown as tf.Tensor3D, Int32Array.from([0, 1, 2]), [1])).toThrow(
      /logits must be \[T, B, C\]/,
    );
    z.dispose();
  });
});
