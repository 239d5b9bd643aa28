/**
 * Parameterised layers with torch's default init: weight and bias U(±1/√fan_in) (kaiming_uniform with
 * a = √5), fan_in = Cin·kd·kh·kw for Conv3d and Cout·kd·kh·kw for ConvTranspose3d (torch reads it
 * from the weight's dimension 1, which is Cout for a transposed convolution).
 */
import type { Rng } from '@sii/linalg';
import type { Tensor, Tensor2D, Tensor5D, Variable } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { addChannelBias, type ConvImpl, conv3d, convTranspose3dStrided, type Triple } from './conv3d.js';

function uniformVariable(shape: number[], bound: number, rng: Rng): Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const v = rng.fillUniform(new Float64Array(size), -bound, bound);
  return tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(v), shape)));
}

/**
 * Stride-1 Conv3d (kernel [kd, kh, kw, Cin, Cout], padding `pad`). `transposedFrom` builds the
 * equivalent of a stride-1 ConvTranspose3d(Cin → Cout, kernel, padding p) instead: the same
 * convolution with padding k − 1 − p, its init bound taken from the transposed layer's fan_in.
 */
export class Conv3d {
  readonly w: Variable;
  readonly b: Variable;
  readonly pad: Triple;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: Triple,
    pad: Triple,
    rng: Rng,
    readonly impl: ConvImpl = 'im2col',
    transposedFrom = false,
  ) {
    const k = kernel[0] * kernel[1] * kernel[2];
    const bound = 1 / Math.sqrt((transposedFrom ? outChannels : inChannels) * k);
    this.pad = transposedFrom ? [kernel[0] - 1 - pad[0], kernel[1] - 1 - pad[1], kernel[2] - 1 - pad[2]] : pad;
    this.w = uniformVariable([...kernel, inChannels, outChannels], bound, rng.fork('weight'));
    this.b = uniformVariable([outChannels], bound, rng.fork('bias'));
  }
  apply(x: Tensor5D): Tensor5D {
    return conv3d(x, this.w as unknown as Tensor5D, this.pad, this.impl, this.b);
  }
  get variables(): Variable[] {
    return [this.w, this.b];
  }
  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}

/** ConvTranspose3d with stride = kernel and no padding; weight [Cin, kd·kh·kw·Cout]. */
export class ConvTranspose3dStrided {
  readonly w: Variable;
  readonly b: Variable;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: Triple,
    rng: Rng,
    /** 'simd': the bias is added inside the reshuffle (depthToSpaceBias); otherwise a broadcast add (the reference). */
    readonly impl: ConvImpl = 'im2col',
  ) {
    const k = kernel[0] * kernel[1] * kernel[2];
    const bound = 1 / Math.sqrt(outChannels * k);
    this.w = uniformVariable([inChannels, k * outChannels], bound, rng.fork('weight'));
    this.b = uniformVariable([outChannels], bound, rng.fork('bias'));
  }
  apply(x: Tensor5D): Tensor5D {
    if (this.impl === 'simd') return convTranspose3dStrided(x, this.w as unknown as Tensor2D, this.kernel, this.b, 'simd');
    return addChannelBias(convTranspose3dStrided(x, this.w as unknown as Tensor2D, this.kernel), this.b);
  }
  get variables(): Variable[] {
    return [this.w, this.b];
  }
  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}

/** SiLU x·σ(x) from ops with registered gradients. */
export function silu<T extends Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}

/** Inverted dropout (torch nn.Dropout): zero each element with probability p, scale the rest by 1/(1 − p); mask from `rng`. */
export function dropout<T extends Tensor>(x: T, p: number, rng: Rng): T {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  if (p === 0) return x;
  const mask = new Float32Array(x.size);
  const keep = 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < p ? 0 : keep;
  return tf.mul(x, tf.tensor(mask, x.shape)) as T;
}
