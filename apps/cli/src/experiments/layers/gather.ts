/**
 * Data movement done in plain JavaScript on the tensors' values: tfjs-backend-wasm runs rank-4/5
 * slice, concat and transpose through slow generic paths (a rank-5 slice of 655k values took
 * seconds), while a JS loop over a Float32Array takes milliseconds.
 */

import type { Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

export type Shape5 = readonly [number, number, number, number, number];

/**
 * Columns of a stride-1 convolution: x [N, D, H, W, C] with zero padding `pad` and kernel
 * `kernel` → [M, K·C] (M = N·Do·Ho·Wo, column order kd, kh, kw, C); with `transposed`, the
 * transposed columns [K·C, M] (for the kernel gradient colsᵀ·dY as a plain product). `into`: write
 * into this array (zeroed first) instead of a new one.
 */
export function im2colData(
  x: Float32Array,
  shape: Shape5,
  kernel: readonly number[],
  pad: readonly number[],
  transposed = false,
  into?: Float32Array,
): { data: Float32Array; rows: number; cols: number } {
  const [N, D, H, W, C] = shape;
  const [kd, kh, kw] = kernel as [number, number, number];
  const [pd, ph, pw] = pad as [number, number, number];
  const Do = D + 2 * pd - kd + 1;
  const Ho = H + 2 * ph - kh + 1;
  const Wo = W + 2 * pw - kw + 1;
  const M = N * Do * Ho * Wo;
  const KC = kd * kh * kw * C;
  if (into && into.length !== M * KC) throw new RangeError(`im2colData: output must hold ${M * KC} values, got ${into.length}`);
  const out = into ?? new Float32Array(M * KC);
  if (into) into.fill(0); // the padding
  if (!transposed) {
    // Row m = (n, d, h, w): for each (a, b), the kw taps that fall inside the input are one
    // contiguous run of x (consecutive w) and of the row (consecutive column blocks).
    for (let n = 0; n < N; n++)
      for (let d = 0; d < Do; d++)
        for (let a = 0; a < kd; a++) {
          const di = d + a - pd;
          if (di < 0 || di >= D) continue;
          for (let h = 0; h < Ho; h++) {
            const m0 = ((n * Do + d) * Ho + h) * Wo;
            for (let b = 0; b < kh; b++) {
              const hi = h + b - ph;
              if (hi < 0 || hi >= H) continue;
              const rowBase = ((n * D + di) * H + hi) * W;
              const tap0 = (a * kh + b) * kw;
              for (let w = 0; w < Wo; w++) {
                const c0 = Math.max(0, pw - w);
                const c1 = Math.min(kw, W + pw - w);
                if (c1 <= c0) continue;
                const dst = (m0 + w) * KC + (tap0 + c0) * C;
                const src = (rowBase + w + c0 - pw) * C;
                const len = (c1 - c0) * C;
                for (let j = 0; j < len; j++) out[dst + j] = x[src + j];
              }
            }
          }
        }
    return { data: out, rows: M, cols: KC };
  }
  for (let n = 0; n < N; n++)
    for (let d = 0; d < Do; d++)
      for (let a = 0; a < kd; a++) {
        const di = d + a - pd;
        if (di < 0 || di >= D) continue;
        for (let h = 0; h < Ho; h++) {
          const m0 = ((n * Do + d) * Ho + h) * Wo; // first output row of this (n, d, h)
          for (let b = 0; b < kh; b++) {
            const hi = h + b - ph;
            if (hi < 0 || hi >= H) continue;
            const rowBase = ((n * D + di) * H + hi) * W; // x index of (n, di, hi, 0) / C
            for (let c = 0; c < kw; c++) {
              const col0 = ((a * kh + b) * kw + c) * C;
              // output columns w whose input column w + c − pw lies inside [0, W)
              const w0 = Math.max(0, pw - c);
              const w1 = Math.min(Wo, W + pw - c);
              for (let ch = 0; ch < C; ch++) {
                const dst = (col0 + ch) * M + m0;
                let src = (rowBase + w0 + c - pw) * C + ch;
                for (let w = w0; w < w1; w++, src += C) out[dst + w] = x[src];
              }
            }
          }
        }
      }
  return { data: out, rows: KC, cols: M };
}

/** Transpose of a row-major [R, C] matrix. */
export function transpose2d(src: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = src[r * C + c];
  return out;
}

/** [A, B, R] → [B, A, R] of contiguous blocks of R values. */
function swapBlocks(src: Float32Array, A: number, B: number, R: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) out.set(src.subarray((a * B + b) * R, (a * B + b + 1) * R), (b * A + a) * R);
  return out;
}

/** Swap the first two axes of x (gradient: the same swap back). */
export function swapLeadingAxes(x: Tensor): Tensor {
  const [A, B, ...rest] = x.shape as number[];
  if (x.rank < 2) throw new RangeError(`swapLeadingAxes: x must have rank >= 2, got shape [${x.shape}]`);
  const R = rest.reduce((p, q) => p * q, 1);
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => ({
    value: tf.tensor(swapBlocks((args[0] as Tensor).dataSync() as Float32Array, A, B, R), [B, A, ...rest]),
    gradFunc: (dy: Tensor) => [tf.tensor(swapBlocks(dy.dataSync() as Float32Array, B, A, R), x.shape)],
  }));
  return f(x);
}

/**
 * Depth-to-space [N, D, H, W, kd·kh·kw·C] (last axis ordered kd, kh, kw, C) → [N, kd·D, kh·H, kw·W, C];
 * `inverse` goes back (the gradient of either is the other).
 */
function depthToSpaceData(
  src: Float32Array,
  N: number,
  D: number,
  H: number,
  W: number,
  k: readonly number[],
  C: number,
  inverse: boolean,
): Float32Array {
  const [kd, kh, kw] = k as [number, number, number];
  const out = new Float32Array(src.length);
  let q = 0;
  for (let n = 0; n < N; n++)
    for (let d = 0; d < D; d++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++)
          for (let a = 0; a < kd; a++)
            for (let b = 0; b < kh; b++)
              for (let c = 0; c < kw; c++, q += C) {
                const o = (((n * D * kd + d * kd + a) * H * kh + h * kh + b) * W * kw + w * kw + c) * C;
                // Plain loops: a subarray per block of C values (8–128) made garbage on every step.
                if (inverse) for (let j = 0; j < C; j++) out[q + j] = src[o + j];
                else for (let j = 0; j < C; j++) out[o + j] = src[q + j];
              }
  return out;
}

export function depthToSpace(x: Tensor, k: readonly number[], C: number): Tensor {
  const [N, D, H, W, KC] = x.shape as unknown as Shape5;
  if (x.rank !== 5 || KC !== k[0] * k[1] * k[2] * C)
    throw new RangeError(`depthToSpace: x must be [N, D, H, W, ${k[0] * k[1] * k[2] * C}], got shape [${x.shape}]`);
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => ({
    value: tf.tensor(depthToSpaceData((args[0] as Tensor).dataSync() as Float32Array, N, D, H, W, k, C, false), [
      N,
      D * k[0],
      H * k[1],
      W * k[2],
      C,
    ]),
    gradFunc: (dy: Tensor) => [tf.tensor(depthToSpaceData(dy.dataSync() as Float32Array, N, D, H, W, k, C, true), x.shape)],
  }));
  return f(x);
}

/**
 * depthToSpace(x) + bias [C] on the last axis as one op (the strided transposed convolution's
 * reshuffle and bias): the gradient is the inverse reshuffle of dy and, for the bias, dy's sums over
 * every position (accumulated in float64), so no rank-5 broadcast and no tfjs Sum kernel are needed.
 */
export function depthToSpaceBias(x: Tensor, k: readonly number[], C: number, bias: Tensor): Tensor {
  const [N, D, H, W, KC] = x.shape as unknown as Shape5;
  if (x.rank !== 5 || KC !== k[0] * k[1] * k[2] * C)
    throw new RangeError(`depthToSpaceBias: x must be [N, D, H, W, ${k[0] * k[1] * k[2] * C}], got shape [${x.shape}]`);
  if (bias.rank !== 1 || bias.shape[0] !== C) throw new RangeError(`depthToSpaceBias: bias must be [${C}], got shape [${bias.shape}]`);
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const out = depthToSpaceData((args[0] as Tensor).dataSync() as Float32Array, N, D, H, W, k, C, false);
    const b = (args[1] as Tensor).dataSync() as Float32Array;
    for (let i = 0; i < out.length; i += C) for (let j = 0; j < C; j++) out[i + j] += b[j];
    return {
      value: tf.tensor(out, [N, D * k[0], H * k[1], W * k[2], C]),
      gradFunc: (dy: Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const sums = new Float64Array(C);
        for (let i = 0; i < g.length; i += C) for (let j = 0; j < C; j++) sums[j] += g[i + j];
        return [tf.tensor(depthToSpaceData(g, N, D, H, W, k, C, true), x.shape), tf.tensor1d(Float32Array.from(sums))];
      },
    };
  });
  return f(x, bias);
}

const pools = new Map<string, (x: Tensor) => Tensor>();

/** Pool(2) over D, H, W (kernel 2, stride 2, floor) of channels-last [N, D, H, W, C]: 'max' (first maximum gets the gradient) or 'avg'. */
export function pool2(x: Tensor, kind: 'max' | 'avg'): Tensor {
  const [N, D, H, W, C] = x.shape as unknown as Shape5;
  const [Do, Ho, Wo] = [Math.floor(D / 2), Math.floor(H / 2), Math.floor(W / 2)];
  if (x.rank !== 5 || Do < 1 || Ho < 1 || Wo < 1)
    throw new RangeError(`pool: x must be [N, D >= 2, H >= 2, W >= 2, C], got shape [${x.shape}]`);
  const key = `${kind}:${x.shape}`;
  let f = pools.get(key);
  if (!f) {
    const outShape = [N, Do, Ho, Wo, C];
    const size = N * Do * Ho * Wo * C;
    // The 8 taps of a 2×2×2 window as offsets from its first value; one base offset per output cell.
    const taps = [0, 1, W, W + 1, H * W, H * W + 1, H * W + W, H * W + W + 1].map((t) => t * C);
    const bases = new Int32Array(N * Do * Ho * Wo);
    let q0 = 0;
    for (let n = 0; n < N; n++)
      for (let d = 0; d < Do; d++)
        for (let h = 0; h < Ho; h++) for (let w = 0; w < Wo; w++) bases[q0++] = (((n * D + 2 * d) * H + 2 * h) * W + 2 * w) * C;
    const [t0, t1, t2, t3, t4, t5, t6, t7] = taps;
    f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
      const src = (args[0] as Tensor).dataSync() as Float32Array;
      const out = new Float32Array(size);
      const arg = kind === 'max' ? new Int32Array(size) : null;
      for (let cell = 0, o = 0; cell < bases.length; cell++) {
        const base = bases[cell];
        for (let ch = 0; ch < C; ch++, o++) {
          const i = base + ch;
          if (arg) {
            // First maximum in the window order (a, b, c) gets the gradient.
            let at = i + t0;
            if (src[i + t1] > src[at]) at = i + t1;
            if (src[i + t2] > src[at]) at = i + t2;
            if (src[i + t3] > src[at]) at = i + t3;
            if (src[i + t4] > src[at]) at = i + t4;
            if (src[i + t5] > src[at]) at = i + t5;
            if (src[i + t6] > src[at]) at = i + t6;
            if (src[i + t7] > src[at]) at = i + t7;
            out[o] = src[at];
            arg[o] = at;
          } else {
            out[o] = (src[i + t0] + src[i + t1] + src[i + t2] + src[i + t3] + src[i + t4] + src[i + t5] + src[i + t6] + src[i + t7]) / 8;
          }
        }
      }
      return {
        value: tf.tensor(out, outShape),
        gradFunc: (dy: Tensor) => {
          const g = dy.dataSync() as Float32Array;
          const dx = new Float32Array(N * D * H * W * C);
          if (arg) for (let i = 0; i < size; i++) dx[arg[i]] += g[i];
          else
            for (let cell = 0, o = 0; cell < bases.length; cell++) {
              const base = bases[cell];
              for (let ch = 0; ch < C; ch++, o++) {
                const v = g[o] / 8;
                for (const t of taps) dx[base + ch + t] = v;
              }
            }
          return [tf.tensor(dx, [N, D, H, W, C])];
        },
      };
    });
    pools.set(key, f);
  }
  return f(x);
}
