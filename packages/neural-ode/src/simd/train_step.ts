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
  /** Loss on x_1 … x_T ('all', targets [T, batch, n]) or on x_T ('final', targets [batch, n]). */
  output: 'all' | 'final';
  /** Rows per step (x_0 [batch, n]); default: from each step's x_0. */
  batch?: number;
  /** Steps of the rollout T; default: from each step's target ('all') or inputs; needed for 'final' without inputs. */
  steps?: number;
  /** Rows of the inputs u [T, inputBatch, m] of a field with inputs: the batch (default) or 1. */
  inputBatch?: number;
}

export interface SimdStepResult {
  /** Loss before the update. */
  loss: number;
  /** Global gradient norm before clipping. */
  norm: number;
  /** Set when the loss or the norm was not finite: no update was applied. */
  skipped?: true;
}

export class SimdTrainStep {
  readonly optimizer: SimdMomentOptimizer;
  readonly output: 'all' | 'final';
  private readonly field: MlpVectorField;
  /** Sizes of W_0, b_0, W_1, … (the variables' order). */
  private readonly sizes: number[];
  private readonly base: Omit<SimdRolloutProblem, 'batch' | 'steps' | 'uBatch'>;
  private readonly opts: SimdTrainStepOptions;
  private readonly problems = new Map<string, SimdRolloutProblem>();
  /** A JS copy of the flat parameters (then of the gradient) and its pieces W_l, b_l. */
  private readonly staging: { flat: Float32Array; weights: Float32Array[]; biases: Float32Array[] };

  constructor(ode: NeuralODE, opts: SimdTrainStepOptions) {
    const where = 'SimdTrainStep';
    const field = ode.field;
    if (!(field instanceof MlpVectorField))
      throw new TypeError(`${where}: the NeuralODE's field must be an MlpVectorField, got ${show(field)}`);
    if (!isSimdActivation(field.spec.activation) || simdArena() == null) {
      throw new RangeError(`${where}: the SIMD kernels cannot run this field (activation ${show(field.spec.activation)})`);
    }
    for (const k of ['batch', 'steps'] as const) {
      if (opts?.[k] !== undefined && (!Number.isInteger(opts[k]) || opts[k] < 1))
        throw new RangeError(`${where}: options.${k} must be an integer >= 1, got ${show(opts?.[k])}`);
    }
    if (opts.output !== 'all' && opts.output !== 'final')
      throw new RangeError(`${where}: options.output must be 'all' or 'final', got ${show(opts.output)}`);
    const uBatch = opts.inputBatch;
    if (uBatch !== undefined && uBatch !== opts.batch && uBatch !== 1)
      throw new RangeError(`${where}: options.inputBatch must be the batch or 1, got ${show(uBatch)}`);
    const { states: n, layers: L } = field.spec;
    const vars = field.variables;
    this.field = field;
    this.output = opts.output;
    this.opts = opts;
    this.sizes = vars.map((v) => v.size);
    this.base = {
      n,
      m: field.inputs,
      widths: Array.from({ length: L }, (_, l) => vars[2 * l].shape[1]!),
      activation: field.spec.activation,
      alpha: field.leakyReluAlpha,
      a: ode.tableau.a.map((row) => (row ?? []).map((c) => c * ode.h)),
      b: ode.tableau.b.map((c) => c * ode.h),
      includeInitial: false,
      output: opts.output,
    };
    const flat = new Float32Array(this.sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const v of vars) {
      flat.set(v.dataSync(), at);
      at += v.size;
    }
    this.optimizer = new SimdMomentOptimizer(flat, opts);
    const staged = new Float32Array(flat.length);
    const pieces: Float32Array[] = [];
    at = 0;
    for (const size of this.sizes) {
      pieces.push(staged.subarray(at, at + size));
      at += size;
    }
    this.staging = { flat: staged, weights: pieces.filter((_, i) => i % 2 === 0), biases: pieces.filter((_, i) => i % 2 === 1) };
  }

  /** The rollout problem of a step with these sizes (checked against the data's lengths). */
  private problemOf(x0: Float32Array, target: Float32Array, u: Float32Array | undefined, stepsArg: number | undefined): SimdRolloutProblem {
    const where = 'SimdTrainStep.step';
    const { n, m } = this.base;
    const B = this.opts.batch ?? x0.length / n;
    if (!(x0 instanceof Float32Array) || !Number.isInteger(B) || B < 1 || x0.length !== B * n)
      throw new RangeError(`${where}: x0 must hold ${this.opts.batch ? B * n : `batch × ${n}`} values, got ${x0?.length}`);
    if (m > 0 && !(u instanceof Float32Array))
      throw new RangeError(`${where}: the field has ${m} inputs; u must be a Float32Array, got ${show(u)}`);
    let T = stepsArg ?? this.opts.steps;
    if (T === undefined) {
      if (this.output === 'all') T = target.length / (B * n);
      else if (m > 0) T = u!.length / ((this.opts.inputBatch ?? B) * m);
      else throw new RangeError(`${where}: output 'final' without inputs needs the number of steps (options.steps)`);
    }
    if (!Number.isInteger(T) || T < 1) throw new RangeError(`${where}: the number of steps must be an integer >= 1, got ${show(T)}`);
    const uBatch = m > 0 ? (this.opts.inputBatch ?? (u!.length === T * m && B > 1 ? 1 : B)) : B;
    const uLen = T * uBatch * m;
    if (m > 0 && u!.length !== uLen) throw new RangeError(`${where}: u must hold ${uLen} values (T × ${uBatch} × ${m}), got ${u!.length}`);
    const outLen = this.output === 'final' ? B * n : T * B * n;
    if (!(target instanceof Float32Array) || target.length !== outLen)
      throw new RangeError(`${where}: target must hold ${outLen} values, got ${target?.length}`);
    const key = `${B},${T},${uBatch}`;
    let p = this.problems.get(key);
    if (p === undefined) {
      p = { ...this.base, batch: B, steps: T, uBatch };
      this.problems.set(key, p);
    }
    return p;
  }

  /**
   * One step on x_0 [batch, n], the targets (see options.output) and, for a field with inputs, u
   * [T, inputBatch, m]; returns the loss before the update and the gradient norm. A loss or norm
   * that is NaN or infinite applies no update (the result is flagged `skipped`). `steps` (T) is
   * needed only for output 'final' without inputs when options.steps is not set.
   */
  step(x0: Float32Array, target: Float32Array, u?: Float32Array, steps?: number): SimdStepResult {
    const p = this.problemOf(x0, target, u, steps);
    const opt = this.optimizer;
    // The parameters pass through a JS buffer: a typed-array copy from one WebAssembly memory (the
    // optimizer's) into another (the rollout's) measured ~20× slower in V8 than into or out of a JS
    // array (64 KB: ~47 µs against ~2 + 3 µs).
    const stage = this.staging;
    stage.flat.set(opt.paramsView());
    const rollout = new SimdRollout(p, simdArena()!);
    claimSimdArena(rollout);
    let loss: number;
    try {
      const out = rollout.forward({ weights: stage.weights, biases: stage.biases, x0, u: p.m > 0 ? u! : null });
      const mse = opt.mse(out, target);
      loss = mse.loss;
      // views of the rollout's memory, gathered in the JS buffer, then one copy into the optimizer's
      const grads = rollout.backward(mse.grad, false, undefined, true);
      for (let l = 0; l < p.widths.length; l++) {
        stage.weights[l].set(grads.weights[l]);
        stage.biases[l].set(grads.biases[l]);
      }
      opt.writeGrad(stage.flat, 0);
    } finally {
      releaseSimdArena(rollout);
    }
    const norm = opt.gradNorm();
    if (!Number.isFinite(loss) || !Number.isFinite(norm)) return { loss, norm, skipped: true };
    opt.update(norm);
    return { loss, norm };
  }

  /** Assign the optimizer's parameters to the field's variables. */
  writeBack(): void {
    const params = this.optimizer.paramsView();
    let at = 0;
    this.field.variables.forEach((v) => {
      // a copy: the cpu backend keeps the array it is given, and the view's memory may grow
      tf.tidy(() => v.assign(tf.tensor(params.slice(at, at + v.size), v.shape, 'float32')));
      at += v.size;
    });
  }
}
