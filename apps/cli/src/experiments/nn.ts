/**
 * Small tfjs building blocks shared by the benchmark experiments: Linear layers with PyTorch's
 * default init, the ODE field's SII / baseline weights, a weighted cross-entropy with a hand-written
 * gradient, the linear learning-rate schedule and mean ± std.
 */
import { heInit, siiInit, type SlopeCompensation } from '@sii/init';
import { Rng } from '@sii/linalg';
import { linearInit, type MlpSpec, type MlpWeights } from '@sii/mlp';
import { MlpVectorField, NeuralODE } from '@sii/neural-ode';
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs-core';

export type InitName = 'sii' | 'baseline';
export const INIT_NAMES: readonly InitName[] = ['sii', 'baseline'];

/** Linear layer y = x·W + b (W in × out) with PyTorch's default init U(±1/√in) (@sii/mlp's linearInit), from `rng`. */
export class Linear {
  readonly w: Variable;
  readonly b: Variable;
  constructor(
    readonly inDim: number,
    readonly outDim: number,
    rng: Rng,
  ) {
    const { weight, bias } = linearInit(inDim, outDim, rng);
    // tidy disposes the initial tensors (variables survive it); tf.variable keeps its own reference.
    [this.w, this.b] = tf.tidy(() => [
      tf.variable(tf.tensor2d(Float32Array.from(weight.data), [inDim, outDim])),
      tf.variable(tf.tensor1d(Float32Array.from(bias))),
    ]);
  }
  apply(x: Tensor2D): Tensor2D {
    return tf.add(tf.matMul(x, this.w), this.b) as Tensor2D;
  }
  get variables(): Variable[] {
    return [this.w, this.b];
  }
  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}

export interface FieldConfig {
  states: number;
  inputs: number;
  hidden: number;
  layers: number;
  activation: MlpSpec['activation'];
  solver: string;
  h: number;
  /** SII margin (spec: −0.01). */
  eps: number;
  /**
   * siiInit's activation-slope compensation (default 'none', the authors' code: SiLU with L = 3
   * starts with poles λ/4; 'max': λ·(σ'(0)/sup σ')^(L−1), 0.207·λ; 'exact': λ for any activation).
   */
  compensation?: SlopeCompensation;
}

/**
 * Weights of the ODE's MLP: SII (real poles, margin eps, the chosen solver's region, scaled by 1/h)
 * or the baseline (PyTorch default Linear init, "He" in the paper).
 */
export function fieldWeights(init: InitName, c: FieldConfig, rng: Rng): MlpWeights & { poles?: { re: number; im: number }[] } {
  const spec: MlpSpec = { states: c.states, inputs: c.inputs, hidden: c.hidden, layers: c.layers, activation: c.activation };
  if (init === 'sii') {
    const r = siiInit({ ...spec, solver: c.solver, h: c.h, eps: c.eps, complex: false, compensation: c.compensation ?? 'none', rng });
    return { weights: r.weights, biases: r.biases, poles: r.poles.map((p) => ({ re: p.re, im: p.im })) };
  }
  if (init === 'baseline') return heInit(spec, rng);
  throw new RangeError(`init must be 'sii' or 'baseline', got ${JSON.stringify(init)}`);
}

/** The ODE of one arm: field initialised per `init` from the task seed's 'field:<init>' stream. */
export function buildOde(
  init: InitName,
  c: FieldConfig,
  seed: string,
): { field: MlpVectorField; ode: NeuralODE; poles?: { re: number; im: number }[] } {
  const w = fieldWeights(init, c, new Rng(seed).fork(`field:${init}`));
  const field = new MlpVectorField(
    { states: c.states, inputs: c.inputs, hidden: c.hidden, layers: c.layers, activation: c.activation },
    { weights: w.weights, biases: w.biases },
  );
  return { field, ode: new NeuralODE(field, { method: c.solver, step: c.h, checkFinite: false }), poles: w.poles };
}

/** Loss weights w_s = linspace(0.1, 1, T)^4 (METHOD.md §7), not normalised. */
export function stepWeights(T: number): Float32Array {
  const w = new Float32Array(T);
  for (let s = 0; s < T; s++) {
    const x = T === 1 ? 1 : 0.1 + (0.9 * s) / (T - 1);
    w[s] = x ** 4;
  }
  return w;
}

/**
 * Σ_s w_s · mean_b CE(logits[s, b, :], y_b) for logits [T, B, C], one-hot targets [B, C] and
 * weights [T]. Hand-written gradient w_s/B · (softmax − onehot): tfjs' log-softmax goes through
 * Max, which has no registered gradient on this backend.
 */
export function weightedCrossEntropy(logits: Tensor, onehot: Tensor2D, weights: Tensor): Scalar {
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [z, save] = [args[0] as Tensor, args[1] as tf.GradSaveFunc];
    const [T, B, C] = z.shape as [number, number, number];
    const shifted = tf.sub(z, tf.max(z, -1, true));
    const lse = tf.log(tf.sum(tf.exp(shifted), -1, true));
    const logp = tf.sub(shifted, lse); // [T, B, C]
    const ce = tf.neg(tf.sum(tf.mul(logp, tf.reshape(onehot, [1, B, C])), -1)); // [T, B]
    const value = tf.sum(tf.mul(tf.mean(ce, 1), weights)) as Scalar;
    // the targets and weights too: the caller may dispose them before the backward pass
    save([logp, onehot, weights]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const p = tf.exp(saved[0]);
        const scale = tf.reshape(tf.div(saved[2], B), [T, 1, 1]);
        return [tf.mul(tf.mul(tf.sub(p, tf.reshape(saved[1], [1, B, C])), scale), dy)];
      },
    };
  });
  return f(logits);
}

/** One-hot [B, C] of integer labels. */
export function oneHot(labels: Int32Array, classes: number): Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32') as Tensor2D);
}

/** torch LinearLR(start 1, end `end`, total_iters = epochs): factor of epoch e (0-based). */
export function linearLrFactor(epoch: number, epochs: number, end = 0.1): number {
  return 1 + ((end - 1) * Math.min(epoch, epochs)) / Math.max(1, epochs);
}

/** Mean and sample standard deviation (n − 1; 0 for a single value), NaN-free inputs only. */
export function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const v = xs.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n };
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** "mean ± std" with `digits` decimals (scale applied first, e.g. 100 for percent); non-finite values are left out and counted. */
export function fmtMeanStd(xs: readonly number[], digits = 4, scale = 1): string {
  const { mean, std, n } = meanStd(xs.map((x) => x * scale));
  if (n === 0) return 'n/a';
  const text = n > 1 ? `${mean.toFixed(digits)} ± ${std.toFixed(digits)}` : `${mean.toFixed(digits)}`;
  // Diverged runs have no finite metric: say over how many runs the statistics are taken.
  return n < xs.length ? `${text} (${n} of ${xs.length} runs)` : text;
}

/** Standard-normal Float32Array from a seeded Rng. */
export function normalArray(rng: Rng, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal();
  return out;
}

/** Read a scalar tensor and dispose it. */
export function scalarOf(t: Tensor): number {
  const v = (t.dataSync() as Float32Array)[0];
  t.dispose();
  return v;
}
