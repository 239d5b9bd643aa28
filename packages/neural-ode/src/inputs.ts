/** Inputs u(t) given as samples: zero-order hold (the paper's choice) or linear interpolation. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { assertFiniteNumbers, assertFiniteTensor, assertTensor, show } from './validate.js';

export type Interpolation = 'zoh' | 'linear';

export interface SampledInputOptions {
  /** 'zoh' (default): u(t) = u_k for t_k ≤ t < t_{k+1}; 'linear': straight line between samples. */
  interpolation?: Interpolation;
}

/** Relative tolerance when comparing a query time with sample times (round-off of t0 + k·h). */
const TIME_TOL = 1e-9;

/**
 * u(t) from samples u_k at strictly increasing times t_k. Values: [T, batch, m] or [T, m]
 * (the latter gives [1, m] rows that broadcast over the batch). Outside [t_0, t_{T−1}] the first /
 * last sample is held.
 */
export class SampledInput {
  readonly times: Float64Array;
  readonly values: Tensor3D;
  readonly interpolation: Interpolation;
  private readonly tol: number;

  constructor(times: ArrayLike<number>, values: Tensor | number[][] | number[][][], opts: SampledInputOptions = {}) {
    const where = 'SampledInput';
    const interpolation = opts.interpolation ?? 'zoh';
    if (interpolation !== 'zoh' && interpolation !== 'linear') {
      throw new RangeError(`${where}: interpolation must be 'zoh' or 'linear', got ${show(interpolation)}`);
    }
    if (times == null || typeof times.length !== 'number' || times.length < 1) {
      throw new RangeError(`${where}: times must be a non-empty array, got ${show(times)}`);
    }
    assertFiniteNumbers(where, 'times', times);
    for (let k = 1; k < times.length; k++) {
      if (!(times[k] > times[k - 1])) {
        throw new RangeError(
          `${where}: times must be strictly increasing, got times[${k - 1}] = ${times[k - 1]} and times[${k}] = ${times[k]}`,
        );
      }
    }
    let v: Tensor;
    if (values instanceof tf.Tensor) {
      assertTensor(where, 'values', values);
      v = values.rank === 2 ? tf.expandDims(values, 1) : tf.clone(values);
    } else {
      const arr = tf.tensor(values);
      v = arr.rank === 2 ? tf.expandDims(arr, 1) : arr;
      if (v !== arr) arr.dispose();
    }
    if (v.rank !== 3 || v.shape[0] !== times.length) {
      const shape = v.shape.join(', ');
      v.dispose();
      throw new RangeError(`${where}: values must have shape [${times.length}, batch, m] or [${times.length}, m], got [${shape}]`);
    }
    try {
      assertFiniteTensor(where, 'values', v);
    } catch (err) {
      v.dispose();
      throw err;
    }
    this.times = Float64Array.from(times);
    this.values = tf.keep(v as Tensor3D);
    this.interpolation = interpolation;
    const span = this.times[this.times.length - 1] - this.times[0];
    this.tol = TIME_TOL * Math.max(1, Math.abs(span), Math.abs(this.times[0]));
  }

  get batch(): number {
    return this.values.shape[1];
  }

  get inputs(): number {
    return this.values.shape[2];
  }

  /** Index k of the last sample with t_k ≤ t (within tolerance), clamped to [0, T − 1]. */
  indexAt(t: number): number {
    const ts = this.times;
    if (t < ts[0] + this.tol) return 0;
    let lo = 0;
    let hi = ts.length - 1;
    if (t >= ts[hi] - this.tol) return hi;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (ts[mid] <= t + this.tol) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  private sample(k: number): Tensor2D {
    const [, b, m] = this.values.shape;
    return tf.reshape(tf.slice(this.values, [k, 0, 0], [1, b, m]), [b, m]);
  }

  /** u(t) as [batch, m] (or [1, m]). */
  at(t: number): Tensor2D {
    if (!Number.isFinite(t)) throw new RangeError(`SampledInput.at: t must be finite, got ${show(t)}`);
    const k = this.indexAt(t);
    if (this.interpolation === 'zoh' || k === this.times.length - 1 || t <= this.times[0]) return this.sample(k);
    const t0 = this.times[k];
    const t1 = this.times[k + 1];
    const w = (t - t0) / (t1 - t0);
    if (w <= 0) return this.sample(k);
    return tf.tidy(() => tf.add(tf.mul(this.sample(k), 1 - w), tf.mul(this.sample(k + 1), w)) as Tensor2D);
  }

  dispose(): void {
    this.values.dispose();
  }
}
