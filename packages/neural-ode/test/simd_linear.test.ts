/**
 * The dense layer on the SIMD kernels (src/simd/linear.ts) against float64 products: forward and the
 * three gradients for row, input and output counts with every remainder of the kernels' register
 * blocks (4 rows × 8 columns) and reductions longer than one block.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { linearSimd } from '../src/simd/linear.js';
import { lcg } from './helpers/ref64.js';

function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-30;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / scale);
  return e;
}

describe('linearSimd', () => {
  it('y = x·W + b and dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ dy equal float64 products for every block remainder', async () => {
    await initBackend({ backend: 'wasm' });
    for (const [R, K, N] of [
      [1, 1, 1],
      [3, 5, 7],
      [5, 9, 13],
      [8, 32, 128],
      [130, 33, 1],
      [7, 300, 17],
      [261, 128, 128],
    ]) {
      const r = lcg(R * 1000 + K * 10 + N);
      const x = Float32Array.from({ length: R * K }, () => r());
      const w = Float32Array.from({ length: K * N }, () => r());
      const b = Float32Array.from({ length: N }, () => r());
      const dy = Float32Array.from({ length: R * N }, () => r());
      const y64 = new Float64Array(R * N);
      const dx64 = new Float64Array(R * K);
      const dw64 = new Float64Array(K * N);
      const db64 = new Float64Array(N);
      for (let i = 0; i < R; i++)
        for (let j = 0; j < N; j++) {
          let s = b[j];
          for (let k = 0; k < K; k++) s += x[i * K + k] * w[k * N + j];
          y64[i * N + j] = s;
          db64[j] += dy[i * N + j];
          for (let k = 0; k < K; k++) {
            dx64[i * K + k] += dy[i * N + j] * w[k * N + j];
            dw64[k * N + j] += x[i * K + k] * dy[i * N + j];
          }
        }
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => {
        const xt = tf.tensor2d(x, [R, K]);
        const wt = tf.tensor2d(w, [K, N]);
        const bt = tf.tensor1d(b);
        const dyt = tf.tensor2d(dy, [R, N]);
        const y = linearSimd(xt, wt, bt).dataSync();
        // Σ dy ⊙ y has gradient dy with respect to y
        const g = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
          tf.sum(tf.mul(linearSimd(a as tf.Tensor2D, c as tf.Tensor2D, d), dyt)),
        )([xt, wt, bt]);
        return { y, dx: g[0].dataSync(), dw: g[1].dataSync(), db: g[2].dataSync() };
      });
      expect(tf.memory().numTensors).toBe(before);
      // float32 sums of K (or R) products of numbers in [−1, 1): relative to the largest entry
      const tol = 2e-6 * Math.sqrt(Math.max(K, R));
      expect(maxRel(got.y, y64), `y ${R}×${K}×${N}`).toBeLessThan(tol);
      expect(maxRel(got.dx, dx64), `dx ${R}×${K}×${N}`).toBeLessThan(tol);
      expect(maxRel(got.dw, dw64), `dW ${R}×${K}×${N}`).toBeLessThan(tol);
      expect(maxRel(got.db, db64), `db ${R}×${K}×${N}`).toBeLessThan(tol);
    }
  });

  it('mismatched shapes throw naming the argument', async () => {
    await initBackend({ backend: 'wasm' });
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => linearSimd(x, tf.zeros([4, 2]) as tf.Tensor2D, tf.zeros([2]))).toThrow(/w must be \[3, N\], got \[4, 2\]/);
    expect(() => linearSimd(x, tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([3]))).toThrow(/b must be \[2\], got \[3\]/);
  });
});
