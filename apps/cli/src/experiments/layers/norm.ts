/**
 * Normalisation layers of the latent-dynamics model on channels-last tensors [N, D, H, W, C]:
 * torch BatchNorm3d (training: batch statistics over N, D, H, W and running averages with momentum
 * 0.1 and the unbiased variance; evaluation: the running averages) and GroupNorm(G, C) (statistics
 * per sample and group of C/G channels over D, H, W, the same in training and evaluation).
 * eps 1e-5, weight 1, bias 0 at init, as torch.
 */

import { type BatchStats, batchNormActSimd } from '@sii/neural-ode/internal';
import type { Tensor, Tensor5D, Variable } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

export const NORM_EPS = 1e-5;

const normalizers = new Map<string, (x: Tensor) => Tensor>();

/**
 * (x − mean) / √(var + eps) with mean and biased variance over `axes`. Hand-written gradient
 * dx = r·(dy − mean(dy) − x̂·mean(dy·x̂)), r = 1/√(var + eps), means over `axes`.
 */
export function normalize(x: Tensor, axes: readonly number[]): Tensor {
  const key = axes.join(',');
  let f = normalizers.get(key);
  if (!f) {
    f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
      const [v, save] = [args[0] as Tensor, args[1] as tf.GradSaveFunc];
      const ax = [...axes];
      const mean = tf.mean(v, ax, true);
      const centred = tf.sub(v, mean);
      const r = tf.rsqrt(tf.add(tf.mean(tf.square(centred), ax, true), NORM_EPS));
      const xhat = tf.mul(centred, r);
      save([xhat, r]);
      return {
        value: xhat,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [sx, sr] = saved as [Tensor, Tensor];
          const g = dy;
          return [tf.mul(sr, tf.sub(tf.sub(g, tf.mean(g, ax, true)), tf.mul(sx, tf.mean(tf.mul(g, sx), ax, true))))];
        },
      };
    });
    normalizers.set(key, f);
  }
  return f(x);
}

export class BatchNorm {
  readonly gamma: Variable;
  readonly beta: Variable;
  readonly runningMean: Variable;
  readonly runningVar: Variable;
  constructor(
    readonly channels: number,
    readonly momentum = 0.1,
  ) {
    [this.gamma, this.beta, this.runningMean, this.runningVar] = tf.tidy(() => [
      tf.variable(tf.ones([channels])),
      tf.variable(tf.zeros([channels])),
      tf.variable(tf.zeros([channels]), false),
      tf.variable(tf.ones([channels]), false),
    ]);
  }
  apply(x: Tensor5D, training: boolean): Tensor5D {
    const C = this.channels;
    if (x.shape[4] !== C) throw new RangeError(`BatchNorm: expected ${C} channels, got shape [${x.shape}]`);
    if (!training) {
      const r = tf.rsqrt(tf.add(this.runningVar, NORM_EPS));
      return tf.add(tf.mul(tf.sub(x, this.runningMean), tf.mul(r, this.gamma)), this.beta) as Tensor5D;
    }
    const flat = tf.reshape(x, [-1, C]);
    const M = flat.shape[0];
    // Running averages (no gradient: plain values outside the loss).
    tf.tidy(() => {
      const m = tf.mean(flat, 0);
      this.updateRunning(m, tf.mean(tf.square(tf.sub(flat, m)), 0), M);
    });
    return tf.reshape(tf.add(tf.mul(normalize(flat, [0]), this.gamma), this.beta), x.shape) as Tensor5D;
  }

  /**
   * Training-mode BatchNorm followed by SiLU as one op on neural-ode's SIMD kernels (the same
   * function as `silu(apply(x, true))` to float32 rounding; statistics summed in float64).
   */
  applySiluSimd(x: Tensor5D): Tensor5D {
    if (x.shape[4] !== this.channels) throw new RangeError(`BatchNorm: expected ${this.channels} channels, got shape [${x.shape}]`);
    let stats = null as BatchStats | null;
    const y = batchNormActSimd(x, this.gamma, this.beta, 'silu', NORM_EPS, (s) => {
      stats = s;
    }) as Tensor5D;
    if (stats) this.trackBatch(stats);
    return y;
  }

  /**
   * Update the running averages from one training batch's statistics (mean, biased variance over
   * `count` rows): the float32 arithmetic of `updateRunning` (each product and sum rounded to float32,
   * the same constants) done on the few per-channel values in JavaScript, so that it adds no tfjs
   * kernels (and no saved tensors) to the training step.
   */
  trackBatch(s: BatchStats): void {
    const f = Math.fround;
    const keep = f(1 - this.momentum);
    const mom = f(this.momentum);
    const unbias = f(s.count / Math.max(1, s.count - 1));
    const rm = this.runningMean.dataSync();
    const rv = this.runningVar.dataSync();
    const mean = new Float32Array(this.channels);
    const variance = new Float32Array(this.channels);
    for (let c = 0; c < this.channels; c++) {
      mean[c] = f(f(rm[c] * keep) + f(s.mean[c] * mom));
      variance[c] = f(f(rv[c] * keep) + f(f(s.variance[c] * unbias) * mom));
    }
    tf.tidy(() => {
      this.runningMean.assign(tf.tensor1d(mean));
      this.runningVar.assign(tf.tensor1d(variance));
    });
  }

  /** torch's update: momentum-weighted mean and unbiased variance (biased · M/(M − 1)). */
  private updateRunning(mean: Tensor, biasedVar: Tensor, M: number): void {
    const v = tf.mul(biasedVar, M / Math.max(1, M - 1));
    this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - this.momentum), tf.mul(mean, this.momentum)));
    this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - this.momentum), tf.mul(v, this.momentum)));
  }
  get variables(): Variable[] {
    return [this.gamma, this.beta];
  }
  dispose(): void {
    for (const v of [this.gamma, this.beta, this.runningMean, this.runningVar]) v.dispose();
  }
}

export class GroupNorm {
  readonly gamma: Variable;
  readonly beta: Variable;
  constructor(
    readonly groups: number,
    readonly channels: number,
  ) {
    if (!(Number.isInteger(groups) && groups >= 1 && channels % groups === 0))
      throw new RangeError(`GroupNorm: channels (${channels}) must be a multiple of groups (${groups})`);
    [this.gamma, this.beta] = tf.tidy(() => [tf.variable(tf.ones([channels])), tf.variable(tf.zeros([channels]))]);
  }
  apply(x: Tensor5D): Tensor5D {
    const [N, D, H, W, C] = x.shape;
    if (C !== this.channels) throw new RangeError(`GroupNorm: expected ${this.channels} channels, got shape [${x.shape}]`);
    const g = tf.reshape(x, [N, D * H * W, this.groups, C / this.groups]);
    const xhat = tf.reshape(normalize(g, [1, 3]), x.shape);
    return tf.add(tf.mul(xhat, this.gamma), this.beta) as Tensor5D;
  }
  get variables(): Variable[] {
    return [this.gamma, this.beta];
  }
  dispose(): void {
    this.gamma.dispose();
    this.beta.dispose();
  }
}

/** Sizes of a group-normalised tensor: N samples, S positions, C channels in G groups. */
interface GroupDims {
  N: number;
  S: number;
  C: number;
  G: number;
}

/** Per sample and group: the mean and r = 1/√(biased variance + eps) of x, float64. */
function groupStats(xs: Float32Array, { N, S, C, G }: GroupDims): { mean: Float64Array; r: Float64Array } {
  const cg = C / G;
  const count = S * cg;
  const mean = new Float64Array(N * G);
  const r = new Float64Array(N * G);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      let sum = 0;
      for (let s = 0; s < S; s++) {
        const at = (n * S + s) * C + g * cg;
        for (let j = 0; j < cg; j++) sum += xs[at + j];
      }
      const m = sum / count;
      let sq = 0;
      for (let s = 0; s < S; s++) {
        const at = (n * S + s) * C + g * cg;
        for (let j = 0; j < cg; j++) {
          const e = xs[at + j] - m;
          sq += e * e;
        }
      }
      mean[n * G + g] = m;
      r[n * G + g] = 1 / Math.sqrt(sq / count + NORM_EPS);
    }
  }
  return { mean, r };
}

/** y = relu(γ·x̂ + β). */
function groupNormReluForward(xs: Float32Array, ga: Float32Array, be: Float32Array, mean: Float64Array, r: Float64Array, d: GroupDims): Float32Array {
  const { N, S, C, G } = d;
  const cg = C / G;
  const y = new Float32Array(xs.length);
  for (let n = 0, i = 0; n < N; n++)
    for (let s = 0; s < S; s++)
      for (let c = 0; c < C; c++, i++) {
        const k = n * G + Math.floor(c / cg);
        const u = ga[c] * ((xs[i] - mean[k]) * r[k]) + be[c];
        y[i] = u > 0 ? u : 0;
      }
  return y;
}

/** dx, dγ, dβ of {@link groupNormReluForward} for dy. */
function groupNormReluBackward(
  xs: Float32Array,
  ga: Float32Array,
  be: Float32Array,
  mean: Float64Array,
  r: Float64Array,
  dy: Float32Array,
  d: GroupDims,
): { dx: Float32Array; dg: Float32Array; db: Float32Array } {
  const { N, S, C, G } = d;
  const cg = C / G;
  const count = S * cg;
  const dg = new Float64Array(C);
  const db = new Float64Array(C);
  const v = new Float64Array(xs.length); // du·γ
  const m1 = new Float64Array(N * G); // Σ du·γ per sample and group
  const m2 = new Float64Array(N * G); // Σ du·γ·x̂
  for (let n = 0, i = 0; n < N; n++)
    for (let s = 0; s < S; s++)
      for (let c = 0; c < C; c++, i++) {
        const k = n * G + Math.floor(c / cg);
        const xh = (xs[i] - mean[k]) * r[k];
        const du = ga[c] * xh + be[c] > 0 ? dy[i] : 0;
        dg[c] += du * xh;
        db[c] += du;
        v[i] = du * ga[c];
        m1[k] += v[i];
        m2[k] += v[i] * xh;
      }
  const dx = new Float32Array(xs.length);
  for (let n = 0, i = 0; n < N; n++)
    for (let s = 0; s < S; s++)
      for (let c = 0; c < C; c++, i++) {
        const k = n * G + Math.floor(c / cg);
        dx[i] = r[k] * (v[i] - m1[k] / count - (xs[i] - mean[k]) * r[k] * (m2[k] / count));
      }
  return { dx, dg: Float32Array.from(dg), db: Float32Array.from(db) };
}

/**
 * relu(γ·GroupNorm(x) + β) for x [N, D, H, W, C] as one op computed in float64 (the latent model's
 * decoder entry on its 'simd' path; the same function as `tf.relu(gn.apply(x))`, to float32
 * rounding): statistics per sample and group of C/G channels over D·H·W (mean, biased variance, eps
 * 1e-5), x̂ = (x − mean)·r, r = 1/√(var + eps). Backward, per sample and group with du = dy·[u > 0]:
 * dγ = Σ du·x̂, dβ = Σ du, dx = r·(du·γ − mean(du·γ) − x̂·mean(du·γ·x̂)). The values it needs backward
 * are JavaScript copies held by the gradient (nothing saved on the tape).
 */
export function groupNormRelu(x: Tensor5D, groups: number, gamma: Tensor, beta: Tensor): Tensor5D {
  const [N, D, H, W, C] = x.shape;
  if (x.rank !== 5) throw new RangeError(`groupNormRelu: x must be [N, D, H, W, C], got shape [${x.shape}]`);
  if (!(Number.isInteger(groups) && groups >= 1 && C % groups === 0))
    throw new RangeError(`groupNormRelu: channels (${C}) must be a multiple of groups (${groups})`);
  for (const [name, t] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const)
    if (t.rank !== 1 || t.shape[0] !== C) throw new RangeError(`groupNormRelu: ${name} must be [${C}], got shape [${t.shape}]`);
  const dims: GroupDims = { N, S: D * H * W, C, G: groups };
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [xs, ga, be] = (args.slice(0, 3) as Tensor[]).map((t) => t.dataSync() as Float32Array);
    const { mean, r } = groupStats(xs, dims);
    return {
      value: tf.tensor5d(groupNormReluForward(xs, ga, be, mean, r, dims), [N, D, H, W, C]),
      gradFunc: (dy: Tensor) => {
        const g = groupNormReluBackward(xs, ga, be, mean, r, dy.dataSync() as Float32Array, dims);
        return [tf.tensor5d(g.dx, [N, D, H, W, C]), tf.tensor1d(g.dg), tf.tensor1d(g.db)];
      },
    };
  }) as (a: Tensor, b: Tensor, c: Tensor) => Tensor5D;
  return op(x, gamma, beta);
}
