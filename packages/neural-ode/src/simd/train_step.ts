/**
 * A whole training step of a neural ODE on the SIMD kernels, without tfjs: the fast rollout forward
 * (SimdRollout), the mean squared error and its gradient, the rollout's backward pass, global-norm
 * clipping and the Adam/NAdam update (SimdMomentOptimizer) — five calls per step over flat float32
 * buffers. The parameters live in the optimizer; `writeBack` assigns them to the field's variables.
 * The tfjs path (fastRollout + @sii/train's trainStep) is the reference it is tested against.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MlpVectorField } from '../mlp.js';
import type { NeuralODE } from '../neural_ode.js';
import { show } from '../validate.js';
import { simdArena } from './kernels.js';
import { isSimdActivation, SimdRollout, type SimdRolloutProblem } from './mlp_rollout.js';
import { SimdMomentOptimizer, type SimdMomentOptions } from './optimizer.js';
import { claimSimdArena, releaseSimdArena } from './rollout_op.js';

export interface SimdTrainStepOptions extends SimdMomentOptions {
  /** Rows per step (x_0 [batch, n]). */
  batch: number;
  /** Steps of the rollout T. */
  steps: number;
  /** Loss on x_1 … x_T ('all', targets [T, batch, n]) or on x_T ('final', targets [batch, n]). */
  output: 'all' | 'final';
  /** Rows of the inputs u [T, inputBatch, m] of a field with inputs: the batch (default) or 1. */
  inputBatch?: number;
}

export class SimdTrainStep {
  readonly optimizer: SimdMomentOptimizer;
  private readonly problem: SimdRolloutProblem;
  private readonly field: MlpVectorField;
  /** Sizes of W_0, b_0, W_1, … (the variables' order). */
  private readonly sizes: number[];

  constructor(ode: NeuralODE, opts: SimdTrainStepOptions) {
    const where = 'SimdTrainStep';
    const field = ode.field;
    if (!(field instanceof MlpVectorField))
      throw new TypeError(`${where}: the NeuralODE's field must be an MlpVectorField, got ${show(field)}`);
    if (!isSimdActivation(field.spec.activation) || simdArena() == null) {
      throw new RangeError(`${where}: the SIMD kernels cannot run this field (activation ${show(field.spec.activation)})`);
    }
    for (const k of ['batch', 'steps'] as const) {
      if (!Number.isInteger(opts?.[k]) || opts[k] < 1)
        throw new RangeError(`${where}: options.${k} must be an integer >= 1, got ${show(opts?.[k])}`);
    }
    if (opts.output !== 'all' && opts.output !== 'final')
      throw new RangeError(`${where}: options.output must be 'all' or 'final', got ${show(opts.output)}`);
    const uBatch = opts.inputBatch ?? opts.batch;
    if (uBatch !== opts.batch && uBatch !== 1)
      throw new RangeError(`${where}: options.inputBatch must be the batch or 1, got ${show(uBatch)}`);
    const { states: n, layers: L } = field.spec;
    const vars = field.variables;
    this.field = field;
    this.sizes = vars.map((v) => v.size);
    this.problem = {
      n,
      m: field.inputs,
      widths: Array.from({ length: L }, (_, l) => vars[2 * l].shape[1]!),
      activation: field.spec.activation,
      alpha: field.leakyReluAlpha,
      batch: opts.batch,
      steps: opts.steps,
      a: ode.tableau.a.map((row) => (row ?? []).map((c) => c * ode.h)),
      b: ode.tableau.b.map((c) => c * ode.h),
      includeInitial: false,
      output: opts.output,
      uBatch,
    };
    const flat = new Float32Array(this.sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const v of vars) {
      flat.set(v.dataSync(), at);
      at += v.size;
    }
    this.optimizer = new SimdMomentOptimizer(flat, opts);
  }

  /**
   * One step on x_0 [batch, n], the targets (see options.output) and, for a field with inputs, u
   * [T, inputBatch, m]; returns the loss before the update and the gradient norm.
   */
  step(x0: Float32Array, target: Float32Array, u?: Float32Array): { loss: number; norm: number } {
    const p = this.problem;
    const uLen = p.steps * p.uBatch * p.m;
    if (p.m > 0 && u?.length !== uLen)
      throw new RangeError(`SimdTrainStep.step: u must hold ${uLen} values (T × ${p.uBatch} × ${p.m}), got ${u?.length}`);
    const outLen = p.output === 'final' ? p.batch * p.n : p.steps * p.batch * p.n;
    if (x0.length !== p.batch * p.n) throw new RangeError(`SimdTrainStep.step: x0 must hold ${p.batch * p.n} values, got ${x0.length}`);
    if (target.length !== outLen) throw new RangeError(`SimdTrainStep.step: target must hold ${outLen} values, got ${target.length}`);
    const params = this.optimizer.params;
    const views: Float32Array[] = [];
    let at = 0;
    for (const size of this.sizes) {
      views.push(params.subarray(at, at + size));
      at += size;
    }
    const rollout = new SimdRollout(p, simdArena()!);
    claimSimdArena(rollout);
    let grads: ReturnType<SimdRollout['backward']>;
    let loss: number;
    try {
      const out = rollout.forward({
        weights: views.filter((_, i) => i % 2 === 0),
        biases: views.filter((_, i) => i % 2 === 1),
        x0,
        u: p.m > 0 ? u! : null,
      });
      const mse = this.optimizer.mse(out, target);
      loss = mse.loss;
      grads = rollout.backward(mse.grad, false);
    } finally {
      releaseSimdArena(rollout);
    }
    const flat = new Float32Array(params.length);
    at = 0;
    for (let l = 0; l < p.widths.length; l++) {
      flat.set(grads.weights[l], at);
      at += grads.weights[l].length;
      flat.set(grads.biases[l], at);
      at += grads.biases[l].length;
    }
    const { norm } = this.optimizer.step(flat);
    return { loss, norm };
  }

  /** Assign the optimizer's parameters to the field's variables. */
  writeBack(): void {
    const params = this.optimizer.params;
    let at = 0;
    this.field.variables.forEach((v) => {
      tf.tidy(() => v.assign(tf.tensor(params.subarray(at, at + v.size), v.shape, 'float32')));
      at += v.size;
    });
  }
}
