/**
 * The convolutional layers of the latent-dynamics model against direct float64 loops written from
 * the torch definitions, and every hand-written or composed gradient against float64 central
 * finite differences of those loops, on tiny shapes.
 */
import { Rng } from '@sii/linalg';
import { initBackend } from '@sii/neural-ode';
import { groupNormReluSimd } from '@sii/neural-ode/internal';
import type { Tensor, Tensor2D, Tensor5D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  avgPool3d2,
  BatchNorm,
  Conv3d,
  conv3d,
  convTranspose3dStrided,
  GroupNorm,
  im2col,
  im2colT,
  maxPool3d2,
  normalize,
  registerConvGradients,
  silu,
  swapLeadingAxes,
} from '../src/experiments/layers/index.js';

beforeAll(async () => {
  await initBackend();
  registerConvGradients();
});

type Shape5 = [number, number, number, number, number];
const idx5 = (s: Shape5, a: number, b: number, c: number, d: number, e: number) => (((a * s[1] + b) * s[2] + c) * s[3] + d) * s[4] + e;
const randn = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.normal());

/** torch Conv3d (stride 1, zero padding) on channels-last x with kernel [kd, kh, kw, Ci, Co], float64. */
function conv3dRef(x: Float64Array, xs: Shape5, w: Float64Array, ks: Shape5, pad: number[]): { y: Float64Array; ys: Shape5 } {
  const [N, D, H, W, Ci] = xs;
  const [kd, kh, kw, , Co] = ks;
  const ys: Shape5 = [N, D + 2 * pad[0] - kd + 1, H + 2 * pad[1] - kh + 1, W + 2 * pad[2] - kw + 1, Co];
  const y = new Float64Array(ys.reduce((a, b) => a * b, 1));
  for (let n = 0; n < N; n++)
    for (let d = 0; d < ys[1]; d++)
      for (let h = 0; h < ys[2]; h++)
        for (let v = 0; v < ys[3]; v++)
          for (let o = 0; o < Co; o++) {
            let s = 0;
            for (let a = 0; a < kd; a++)
              for (let b = 0; b < kh; b++)
                for (let c = 0; c < kw; c++) {
                  const di = d + a - pad[0];
                  const hi = h + b - pad[1];
                  const wi = v + c - pad[2];
                  if (di < 0 || di >= D || hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
                  for (let i = 0; i < Ci; i++) s += x[idx5(xs, n, di, hi, wi, i)] * w[idx5(ks, a, b, c, i, o)];
                }
            y[idx5(ys, n, d, h, v, o)] = s;
          }
  return { y, ys };
}

/** torch ConvTranspose3d (stride s, padding p) with torch's weight layout [Ci, Co, kd, kh, kw], channels-last x, float64. */
function convTRef(
  x: Float64Array,
  xs: Shape5,
  wt: Float64Array,
  Co: number,
  k: number[],
  stride: number[],
  pad: number[],
): { y: Float64Array; ys: Shape5 } {
  const [N, D, H, W, Ci] = xs;
  const ys: Shape5 = [
    N,
    (D - 1) * stride[0] - 2 * pad[0] + k[0],
    (H - 1) * stride[1] - 2 * pad[1] + k[1],
    (W - 1) * stride[2] - 2 * pad[2] + k[2],
    Co,
  ];
  const y = new Float64Array(ys.reduce((a, b) => a * b, 1));
  for (let n = 0; n < N; n++)
    for (let d = 0; d < D; d++)
      for (let h = 0; h < H; h++)
        for (let v = 0; v < W; v++)
          for (let i = 0; i < Ci; i++)
            for (let o = 0; o < Co; o++)
              for (let a = 0; a < k[0]; a++)
                for (let b = 0; b < k[1]; b++)
                  for (let c = 0; c < k[2]; c++) {
                    const od = d * stride[0] - pad[0] + a;
                    const oh = h * stride[1] - pad[1] + b;
                    const ow = v * stride[2] - pad[2] + c;
                    if (od < 0 || od >= ys[1] || oh < 0 || oh >= ys[2] || ow < 0 || ow >= ys[3]) continue;
                    y[idx5(ys, n, od, oh, ow, o)] += x[idx5(xs, n, d, h, v, i)] * wt[(((i * Co + o) * k[0] + a) * k[1] + b) * k[2] + c];
                  }
  return { y, ys };
}

/** Normalisation over `axes` of a tensor of shape `s` (biased variance, eps 1e-5), float64. */
function normalizeRef(x: Float64Array, s: number[], axes: number[]): Float64Array {
  const strides = s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
  const groups = new Map<string, number[]>();
  for (let f = 0; f < x.length; f++) {
    const key = s.map((_, i) => (axes.includes(i) ? 0 : Math.floor(f / strides[i]) % s[i])).join(',');
    const g = groups.get(key) ?? [];
    g.push(f);
    groups.set(key, g);
  }
  const y = new Float64Array(x.length);
  for (const g of groups.values()) {
    const m = g.reduce((a, f) => a + x[f], 0) / g.length;
    const v = g.reduce((a, f) => a + (x[f] - m) ** 2, 0) / g.length;
    for (const f of g) y[f] = (x[f] - m) / Math.sqrt(v + 1e-5);
  }
  return y;
}

/** Pool(2) (kernel 2, stride 2, floor) over D, H, W of channels-last x, float64. */
function poolRef(x: Float64Array, xs: Shape5, kind: 'max' | 'avg'): Float64Array {
  const [N, D, H, W, C] = xs;
  const os: Shape5 = [N, Math.floor(D / 2), Math.floor(H / 2), Math.floor(W / 2), C];
  const y = new Float64Array(os.reduce((a, b) => a * b, 1));
  for (let n = 0; n < N; n++)
    for (let d = 0; d < os[1]; d++)
      for (let h = 0; h < os[2]; h++)
        for (let v = 0; v < os[3]; v++)
          for (let c = 0; c < C; c++) {
            let acc = kind === 'max' ? -Infinity : 0;
            for (let a = 0; a < 2; a++)
              for (let b = 0; b < 2; b++)
                for (let e = 0; e < 2; e++) {
                  const val = x[idx5(xs, n, 2 * d + a, 2 * h + b, 2 * v + e, c)];
                  acc = kind === 'max' ? Math.max(acc, val) : acc + val / 8;
                }
            y[idx5(os, n, d, h, v, c)] = acc;
          }
  return y;
}

/**
 * Gradient of L = Σ r ⊙ f(inputs) from tfjs (float32) against float64 central differences of the
 * reference `ref` (step 1e-6), for every input in `check`.
 */
function checkGradient(opts: {
  inputs: { data: Float64Array; shape: number[] }[];
  tfFn: (...t: Tensor[]) => Tensor;
  ref: (...d: Float64Array[]) => Float64Array;
  seed: string;
}): void {
  const { inputs, tfFn, ref } = opts;
  const y0 = ref(...inputs.map((i) => i.data));
  const r = randn(new Rng(opts.seed), y0.length);
  const L = (...d: Float64Array[]) => ref(...d).reduce((s, v, k) => s + v * r[k], 0);
  const grads: Float64Array[] = [];
  tf.tidy(() => {
    const ts = inputs.map((i) => tf.tensor(Float32Array.from(i.data), i.shape));
    const rt = tf.tensor(Float32Array.from(r), tfFn(...ts).shape);
    const g = tf.grads((...a: Tensor[]) => tf.sum(tf.mul(tfFn(...a), rt)))(ts);
    for (const t of g) grads.push(Float64Array.from(t.dataSync()));
  });
  inputs.forEach((inp, j) => {
    const fd = new Float64Array(inp.data.length);
    for (let k = 0; k < inp.data.length; k++) {
      const plus = inputs.map((i) => Float64Array.from(i.data));
      const minus = inputs.map((i) => Float64Array.from(i.data));
      plus[j][k] += 1e-6;
      minus[j][k] -= 1e-6;
      fd[k] = (L(...plus) - L(...minus)) / 2e-6;
    }
    const scale = Math.max(...fd.map(Math.abs));
    const err = Math.max(...fd.map((v, k) => Math.abs(v - grads[j][k])));
    expect(scale).toBeGreaterThan(1e-3);
    expect(err / scale).toBeLessThan(2e-3);
  });
}

describe('conv3d (im2col + matMul, stride 1)', () => {
  const xs: Shape5 = [2, 3, 4, 5, 2];
  const ks: Shape5 = [3, 3, 3, 2, 3];
  const rng = new Rng('conv');
  const x = randn(
    rng,
    xs.reduce((a, b) => a * b, 1),
  );
  const w = randn(
    rng,
    ks.reduce((a, b) => a * b, 1),
  );
  for (const pad of [
    [1, 1, 1],
    [0, 1, 1],
    [0, 0, 0],
  ]) {
    it(`equals a direct float64 loop, pad ${pad}`, () => {
      const { y, ys } = conv3dRef(x, xs, w, ks, pad);
      const got = tf.tidy(() =>
        conv3d(
          tf.tensor(Float32Array.from(x), xs) as Tensor5D,
          tf.tensor(Float32Array.from(w), ks) as Tensor5D,
          pad as [number, number, number],
        ).dataSync(),
      );
      expect(got.length).toBe(y.length);
      for (let k = 0; k < y.length; k++) expect(got[k]).toBeCloseTo(y[k], 4);
      expect(ys[1]).toBe(xs[1] + 2 * pad[0] - 2);
    });
    it(`gradients in x and the kernel match finite differences, pad ${pad}`, () => {
      checkGradient({
        seed: `conv-grad-${pad}`,
        inputs: [
          { data: x, shape: xs },
          { data: w, shape: ks },
        ],
        tfFn: (a, b) => conv3d(a as Tensor5D, b as Tensor5D, pad as [number, number, number]),
        ref: (a, b) => conv3dRef(a, xs, b, ks, pad).y,
      });
    });
  }
  it('with a bias: value and gradients in x, kernel and bias match finite differences (kernel 1×3×3, pad 0,1,1 and 3×3×3, pad 1,0,2)', () => {
    const bias = randn(new Rng('bias'), 3);
    for (const [k, pad] of [
      [
        [1, 3, 3, 2, 3],
        [0, 1, 1],
      ],
      [
        [3, 3, 3, 2, 3],
        [1, 0, 2],
      ],
    ] as [Shape5, number[]][]) {
      const wk = randn(
        new Rng(`wk${k}`),
        k.reduce((a, b) => a * b, 1),
      );
      const ref = (a: Float64Array, b: Float64Array, c: Float64Array) => conv3dRef(a, xs, b, k, pad).y.map((v, i) => v + c[i % 3]);
      const got = tf.tidy(() =>
        conv3d(
          tf.tensor(Float32Array.from(x), xs) as Tensor5D,
          tf.tensor(Float32Array.from(wk), k) as Tensor5D,
          pad as [number, number, number],
          'im2col',
          tf.tensor1d(Float32Array.from(bias)),
        ).dataSync(),
      );
      const want = ref(x, wk, bias);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
      checkGradient({
        seed: `conv-bias-grad-${k}`,
        inputs: [
          { data: x, shape: xs },
          { data: wk, shape: k },
          { data: bias, shape: [3] },
        ],
        tfFn: (a, b, c) => conv3d(a as Tensor5D, b as Tensor5D, pad as [number, number, number], 'im2col', c),
        ref,
      });
    }
  });
  it('im2colT is the transpose of im2col (odd sizes, asymmetric padding)', () => {
    const xt = tf.tensor(Float32Array.from(x), xs) as Tensor5D;
    for (const [k, pad] of [
      [
        [3, 3, 3],
        [1, 1, 1],
      ],
      [
        [1, 3, 3],
        [0, 1, 1],
      ],
      [
        [3, 2, 3],
        [2, 0, 1],
      ],
    ] as [[number, number, number], [number, number, number]][]) {
      const [c, ct] = tf.tidy(() => [im2col(xt, k, pad), im2colT(xt, k, pad)]);
      const [M, KC] = c.shape;
      expect(ct.shape).toEqual([KC, M]);
      expect(M).toBe(xs[0] * (xs[1] + 2 * pad[0] - k[0] + 1) * (xs[2] + 2 * pad[1] - k[1] + 1) * (xs[3] + 2 * pad[2] - k[2] + 1));
      const a = c.dataSync();
      const b = ct.dataSync();
      for (let m = 0; m < M; m++) for (let j = 0; j < KC; j++) expect(b[j * M + m]).toBe(a[m * KC + j]);
      tf.dispose([c, ct]);
    }
    xt.dispose();
  });
  it("the 'native' implementation (tfjs Conv3D + registered gradient) agrees with im2col", () => {
    const ks133: Shape5 = [1, 3, 3, 2, 3];
    const w133 = randn(
      new Rng('w133'),
      ks133.reduce((a, b) => a * b, 1),
    );
    for (const [k, wd, pad] of [
      [ks, w, [1, 1, 1]],
      [ks133, w133, [0, 1, 1]],
    ] as const) {
      const [a, b, ga, gb] = tf.tidy(() => {
        const xt = tf.tensor(Float32Array.from(x), xs) as Tensor5D;
        const wt = tf.tensor(Float32Array.from(wd), k) as Tensor5D;
        const r = tf.tensor(Float32Array.from(randn(new Rng('r'), 2 * 3 * 4 * 5 * 3)), [2, 3, 4, 5, 3]);
        const p = pad as unknown as [number, number, number];
        const gi = tf.grads((u: Tensor, v: Tensor) => tf.sum(tf.mul(conv3d(u as Tensor5D, v as Tensor5D, p, 'im2col'), r)))([xt, wt]);
        const gn = tf.grads((u: Tensor, v: Tensor) => tf.sum(tf.mul(conv3d(u as Tensor5D, v as Tensor5D, p, 'native'), r)))([xt, wt]);
        return [
          conv3d(xt, wt, p, 'im2col').dataSync(),
          conv3d(xt, wt, p, 'native').dataSync(),
          [gi[0].dataSync(), gn[0].dataSync()],
          [gi[1].dataSync(), gn[1].dataSync()],
        ];
      }) as unknown as [Float32Array, Float32Array, Float32Array[], Float32Array[]];
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 4);
      for (const [u, v] of [ga, gb] as Float32Array[][]) for (let i = 0; i < u.length; i++) expect(v[i]).toBeCloseTo(u[i], 3);
    }
  });
  it('names the argument on bad shapes and padding', () => {
    const xt = tf.zeros([1, 2, 3, 3, 2]) as Tensor5D;
    expect(() => conv3d(xt, tf.zeros([3, 3, 3, 4, 1]) as Tensor5D, [1, 1, 1])).toThrow(/x has 2 channels but the kernel expects 4/);
    expect(() => conv3d(xt, tf.zeros([3, 3, 3, 2, 1]) as Tensor5D, [3, 1, 1])).toThrow(/pad\[0\] must be an integer in \[0, 2\], got 3/);
    expect(() => conv3d(xt, tf.zeros([3, 3, 3, 2, 1]) as Tensor5D, [0, 1, 1], 'native')).toThrow(/'native' needs 'same' padding/);
    tf.dispose(xt);
  });
});

describe('transposed convolutions (torch ConvTranspose3d)', () => {
  it('stride = kernel (1, 2, 2): value and gradients against the torch definition', () => {
    const xs: Shape5 = [2, 2, 2, 3, 3];
    const Co = 2;
    const rng = new Rng('convT');
    const x = randn(
      rng,
      xs.reduce((a, b) => a * b, 1),
    );
    const wt = randn(rng, 3 * Co * 4); // torch layout [Ci, Co, 1, 2, 2]
    // Ours: [Ci, (kd, kh, kw, Co)].
    const ours = (t: Float64Array) => {
      const o = new Float64Array(t.length);
      for (let i = 0; i < 3; i++)
        for (let c = 0; c < Co; c++) for (let k = 0; k < 4; k++) o[i * 4 * Co + k * Co + c] = t[(i * Co + c) * 4 + k];
      return o;
    };
    const ref = (a: Float64Array, b: Float64Array) => convTRef(a, xs, b, Co, [1, 2, 2], [1, 2, 2], [0, 0, 0]).y;
    const { ys } = convTRef(x, xs, wt, Co, [1, 2, 2], [1, 2, 2], [0, 0, 0]);
    expect(ys).toEqual([2, 2, 4, 6, 2]);
    const y = ref(x, wt);
    const got = tf.tidy(() =>
      convTranspose3dStrided(
        tf.tensor(Float32Array.from(x), xs) as Tensor5D,
        tf.tensor(Float32Array.from(ours(wt)), [3, 4 * Co]) as Tensor2D,
        [1, 2, 2],
      ).dataSync(),
    );
    for (let k = 0; k < y.length; k++) expect(got[k]).toBeCloseTo(y[k], 5);
    checkGradient({
      seed: 'convT-grad',
      inputs: [
        { data: x, shape: xs },
        { data: ours(wt), shape: [3, 4 * Co] },
      ],
      tfFn: (a, b) => convTranspose3dStrided(a as Tensor5D, b as Tensor2D, [1, 2, 2]),
      // Back to torch layout for the reference.
      ref: (a, b) => {
        const t = new Float64Array(b.length);
        for (let i = 0; i < 3; i++)
          for (let c = 0; c < Co; c++) for (let k = 0; k < 4; k++) t[(i * Co + c) * 4 + k] = b[i * 4 * Co + k * Co + c];
        return ref(a, t);
      },
    });
  });
  it('with the bias inside the reshuffle (depthToSpaceBias): value and gradients in x, kernel and bias against the torch definition', () => {
    const xs: Shape5 = [2, 1, 3, 2, 3];
    const Co = 3;
    const rng = new Rng('convT-bias');
    const x = randn(rng, 36);
    const w = randn(rng, 3 * 4 * Co); // ours: [Ci, (kd, kh, kw, Co)]
    const b = randn(rng, Co);
    const torchW = (v: Float64Array) => {
      const t = new Float64Array(v.length);
      for (let i = 0; i < 3; i++)
        for (let c = 0; c < Co; c++) for (let k = 0; k < 4; k++) t[(i * Co + c) * 4 + k] = v[i * 4 * Co + k * Co + c];
      return t;
    };
    const ref = (a: Float64Array, v: Float64Array, bb: Float64Array) =>
      convTRef(a, xs, torchW(v), Co, [1, 2, 2], [1, 2, 2], [0, 0, 0]).y.map((y, k) => y + bb[k % Co]);
    const y = ref(x, w, b);
    const got = tf.tidy(() =>
      convTranspose3dStrided(
        tf.tensor(Float32Array.from(x), xs) as Tensor5D,
        tf.tensor(Float32Array.from(w), [3, 4 * Co]) as Tensor2D,
        [1, 2, 2],
        tf.tensor1d(Float32Array.from(b)),
      ).dataSync(),
    );
    for (let k = 0; k < y.length; k++) expect(got[k]).toBeCloseTo(y[k], 5);
    checkGradient({
      seed: 'convT-bias-grad',
      inputs: [
        { data: x, shape: xs },
        { data: w, shape: [3, 4 * Co] },
        { data: b, shape: [Co] },
      ],
      tfFn: (a, v, bb) => convTranspose3dStrided(a as Tensor5D, v as Tensor2D, [1, 2, 2], bb),
      ref,
    });
  });
  it('stride 1, kernel (1, 3, 3), padding (0, 1, 1) equals the flipped convolution the model stores', () => {
    const xs: Shape5 = [1, 2, 4, 4, 3];
    const Co = 2;
    const rng = new Rng('convT1');
    const x = randn(
      rng,
      xs.reduce((a, b) => a * b, 1),
    );
    const wt = randn(rng, 3 * Co * 9); // torch [Ci, Co, 1, 3, 3]
    const { y, ys } = convTRef(x, xs, wt, Co, [1, 3, 3], [1, 1, 1], [0, 1, 1]);
    expect(ys).toEqual([1, 2, 4, 4, 2]);
    const layer = new Conv3d(3, Co, [1, 3, 3], [0, 1, 1], new Rng('layer'), 'im2col', true);
    // Our kernel [0, b, c, i, o] = torch's [i, o, 0, 2 − b, 2 − c]; bias 0.
    const w = new Float64Array(9 * 3 * Co);
    for (let b = 0; b < 3; b++)
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < 3; i++)
          for (let o = 0; o < Co; o++) w[((b * 3 + c) * 3 + i) * Co + o] = wt[(i * Co + o) * 9 + (2 - b) * 3 + (2 - c)];
    layer.w.assign(tf.tensor(Float32Array.from(w), [1, 3, 3, 3, Co]));
    layer.b.assign(tf.zeros([Co]));
    const got = tf.tidy(() => layer.apply(tf.tensor(Float32Array.from(x), xs) as Tensor5D).dataSync());
    for (let k = 0; k < y.length; k++) expect(got[k]).toBeCloseTo(y[k], 4);
    // init bound 1/√(Cout·k) = 1/√18 as torch's ConvTranspose3d
    const fresh = new Conv3d(3, Co, [1, 3, 3], [0, 1, 1], new Rng('fresh'), 'im2col', true);
    const vals = fresh.w.dataSync();
    expect(Math.max(...vals.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(18));
    expect(Math.max(...vals.map(Math.abs))).toBeGreaterThan(0.8 / Math.sqrt(18));
    layer.dispose();
    fresh.dispose();
  });
});

describe('normalisation', () => {
  it('normalize over axes: value and hand-written gradient (BatchNorm axes and GroupNorm axes)', () => {
    const rng = new Rng('norm');
    for (const [shape, axes] of [
      [[6, 3], [0]],
      [
        [2, 4, 2, 3],
        [1, 3],
      ],
    ] as [number[], number[]][]) {
      const x = randn(
        rng,
        shape.reduce((a, b) => a * b, 1),
      );
      const got = tf.tidy(() => normalize(tf.tensor(Float32Array.from(x), shape), axes).dataSync());
      const y = normalizeRef(x, shape, axes);
      for (let k = 0; k < y.length; k++) expect(got[k]).toBeCloseTo(y[k], 4);
      checkGradient({
        seed: `norm-${axes}`,
        inputs: [{ data: x, shape }],
        tfFn: (a) => normalize(a, axes),
        ref: (a) => normalizeRef(a, shape, axes),
      });
    }
  });
  it('BatchNorm: batch statistics in training, running averages (momentum 0.1, unbiased variance) in evaluation', () => {
    const bn = new BatchNorm(2);
    const xs: Shape5 = [3, 1, 1, 1, 2];
    const x = [1, 10, 2, 20, 6, 60]; // channel 0: 1, 2, 6 (mean 3, unbiased var 7); channel 1: ×10
    tf.tidy(() => bn.apply(tf.tensor(x, xs) as Tensor5D, true));
    const rm = bn.runningMean.dataSync();
    const rv = bn.runningVar.dataSync();
    expect(rm[0]).toBeCloseTo(0.3, 6);
    expect(rm[1]).toBeCloseTo(3, 5);
    expect(rv[0]).toBeCloseTo(0.9 + 0.7, 5);
    expect(rv[1]).toBeCloseTo(0.9 + 70, 3);
    const ev = tf.tidy(() => bn.apply(tf.tensor([[[[[1.3, 3]]]]]) as Tensor5D, false).dataSync());
    expect(ev[0]).toBeCloseTo(1 / Math.sqrt(1.6 + 1e-5), 5);
    expect(ev[1]).toBeCloseTo(0, 6);
    bn.dispose();
  });
  it('BatchNorm.trackBatch (JavaScript float32 arithmetic) updates the running averages bit for bit as the tfjs kernels do', () => {
    const [a, b] = [new BatchNorm(3), new BatchNorm(3)];
    const xs: Shape5 = [2, 2, 1, 3, 3];
    const x = tf.tensor(
      Float32Array.from(randn(new Rng('track'), 36), (v) => 2 * v + 1),
      xs,
    ) as Tensor5D;
    for (let step = 0; step < 3; step++) {
      tf.tidy(() => a.apply(x, true));
      // The reference's own float32 statistics, handed to trackBatch.
      const [m, v] = tf.tidy(() => {
        const flat = tf.reshape(x, [-1, 3]);
        const mean = tf.mean(flat, 0);
        return [mean.dataSync() as Float32Array, tf.mean(tf.square(tf.sub(flat, mean)), 0).dataSync() as Float32Array];
      });
      b.trackBatch({ mean: m, variance: v, count: 12 });
      expect(Array.from(b.runningMean.dataSync())).toEqual(Array.from(a.runningMean.dataSync()));
      expect(Array.from(b.runningVar.dataSync())).toEqual(Array.from(a.runningVar.dataSync()));
    }
    x.dispose();
    a.dispose();
    b.dispose();
  });
  it('BatchNorm.applySiluSimd equals SiLU(BatchNorm) in training: value, gradients (x, γ, β) and running averages', () => {
    const [a, b] = [new BatchNorm(5), new BatchNorm(5)];
    const xs: Shape5 = [2, 3, 2, 3, 5];
    const x = tf.tensor(
      Float32Array.from(randn(new Rng('bn-simd'), 180), (v) => 3 * v - 1),
      xs,
    ) as Tensor5D;
    const r = tf.tensor(Float32Array.from(randn(new Rng('bn-r'), 180)), xs);
    const before = tf.memory().numTensors;
    const run = (bn: BatchNorm, simd: boolean) =>
      tf.tidy(() => {
        const f = (v: Tensor) =>
          tf.sum(tf.mul(simd ? bn.applySiluSimd(v as Tensor5D) : silu(bn.apply(v as Tensor5D, true)), r)) as tf.Scalar;
        const { value, grads } = tf.variableGrads(() => f(x), [bn.gamma, bn.beta]);
        const dx = tf.grad((v) => f(v))(x);
        return [value, dx, grads[bn.gamma.name], grads[bn.beta.name]].map((t) => Array.from(t.dataSync()));
      });
    const ref = run(a, false);
    const got = run(b, true);
    for (let i = 0; i < ref.length; i++) {
      const scale = Math.max(...ref[i].map(Math.abs));
      got[i].forEach((v, j) => {
        expect(Math.abs(v - ref[i][j])).toBeLessThan(1e-5 * scale + 1e-6);
      });
    }
    // Both ran two training batches (value, then dx): the same running averages to float32 rounding.
    for (const k of ['runningMean', 'runningVar'] as const) {
      const ra = a[k].dataSync();
      b[k].dataSync().forEach((v, j) => {
        expect(Math.abs(v - ra[j])).toBeLessThan(1e-6 * Math.max(1, Math.abs(ra[j])));
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, r]);
    a.dispose();
    b.dispose();
  });
  it('GroupNorm(2, 4) normalises per sample over channels of a group and all positions', () => {
    const gn = new GroupNorm(2, 4);
    const xs: Shape5 = [2, 2, 1, 2, 4];
    const x = randn(new Rng('gn'), 32);
    const got = tf.tidy(() => gn.apply(tf.tensor(Float32Array.from(x), [...xs]) as Tensor5D).dataSync());
    const y = normalizeRef(x, [2, 4, 2, 2], [1, 3]);
    for (let k = 0; k < y.length; k++) expect(got[k]).toBeCloseTo(y[k], 4);
    expect(() => new GroupNorm(3, 4)).toThrow(/channels \(4\) must be a multiple of groups \(3\)/);
    gn.dispose();
  });
  describe('groupNormReluSimd (the simd path: one op)', () => {
    const xs: Shape5 = [2, 3, 1, 2, 4];
    const gamma = Float64Array.from([0.5, 1.5, -1, 2]);
    const beta = Float64Array.from([0.1, -0.2, 0.3, 0]);
    const x = randn(new Rng('gn-relu'), 48);
    /** relu(γ·GroupNorm(2 groups) + β), float64. */
    const ref = (xx: Float64Array, g: Float64Array, b: Float64Array) => {
      const h = normalizeRef(xx, [2, 6, 2, 2], [1, 3]);
      return h.map((v, k) => Math.max(0, g[k % 4] * v + b[k % 4]));
    };
    it('equals float64 GroupNorm + affine + ReLU; gradients (x, γ, β) equal central differences', () => {
      const got = tf.tidy(() =>
        groupNormReluSimd(
          tf.tensor(Float32Array.from(x), xs) as Tensor5D,
          2,
          tf.tensor1d(Float32Array.from(gamma)),
          tf.tensor1d(Float32Array.from(beta)),
        ).dataSync(),
      );
      const y = ref(x, gamma, beta);
      const scale = Math.max(...y.map(Math.abs));
      for (let k = 0; k < y.length; k++) expect(Math.abs(got[k] - y[k])).toBeLessThan(1e-6 * scale);
      checkGradient({
        seed: 'gn-relu-r',
        inputs: [
          { data: x, shape: xs },
          { data: gamma, shape: [4] },
          { data: beta, shape: [4] },
        ],
        tfFn: (a, g, b) => groupNormReluSimd(a, 2, g, b),
        ref,
      });
    });
    it('equals tf.relu(GroupNorm.apply) to float32 rounding: value and gradients (x, γ, β)', () => {
      const gn = new GroupNorm(2, 4);
      gn.gamma.assign(tf.tensor1d(Float32Array.from(gamma)));
      gn.beta.assign(tf.tensor1d(Float32Array.from(beta)));
      const xt = tf.tensor(Float32Array.from(x), xs) as Tensor5D;
      const r = tf.tensor(Float32Array.from(randn(new Rng('gn-r'), 48)), xs);
      const run = (fused: boolean) =>
        tf.tidy(() => {
          const f = (v: Tensor) =>
            tf.sum(
              tf.mul(fused ? groupNormReluSimd(v as Tensor5D, 2, gn.gamma, gn.beta) : tf.relu(gn.apply(v as Tensor5D)), r),
            ) as tf.Scalar;
          const { value, grads } = tf.variableGrads(() => f(xt), [gn.gamma, gn.beta]);
          return [value, tf.grad((v) => f(v))(xt), grads[gn.gamma.name], grads[gn.beta.name]].map((t) => Array.from(t.dataSync()));
        });
      const [a, b] = [run(false), run(true)];
      for (let i = 0; i < a.length; i++) {
        const scale = Math.max(...a[i].map(Math.abs));
        b[i].forEach((v, j) => {
          expect(Math.abs(v - a[i][j])).toBeLessThan(1e-6 * scale + 1e-7);
        });
      }
      tf.dispose([xt, r]);
      gn.dispose();
    });
    it('names the shape on bad input', () => {
      const g = tf.ones([4]);
      const x5 = tf.zeros([1, 1, 1, 1, 4]) as Tensor5D;
      expect(() => groupNormReluSimd(x5, 3, g, g)).toThrow(/channels \(4\) must be a multiple of groups \(3\)/);
      const g3 = tf.ones([3]);
      expect(() => groupNormReluSimd(x5, 2, g3, g)).toThrow(/gamma must be \[4\] \(one per channel\), got shape \[3\]/);
      tf.dispose([g, x5, g3]);
    });
  });
});

describe('pooling (kernel 2, stride 2, floor)', () => {
  const xs: Shape5 = [1, 5, 4, 3, 2];
  const x = randn(
    new Rng('pool'),
    xs.reduce((a, b) => a * b, 1),
  );
  for (const kind of ['max', 'avg'] as const) {
    it(`${kind} pool: value and gradient against a direct loop`, () => {
      const fn = kind === 'max' ? maxPool3d2 : avgPool3d2;
      const got = tf.tidy(() => {
        const y = fn(tf.tensor(Float32Array.from(x), xs) as Tensor5D);
        expect(y.shape).toEqual([1, 2, 2, 1, 2]);
        return y.dataSync();
      });
      const y = poolRef(x, xs, kind);
      for (let k = 0; k < y.length; k++) expect(got[k]).toBeCloseTo(y[k], 5);
      checkGradient({
        seed: `pool-${kind}`,
        inputs: [{ data: x, shape: xs }],
        tfFn: (a) => fn(a as Tensor5D),
        ref: (a) => poolRef(a, xs, kind),
      });
    });
  }
});

describe('swapLeadingAxes', () => {
  it('[A, B, R] → [B, A, R] and its gradient', () => {
    const x = randn(new Rng('swap'), 2 * 3 * 4);
    const ref = (a: Float64Array) => {
      const o = new Float64Array(a.length);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let r = 0; r < 4; r++) o[(j * 2 + i) * 4 + r] = a[(i * 3 + j) * 4 + r];
      return o;
    };
    checkGradient({ seed: 'swap-grad', inputs: [{ data: x, shape: [2, 3, 4] }], tfFn: (a) => swapLeadingAxes(a), ref });
    const got = tf.tidy(() => swapLeadingAxes(tf.tensor(Float32Array.from(x), [2, 3, 4])).dataSync());
    const y = ref(x);
    for (let k = 0; k < y.length; k++) expect(got[k]).toBeCloseTo(y[k], 6);
  });
});
