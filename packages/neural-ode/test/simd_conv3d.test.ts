/**
 * The SIMD 3-D convolution and BatchNorm ops (src/simd/conv3d.ts) against float64: a direct float64
 * convolution written from the definition, a float64 BatchNorm (batch statistics, biased variance)
 * and SiLU, and float64 central differences of Σ r ⊙ op(inputs) for every gradient. Shapes cover
 * every block/remainder of the kernels: output widths with Wo mod 4 ∈ {0, 1, 2, 3}, channel counts
 * 1..9 and 16 (8- and 4-lane blocks and partial blocks; the channel pairs the kernels specialise:
 * 8→8, 8→16, 16→16, 16→8), the latent model's paddings (3×3×3 pad 1,
 * 1×3×3 pad (0, 1, 1)), no padding and an uneven kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor5D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import {
  batchNormActSimd,
  conv3dSimd,
  convBnActSimd,
  depthToSpaceBiasSimd,
  groupNormReluSimd,
  matMulSimd,
  maxPool3d2Simd,
  type Triple,
} from '../src/simd/conv3d.js';
import { auxKernels } from '../src/simd/aux_kernels.js';
import { centralDiffAt, lcg, scaledErr } from './helpers/ref64.js';

const EPS = 1e-5;
type S5 = [number, number, number, number, number];

/** Direct stride-1 convolution in float64 from the definition (zero padding outside x). */
function conv64(
  x: ArrayLike<number>,
  xs: S5,
  w: ArrayLike<number>,
  ws: S5,
  pad: Triple,
  b: ArrayLike<number> | null,
): { y: Float64Array; ys: S5 } {
  const [N, D, H, W, Ci] = xs;
  const [kd, kh, kw, , Co] = ws;
  const ys: S5 = [N, D + 2 * pad[0] - kd + 1, H + 2 * pad[1] - kh + 1, W + 2 * pad[2] - kw + 1, Co];
  const y = new Float64Array(ys.reduce((p, q) => p * q, 1));
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let d = 0; d < ys[1]; d++)
      for (let h = 0; h < ys[2]; h++)
        for (let q = 0; q < ys[3]; q++)
          for (let co = 0; co < Co; co++, o++) {
            let s = b ? b[co] : 0;
            for (let a = 0; a < kd; a++)
              for (let bb = 0; bb < kh; bb++)
                for (let c = 0; c < kw; c++) {
                  const di = d + a - pad[0];
                  const hi = h + bb - pad[1];
                  const wi = q + c - pad[2];
                  if (di < 0 || di >= D || hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
                  for (let ci = 0; ci < Ci; ci++)
                    s += x[(((n * D + di) * H + hi) * W + wi) * Ci + ci] * w[(((a * kh + bb) * kw + c) * Ci + ci) * Co + co];
                }
            y[o] = s;
          }
  return { y, ys };
}

const silu64 = (v: number) => v / (1 + Math.exp(-v));

/** BatchNorm over the rows of z [M, C] (batch statistics, biased variance), then SiLU or nothing. */
function bn64(z: ArrayLike<number>, C: number, g: ArrayLike<number>, b: ArrayLike<number>, silu: boolean): Float64Array {
  const M = z.length / C;
  const out = new Float64Array(z.length);
  for (let c = 0; c < C; c++) {
    let mean = 0;
    for (let m = 0; m < M; m++) mean += z[m * C + c] / M;
    let v = 0;
    for (let m = 0; m < M; m++) v += (z[m * C + c] - mean) ** 2 / M;
    const r = 1 / Math.sqrt(v + EPS);
    for (let m = 0; m < M; m++) {
      const u = (z[m * C + c] - mean) * r * g[c] + b[c];
      out[m * C + c] = silu ? silu64(u) : u;
    }
  }
  return out;
}

/** The conv tests' step 1e-5 (their sums are larger than the layer-norm tests'). */
const centralDiff = (f: (v: Float64Array) => number, v0: ArrayLike<number>) => centralDiffAt(f, v0, 1e-5);

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Float32-representable random values in [lo, hi). */
function values(n: number, rng: () => number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(lo + ((rng() + 1) / 2) * (hi - lo)));
}

/** Value and gradients of Σ r ⊙ op(inputs) from the tfjs op. */
function opGrads(op: (...t: Tensor[]) => Tensor, inputs: Tensor[], r: Float64Array): { y: Float32Array; grads: Float32Array[] } {
  const { y, shape } = tf.tidy(() => {
    const v = op(...inputs);
    return { y: v.dataSync() as Float32Array, shape: v.shape };
  });
  const rt = tf.tensor(Float32Array.from(r), shape);
  const grads = tf.tidy(() =>
    tf
      .grads((...t: Tensor[]) => tf.sum(tf.mul(op(...t), rt)))(inputs)
      .map((g) => g.dataSync() as Float32Array),
  );
  rt.dispose();
  return { y, grads };
}

interface Case {
  x: S5;
  kernel: Triple;
  pad: Triple;
  Co: number;
}

// Wo = W + 2pw − kw + 1: 7 (4 + 3), 5 (4 + 1), 6 (4 + 2), 4, 8, 1; channels 1..9 and 16.
const CASES: Case[] = [
  { x: [2, 3, 4, 7, 3], kernel: [3, 3, 3], pad: [1, 1, 1], Co: 8 },
  { x: [1, 4, 3, 5, 8], kernel: [3, 3, 3], pad: [1, 1, 1], Co: 16 },
  { x: [2, 2, 3, 6, 5], kernel: [1, 3, 3], pad: [0, 1, 1], Co: 3 },
  { x: [1, 2, 5, 4, 9], kernel: [1, 3, 3], pad: [0, 1, 1], Co: 9 },
  { x: [1, 3, 3, 8, 4], kernel: [1, 3, 3], pad: [0, 1, 1], Co: 5 },
  { x: [2, 3, 4, 3, 2], kernel: [3, 3, 3], pad: [0, 0, 0], Co: 7 },
  { x: [1, 3, 4, 6, 6], kernel: [2, 1, 3], pad: [1, 0, 2], Co: 12 },
  { x: [1, 2, 2, 2, 1], kernel: [1, 2, 2], pad: [0, 0, 1], Co: 1 },
  { x: [1, 2, 3, 5, 7], kernel: [2, 2, 2], pad: [1, 1, 1], Co: 6 },
  // The channel pairs the kernels specialise (8→8, 16→16, 16→8; 8→16 above).
  { x: [1, 3, 3, 5, 8], kernel: [3, 3, 3], pad: [1, 1, 1], Co: 8 },
  { x: [1, 2, 3, 6, 16], kernel: [1, 3, 3], pad: [0, 1, 1], Co: 16 },
  { x: [1, 2, 3, 7, 16], kernel: [2, 2, 2], pad: [1, 0, 1], Co: 8 },
];

const name = (c: Case) => `x [${c.x}], kernel [${c.kernel}], pad [${c.pad}], Cout ${c.Co}`;

describe('conv3dSimd', () => {
  for (const c of CASES)
    it(`${name(c)}: value and gradients (x, w, bias) equal float64 convolution and central differences`, async () => {
      await initBackend({ backend: 'wasm' });
      const rng = lcg(17 + c.Co);
      const ws: S5 = [...c.kernel, c.x[4], c.Co];
      const x = values(
        c.x.reduce((p, q) => p * q, 1),
        rng,
      );
      const w = values(
        ws.reduce((p, q) => p * q, 1),
        rng,
        -0.5,
        0.5,
      );
      const b = values(c.Co, rng);
      const { y: y64, ys } = conv64(x, c.x, w, ws, c.pad, b);
      const r = values(y64.length, rng);
      const before = tf.memory().numTensors;
      const xt = tf.tensor5d(Float32Array.from(x), c.x);
      const wt = tf.tensor5d(Float32Array.from(w), ws);
      const bt = tf.tensor1d(Float32Array.from(b));
      const out = opGrads((xx, ww, bb) => conv3dSimd(xx as Tensor5D, ww as Tensor5D, bb, c.pad), [xt, wt, bt], r);
      const conv = tf.tidy(() => conv3dSimd(xt, wt, bt, c.pad).shape);
      expect(conv).toEqual(ys);
      expect(scaledErr(out.y, y64)).toBeLessThan(1e-6);
      const f = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>) => dot(conv64(xx, c.x, ww, ws, c.pad, bb).y, r);
      expect(
        scaledErr(
          out.grads[0],
          centralDiff((v) => f(v, w, b), x),
        ),
      ).toBeLessThan(1e-5);
      expect(
        scaledErr(
          out.grads[1],
          centralDiff((v) => f(x, v, b), w),
        ),
      ).toBeLessThan(1e-5);
      expect(
        scaledErr(
          out.grads[2],
          centralDiff((v) => f(x, w, v), b),
        ),
      ).toBeLessThan(1e-5);
      // Without a bias: the same products, no bias gradient.
      const nb = opGrads((xx, ww) => conv3dSimd(xx as Tensor5D, ww as Tensor5D, null, c.pad), [xt, wt], r);
      expect(scaledErr(nb.y, conv64(x, c.x, w, ws, c.pad, null).y)).toBeLessThan(1e-6);
      expect(nb.grads).toHaveLength(2);
      tf.dispose([xt, wt, bt]);
      expect(tf.memory().numTensors).toBe(before);
    });

  // The kernel gradient sums over chunks of ~256 output positions (256 / Wo rows): shapes with
  // several chunks and a partial last one, the generic and a specialised channel pair.
  for (const c of [
    { x: [2, 4, 9, 5, 3], kernel: [3, 3, 3], pad: [1, 1, 1], Co: 5 },
    { x: [1, 2, 20, 12, 8], kernel: [1, 3, 3], pad: [0, 1, 1], Co: 8 },
  ] as Case[])
    it(`${name(c)}: the kernel gradient over several row chunks equals central differences`, async () => {
      await initBackend({ backend: 'wasm' });
      const rng = lcg(7 + c.Co);
      const ws: S5 = [...c.kernel, c.x[4], c.Co];
      const x = values(
        c.x.reduce((p, q) => p * q, 1),
        rng,
      );
      const w = values(
        ws.reduce((p, q) => p * q, 1),
        rng,
        -0.5,
        0.5,
      );
      const { y: y64 } = conv64(x, c.x, w, ws, c.pad, null);
      const r = values(y64.length, rng);
      const [xt, wt] = [tf.tensor5d(Float32Array.from(x), c.x), tf.tensor5d(Float32Array.from(w), ws)];
      const out = opGrads((xx, ww) => conv3dSimd(xx as Tensor5D, ww as Tensor5D, null, c.pad), [xt, wt], r);
      // conv64 is linear in w: Σ r ⊙ y(w) has the exact gradient Σ_positions x·r, which differences reproduce.
      expect(
        scaledErr(
          out.grads[1],
          centralDiff((v) => dot(conv64(x, c.x, v, ws, c.pad, null).y, r), w),
        ),
      ).toBeLessThan(1e-5);
      tf.dispose([xt, wt]);
    });

  it('names the argument and the offending shape on bad input', async () => {
    await initBackend({ backend: 'wasm' });
    tf.tidy(() => {
      const x = tf.zeros([1, 2, 3, 4, 3]) as Tensor5D;
      expect(() => conv3dSimd(x, tf.zeros([1, 3, 3, 4, 2]) as Tensor5D, null, [0, 1, 1])).toThrow(
        /x has 3 channels but the kernel expects 4/,
      );
      expect(() => conv3dSimd(x, tf.zeros([1, 3, 3, 3, 2]) as Tensor5D, null, [0, 3, 1])).toThrow(
        /pad\[1\] must be an integer in \[0, 2\], got 3/,
      );
      expect(() => conv3dSimd(x, tf.zeros([1, 3, 3, 3, 2]) as Tensor5D, tf.zeros([3]), [0, 1, 1])).toThrow(/bias must be \[2\]/);
      expect(() => conv3dSimd(tf.zeros([2, 3]) as unknown as Tensor5D, tf.zeros([1, 3, 3, 3, 2]) as Tensor5D, null, [0, 1, 1])).toThrow(
        /x must be \[N, D, H, W, C\], got shape \[2,3\]/,
      );
    });
  });
});

describe('batchNormActSimd and convBnActSimd', () => {
  for (const act of ['silu', 'none'] as const)
    for (const C of [1, 3, 4, 6, 8, 9])
      it(`batchNormActSimd ${act}, ${C} channels: value, batch statistics and gradients (x, γ, β) equal float64`, async () => {
        await initBackend({ backend: 'wasm' });
        const rng = lcg(5 + C);
        const shape: S5 = [2, 1, 3, 5, C];
        const M = 30;
        const x = values(M * C, rng, -2, 3);
        const g = values(C, rng, 0.5, 1.5);
        const b = values(C, rng, -0.5, 0.5);
        const r = values(M * C, rng);
        const before = tf.memory().numTensors;
        const [xt, gt, bt] = [
          tf.tensor5d(Float32Array.from(x), shape),
          tf.tensor1d(Float32Array.from(g)),
          tf.tensor1d(Float32Array.from(b)),
        ];
        let stats: { mean: Float32Array; variance: Float32Array; count: number } | null = null;
        const out = opGrads((xx, gg, bb) => batchNormActSimd(xx, gg, bb, act, EPS, (s) => (stats = s)), [xt, gt, bt], r);
        const silu = act === 'silu';
        expect(scaledErr(out.y, bn64(x, C, g, b, silu))).toBeLessThan(2e-6);
        const f = (xx: ArrayLike<number>, gg: ArrayLike<number>, bb: ArrayLike<number>) => dot(bn64(xx, C, gg, bb, silu), r);
        expect(
          scaledErr(
            out.grads[0],
            centralDiff((v) => f(v, g, b), x),
          ),
        ).toBeLessThan(1e-4);
        expect(
          scaledErr(
            out.grads[1],
            centralDiff((v) => f(x, v, b), g),
          ),
        ).toBeLessThan(1e-5);
        expect(
          scaledErr(
            out.grads[2],
            centralDiff((v) => f(x, g, v), b),
          ),
        ).toBeLessThan(1e-5);
        const s = stats as unknown as { mean: Float32Array; variance: Float32Array; count: number };
        expect(s.count).toBe(M);
        for (let c = 0; c < C; c++) {
          let mean = 0;
          for (let m = 0; m < M; m++) mean += x[m * C + c] / M;
          let v = 0;
          for (let m = 0; m < M; m++) v += (x[m * C + c] - mean) ** 2 / M;
          expect(s.mean[c]).toBeCloseTo(mean, 6);
          expect(s.variance[c]).toBeCloseTo(v, 5);
        }
        tf.dispose([xt, gt, bt]);
        expect(tf.memory().numTensors).toBe(before);
      });

  for (const c of CASES.slice(0, 6))
    it(`convBnActSimd silu, ${name(c)}: value and gradients (x, w, bias, γ, β) equal float64 and central differences`, async () => {
      await initBackend({ backend: 'wasm' });
      const rng = lcg(91 + c.Co);
      const ws: S5 = [...c.kernel, c.x[4], c.Co];
      const x = values(
        c.x.reduce((p, q) => p * q, 1),
        rng,
      );
      const w = values(
        ws.reduce((p, q) => p * q, 1),
        rng,
        -0.5,
        0.5,
      );
      const b = values(c.Co, rng);
      const g = values(c.Co, rng, 0.5, 1.5);
      const beta = values(c.Co, rng, -0.5, 0.5);
      const f64 = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>, gg: ArrayLike<number>, be: ArrayLike<number>) =>
        bn64(conv64(xx, c.x, ww, ws, c.pad, bb).y, c.Co, gg, be, true);
      const y64 = f64(x, w, b, g, beta);
      const r = values(y64.length, rng);
      const before = tf.memory().numTensors;
      const inputs = [
        tf.tensor5d(Float32Array.from(x), c.x),
        tf.tensor5d(Float32Array.from(w), ws),
        ...[b, g, beta].map((v) => tf.tensor1d(Float32Array.from(v))),
      ];
      const out = opGrads((xx, ww, bb, gg, be) => convBnActSimd(xx as Tensor5D, ww as Tensor5D, bb, gg, be, c.pad, 'silu', EPS), inputs, r);
      expect(scaledErr(out.y, y64)).toBeLessThan(1e-5);
      const f = (...v: ArrayLike<number>[]) => dot(f64(v[0], v[1], v[2], v[3], v[4]), r);
      const args = [x, w, b, g, beta];
      for (let i = 0; i < 5; i++) {
        const num = centralDiff((v) => f(...args.map((a, j) => (j === i ? v : a))), args[i]);
        // The bias cancels in BatchNorm: its exact gradient is 0 (float32 leaves rounding noise).
        if (i === 2)
          expect(Math.max(...Array.from(out.grads[2], Math.abs))).toBeLessThan(
            1e-4 * Math.max(1, Math.max(...Array.from(r, Math.abs))) * y64.length ** 0.5,
          );
        else expect(scaledErr(out.grads[i], num)).toBeLessThan(2e-4);
      }
      tf.dispose(inputs);
      expect(tf.memory().numTensors).toBe(before);
    });
});

describe('maxPool3d2Simd and depthToSpaceBiasSimd', () => {
  for (const shape of [
    [2, 5, 4, 7, 3],
    [1, 2, 2, 2, 4],
    [1, 4, 3, 6, 5],
    [2, 3, 4, 4, 8],
  ] as S5[])
    it(`max pool 2×2×2 of [${shape}]: the window maxima (floor), the gradient to each window's first maximum`, async () => {
      await initBackend({ backend: 'wasm' });
      const [N, D, H, W, C] = shape;
      const rng = lcg(C * 31 + W);
      // Values on a coarse grid: windows with ties, where the first maximum must take the gradient.
      const x = Float64Array.from({ length: N * D * H * W * C }, () => Math.round(rng() * 3));
      const out: S5 = [N, D >> 1, H >> 1, W >> 1, C];
      const M = out.reduce((p, q) => p * q, 1);
      const y64 = new Float64Array(M);
      const first = new Int32Array(M);
      let o = 0;
      for (let n = 0; n < N; n++)
        for (let d = 0; d < out[1]; d++)
          for (let h = 0; h < out[2]; h++)
            for (let w = 0; w < out[3]; w++)
              for (let c = 0; c < C; c++, o++) {
                let best = Number.NEGATIVE_INFINITY;
                for (let a = 0; a < 2; a++)
                  for (let b = 0; b < 2; b++)
                    for (let e = 0; e < 2; e++) {
                      const i = (((n * D + 2 * d + a) * H + 2 * h + b) * W + 2 * w + e) * C + c;
                      if (x[i] > best) {
                        best = x[i];
                        first[o] = i;
                      }
                    }
                y64[o] = best;
              }
      const r = values(M, rng);
      const dx64 = new Float64Array(x.length);
      for (let q = 0; q < M; q++) dx64[first[q]] += r[q];
      const before = tf.memory().numTensors;
      const xt = tf.tensor5d(Float32Array.from(x), shape);
      const got = opGrads((v) => maxPool3d2Simd(v as Tensor5D), [xt], r);
      expect(Array.from(got.y)).toEqual(Array.from(y64));
      expect(scaledErr(got.grads[0], dx64)).toBeLessThan(1e-7);
      xt.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

  for (const [shape, kernel] of [
    [
      [2, 2, 3, 2, 4 * 3],
      [1, 2, 2],
    ],
    [
      [1, 2, 2, 3, 8 * 8],
      [2, 2, 2],
    ],
    [
      [1, 3, 2, 2, 4 * 5],
      [1, 2, 2],
    ],
  ] as [S5, Triple][])
    it(`depthToSpaceBias of [${shape}], kernel [${kernel}]: value and gradients (x, bias) equal the definition and central differences`, async () => {
      await initBackend({ backend: 'wasm' });
      const [N, D, H, W, KC] = shape;
      const [kd, kh, kw] = kernel;
      const C = KC / (kd * kh * kw);
      const rng = lcg(KC);
      const x = values(N * D * H * W * KC, rng);
      const b = values(C, rng);
      const f64 = (xx: ArrayLike<number>, bb: ArrayLike<number>) => {
        const y = new Float64Array(xx.length);
        for (let n = 0; n < N; n++)
          for (let d = 0; d < D; d++)
            for (let h = 0; h < H; h++)
              for (let w = 0; w < W; w++)
                for (let a = 0; a < kd; a++)
                  for (let p = 0; p < kh; p++)
                    for (let q = 0; q < kw; q++)
                      for (let c = 0; c < C; c++) {
                        const src = ((((n * D + d) * H + h) * W + w) * kd * kh * kw + (a * kh + p) * kw + q) * C + c;
                        const dst = ((((n * D + d) * kd + a) * H * kh + h * kh + p) * W * kw + w * kw + q) * C + c;
                        y[dst] = xx[src] + bb[c];
                      }
        return y;
      };
      const y64 = f64(x, b);
      const r = values(y64.length, rng);
      const before = tf.memory().numTensors;
      const ts = [tf.tensor5d(Float32Array.from(x), shape), tf.tensor1d(Float32Array.from(b))];
      const got = opGrads((v, bb) => depthToSpaceBiasSimd(v as Tensor5D, kernel, bb), ts, r);
      expect(scaledErr(got.y, y64)).toBeLessThan(1e-7);
      expect(
        scaledErr(
          got.grads[0],
          centralDiff((v) => dot(f64(v, b), r), x),
        ),
      ).toBeLessThan(1e-6);
      expect(
        scaledErr(
          got.grads[1],
          centralDiff((v) => dot(f64(x, v), r), b),
        ),
      ).toBeLessThan(1e-6);
      tf.dispose(ts);
      expect(tf.memory().numTensors).toBe(before);
    });
});

describe('groupNormReluSimd', () => {
  /** relu(γ·GroupNorm(x) + β) in float64 for x [N, S, C] with G groups (eps EPS). */
  function gnRelu64(x: ArrayLike<number>, N: number, C: number, G: number, g: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
    const S = x.length / (N * C);
    const cg = C / G;
    const y = new Float64Array(x.length);
    for (let n = 0; n < N; n++)
      for (let q = 0; q < G; q++) {
        const idx: number[] = [];
        for (let s = 0; s < S; s++) for (let j = 0; j < cg; j++) idx.push((n * S + s) * C + q * cg + j);
        const mean = idx.reduce((t, i) => t + x[i], 0) / idx.length;
        const v = idx.reduce((t, i) => t + (x[i] - mean) ** 2, 0) / idx.length;
        for (const i of idx) {
          const c = i % C;
          y[i] = Math.max(0, g[c] * ((x[i] - mean) / Math.sqrt(v + EPS)) + b[c]);
        }
      }
    return y;
  }
  // One channel per group, 2 and 3 per group, one group; positions in one and several axes.
  for (const [shape, G] of [
    [[2, 4, 8], 8],
    [[1, 5, 4], 2],
    [[3, 2, 3, 6], 3],
    [[2, 7, 9], 3],
    [[2, 3, 5], 1],
  ] as [number[], number][])
    it(`x [${shape}], ${G} groups: value and gradients (x, γ, β) equal float64 and central differences`, async () => {
      await initBackend({ backend: 'wasm' });
      const N = shape[0];
      const C = shape[shape.length - 1];
      const rng = lcg(shape.reduce((p, q) => p * q, 1) + G);
      const x = values(
        shape.reduce((p, q) => p * q, 1),
        rng,
        -2,
        2,
      );
      const g = values(C, rng, 0.5, 1.5);
      const b = values(C, rng, -0.3, 0.3);
      const y64 = gnRelu64(x, N, C, G, g, b);
      const r = values(y64.length, rng);
      const before = tf.memory().numTensors;
      const ts = [tf.tensor(Float32Array.from(x), shape), tf.tensor1d(Float32Array.from(g)), tf.tensor1d(Float32Array.from(b))];
      const got = opGrads((xx, gg, bb) => groupNormReluSimd(xx, G, gg, bb, EPS), ts, r);
      expect(scaledErr(got.y, y64)).toBeLessThan(1e-6);
      expect(
        scaledErr(
          got.grads[0],
          centralDiff((v) => dot(gnRelu64(v, N, C, G, g, b), r), x),
        ),
      ).toBeLessThan(1e-5);
      expect(
        scaledErr(
          got.grads[1],
          centralDiff((v) => dot(gnRelu64(x, N, C, G, v, b), r), g),
        ),
      ).toBeLessThan(1e-5);
      expect(
        scaledErr(
          got.grads[2],
          centralDiff((v) => dot(gnRelu64(x, N, C, G, g, v), r), b),
        ),
      ).toBeLessThan(1e-5);
      tf.dispose(ts);
      expect(tf.memory().numTensors).toBe(before);
    });

  it('names the argument on bad input', async () => {
    await initBackend({ backend: 'wasm' });
    const x = tf.zeros([2, 3, 4]);
    const g = tf.ones([4]);
    const g3 = tf.ones([3]);
    expect(() => groupNormReluSimd(x, 3, g, g)).toThrow(/groupNormReluSimd: channels \(4\) must be a multiple of groups \(3\)/);
    expect(() => groupNormReluSimd(x, 2, g, g3)).toThrow(/groupNormReluSimd: beta must be \[4\] \(one per channel\), got shape \[3\]/);
    expect(() => groupNormReluSimd(g, 2, g, g)).toThrow(/x must be \[N, \.\.\., C\], got shape \[4\]/);
    expect(() => groupNormReluSimd(x, 2, g, g, 0)).toThrow(/eps must be > 0, got 0/);
    tf.dispose([x, g, g3]);
  });
});

describe('matMulSimd', () => {
  // Rows past and on the 4-row blocks, K and N on and past the 4-/8-lane blocks, the model's shapes.
  for (const [R, K, N] of [
    [1, 1, 1],
    [5, 3, 7],
    [13, 8, 32],
    [20, 16, 64],
    [9, 17, 12],
    [64, 5, 9],
  ] as [number, number, number][])
    it(`x [${R}, ${K}]·w [${K}, ${N}]: value and gradients (x, w) equal float64 and central differences`, async () => {
      await initBackend({ backend: 'wasm' });
      const rng = lcg(R * 100 + K * 10 + N);
      const x = values(R * K, rng);
      const w = values(K * N, rng);
      const f64 = (xx: ArrayLike<number>, ww: ArrayLike<number>) => {
        const y = new Float64Array(R * N);
        for (let i = 0; i < R; i++)
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += xx[i * K + k] * ww[k * N + j];
            y[i * N + j] = s;
          }
        return y;
      };
      const r = values(R * N, rng);
      const before = tf.memory().numTensors;
      const ts = [tf.tensor2d(Float32Array.from(x), [R, K]), tf.tensor2d(Float32Array.from(w), [K, N])];
      const got = opGrads((a, b) => matMulSimd(a, b), ts, r);
      expect(scaledErr(got.y, f64(x, w))).toBeLessThan(1e-6);
      expect(
        scaledErr(
          got.grads[0],
          centralDiff((v) => dot(f64(v, w), r), x),
        ),
      ).toBeLessThan(1e-6);
      expect(
        scaledErr(
          got.grads[1],
          centralDiff((v) => dot(f64(x, v), r), w),
        ),
      ).toBeLessThan(1e-6);
      tf.dispose(ts);
      expect(tf.memory().numTensors).toBe(before);
    });

  it('names the shapes on bad input', async () => {
    await initBackend({ backend: 'wasm' });
    const a = tf.zeros([3, 4]);
    const b = tf.zeros([5, 2]);
    expect(() => matMulSimd(a, b)).toThrow(/matMulSimd: expected x \[R, K\] and w \[K, N\], got \[3,4\] and \[5,2\]/);
    tf.dispose([a, b]);
  });
});

describe('convBnActSimd computes the input gradient only when it is asked for', () => {
  it('parameters alone: the same gradients as with the input, one convolution fewer', async () => {
    await initBackend({ backend: 'wasm' });
    const rng = lcg(77);
    const xs: S5 = [2, 2, 3, 5, 3];
    const x = tf.tensor5d(
      Float32Array.from(
        values(
          xs.reduce((p, q) => p * q, 1),
          rng,
        ),
      ),
      xs,
    );
    const w = tf.variable(tf.tensor5d(Float32Array.from(values(1 * 3 * 3 * 3 * 4, rng)), [1, 3, 3, 3, 4]));
    const b = tf.variable(tf.tensor1d(Float32Array.from(values(4, rng))));
    const g = tf.variable(tf.tensor1d(Float32Array.from(values(4, rng, 0.5, 1.5))));
    const be = tf.variable(tf.tensor1d(Float32Array.from(values(4, rng))));
    const r = tf.tensor(Float32Array.from(values(2 * 2 * 3 * 5 * 4, rng)), [2, 2, 3, 5, 4]);
    const loss = (v: Tensor) => tf.sum(tf.mul(convBnActSimd(v as Tensor5D, w, b, g, be, [0, 1, 1], 'silu', EPS), r)) as tf.Scalar;
    // Count the convolution kernel's calls (forward: 1; backward: 1 more for the input gradient).
    const aux = auxKernels('test');
    const kernelsBefore = aux.k;
    let convs = 0;
    const counting = { ...kernelsBefore } as typeof kernelsBefore & { conv3dValid: (...a: number[]) => void };
    const conv = (kernelsBefore as unknown as { conv3dValid: (...a: number[]) => void }).conv3dValid;
    counting.conv3dValid = (...a: number[]) => {
      convs++;
      conv(...a);
    };
    aux.k = counting;
    try {
      const before = tf.memory().numTensors;
      const lazy = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => loss(x), [w, b, g, be]);
        return [w, b, g, be].map((v) => Array.from(grads[v.name].dataSync()));
      });
      expect(convs).toBe(1);
      convs = 0;
      const full = tf.tidy(() => {
        const out = tf.grads((v: Tensor, ...p: Tensor[]) =>
          tf.sum(tf.mul(convBnActSimd(v as Tensor5D, p[0] as Tensor5D, p[1], p[2], p[3], [0, 1, 1], 'silu', EPS), r)),
        )([x, w, b, g, be]);
        return out.slice(1).map((t) => Array.from(t.dataSync()));
      });
      expect(convs).toBe(2);
      expect(lazy).toEqual(full);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      aux.k = kernelsBefore;
      tf.dispose([x, w, b, g, be, r]);
    }
  });
});

describe('on the cpu backend (values through dataSync instead of the wasm heap)', () => {
  it('convBnActSimd gives the same values and gradients as on wasm', async () => {
    const rng = lcg(404);
    const xs: S5 = [1, 2, 3, 5, 4];
    const ws: S5 = [1, 3, 3, 4, 6];
    const vals = [values(120, rng), values(216, rng, -0.5, 0.5), values(6, rng), values(6, rng, 0.5, 1.5), values(6, rng)];
    const shapes = [xs, ws, [6], [6], [6]];
    const r = values(1 * 2 * 3 * 5 * 6, rng);
    const run = () => {
      const ts = vals.map((v, i) => tf.tensor(Float32Array.from(v), shapes[i]));
      const out = opGrads((x, w, b, g, be) => convBnActSimd(x as Tensor5D, w as Tensor5D, b, g, be, [0, 1, 1], 'silu'), ts, r);
      tf.dispose(ts);
      return out;
    };
    await initBackend({ backend: 'wasm' });
    const a = run();
    await initBackend({ backend: 'cpu' });
    try {
      expect(tf.getBackend()).toBe('cpu');
      const b = run();
      expect(Array.from(b.y)).toEqual(Array.from(a.y));
      b.grads.forEach((g, i) => {
        expect(Array.from(g)).toEqual(Array.from(a.grads[i]));
      });
    } finally {
      await initBackend({ backend: 'wasm' });
    }
  });
});
