/**
 * LayerNorm on the SIMD kernels (src/simd/layer_norm.ts) against float64: the forward pass and the
 * gradients with respect to x, γ and β (float64 central differences of a float64 LayerNorm), for
 * widths with every remainder of the 4-lane loops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { layerNormSimd } from '../src/simd/layer_norm.js';
import { centralDiffAt, lcg } from './helpers/ref64.js';

const EPS = 1e-5;

const ACT = { none: (v: number) => v, relu: (v: number) => Math.max(0, v), tanh: Math.tanh };
let act: (v: number) => number = ACT.none;

/** Σ w ⊙ act(LayerNorm(x)) in float64 (biased variance, ε inside the root). */
function objective64(x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>, w: ArrayLike<number>, R: number, H: number): number {
  let s = 0;
  for (let r = 0; r < R; r++) {
    let mean = 0;
    for (let j = 0; j < H; j++) mean += x[r * H + j] / H;
    let v = 0;
    for (let j = 0; j < H; j++) v += (x[r * H + j] - mean) ** 2 / H;
    const sd = Math.sqrt(v + EPS);
    for (let j = 0; j < H; j++) s += w[r * H + j] * act(((x[r * H + j] - mean) / sd) * g[j] + b[j]);
  }
  return s;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

describe('layerNormSimd', () => {
  for (const activation of ['none', 'relu', 'tanh'] as const)
    it(`${activation}: value and gradients (x, γ, β) equal float64 LayerNorm and its central differences, every width remainder`, async () => {
      await initBackend({ backend: 'wasm' });
      act = ACT[activation];
      for (const [R, H] of [
        [3, 1],
        [2, 2],
        [3, 3],
        [5, 4],
        [2, 5],
        [3, 7],
        [4, 8],
        [3, 13],
        [2, 128],
      ]) {
        const r = lcg(100 * R + H);
        const x = Float32Array.from({ length: R * H }, (_, i) => 2 * r() + (i % 3));
        const g = Float32Array.from({ length: H }, () => 1 + 0.5 * r());
        const b = Float32Array.from({ length: H }, () => r());
        const w = Float32Array.from({ length: R * H }, () => r());
        const before = tf.memory().numTensors;
        const got = tf.tidy(() => {
          const wt = tf.tensor2d(w, [R, H]);
          const f = (xv: tf.Tensor, gv: tf.Tensor, bv: tf.Tensor) =>
            tf.sum(tf.mul(layerNormSimd(xv as tf.Tensor2D, gv, bv, EPS, activation), wt));
          const value = f(tf.tensor2d(x, [R, H]), tf.tensor1d(g), tf.tensor1d(b)).dataSync()[0];
          const d = tf.grads(f)([tf.tensor2d(x, [R, H]), tf.tensor1d(g), tf.tensor1d(b)]);
          return { value, dx: d[0].dataSync(), dg: d[1].dataSync(), db: d[2].dataSync() };
        });
        expect(tf.memory().numTensors).toBe(before);
        const want = objective64(x, g, b, w, R, H);
        expect(Math.abs(got.value - want), `value R ${R} H ${H}`).toBeLessThan(1e-5 * (1 + Math.abs(want)));
        const dx = centralDiffAt((v) => objective64(v, g, b, w, R, H), x);
        const dg = centralDiffAt((v) => objective64(x, v, b, w, R, H), g);
        const db = centralDiffAt((v) => objective64(x, g, v, w, R, H), b);
        // float32 kernel against float64 differences (truncation error ~1e-10)
        expect(maxAbs(got.dx, dx), `dx R ${R} H ${H}`).toBeLessThan(2e-4);
        expect(maxAbs(got.dg, dg), `dγ R ${R} H ${H}`).toBeLessThan(2e-5);
        expect(maxAbs(got.db, db), `dβ R ${R} H ${H}`).toBeLessThan(2e-5);
      }
    });

  it('γ or β of the wrong width and eps ≤ 0 throw naming the argument', async () => {
    await initBackend({ backend: 'wasm' });
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => layerNormSimd(x, tf.ones([4]), tf.zeros([3]), EPS)).toThrow(/gamma must be \[3\], got \[4\]/);
    expect(() => layerNormSimd(x, tf.ones([3]), tf.zeros([2]), EPS)).toThrow(/beta must be \[3\], got \[2\]/);
    expect(() => layerNormSimd(x, tf.ones([3]), tf.zeros([3]), 0)).toThrow(/eps must be > 0, got 0/);
    expect(() => layerNormSimd(x, tf.ones([3]), tf.zeros([3]), EPS, 'elu' as 'relu')).toThrow(
      /activation must be one of none, relu, tanh, got "elu"/,
    );
  });
});
