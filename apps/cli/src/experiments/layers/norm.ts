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
