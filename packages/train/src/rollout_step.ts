/**
 * A training step whose loss is the mean squared error of a neural ODE's rollout, on one of two
 * engines. 'simd': the whole step — rollout, loss, backward pass, global-norm clipping and the
 * Adam/NAdam update — in @sii/neural-ode's WebAssembly SIMD module (SimdTrainStep), a handful of
 * calls over flat float32 buffers; 'tfjs': the reference, the rollout on the tape and
 * {@link trainStep}. Both compute torch's rules (same loss, clipping and update; see the README for
 * where their float32 roundings differ). 'auto' takes 'simd' where it applies: an MLP vector field on
 * the fast rollout whose engine resolves to 'simd', SIMD worker threads not started, the field's
 * variables trained (all, in their order) by this package's Adam or NAdam.
 *
 * With the 'simd' engine the parameters and moments live in the module between steps: `sync()`
 * writes them back to the variables and the optimizer (fit() does so before every callback and at
 * the end). A change of the variables or of the optimizer's state made outside (an assign, a
 * setState, a step of another loop) is seen at the next step, which starts again from them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor2D, Tensor3D, Variable } from '@tensorflow/tfjs-core';
import { MlpVectorField, type NeuralODE, simdThreads } from '@sii/neural-ode';
import { fastRolloutApplies, fastRolloutEngine, fastRolloutImpl, SimdTrainStep } from '@sii/neural-ode/internal';
import { Adam, NAdam, type Optimizer } from './optimizers.js';
import { show } from './show.js';
import { mse, NonFiniteStepError, type TrainStepResult, trainStep } from './step.js';

/** What runs a rollout training step (see the module comment). */
export type StepEngine = 'auto' | 'simd' | 'tfjs';
export const STEP_ENGINES: readonly StepEngine[] = ['auto', 'simd', 'tfjs'];

/** One batch of a rollout loss. Float32Arrays are row-major with the shapes of the tensors. */
export interface RolloutBatch {
  /** x_0 [batch, n]. */
  x0: Tensor2D | Float32Array;
  /** Inputs u [T, batch (or 1 as a tensor), m] of a field with inputs, else the number of steps T. */
  inputs: Tensor3D | Float32Array | number;
  /** x_1 … x_T [T, batch, n] (output 'all') or x_T [batch, n] ('final'). */
  target: Tensor | Float32Array;
}

export interface RolloutStepOptions {
  ode: NeuralODE;
  /** An optimizer of this package (Adam or NAdam for the 'simd' engine). */
  optimizer: Optimizer;
  /** The variables to train (default: the field's). */
  variables?: readonly Variable[];
  /** Loss on every state x_1 … x_T ('all', default) or on x_T ('final'). */
  output?: 'all' | 'final';
  /** Clip the global gradient norm to this value (torch clip_grad_norm_); off by default. */
  clipNorm?: number;
  /** Default 'auto'. */
  engine?: StepEngine;
}

/** Why the 'simd' engine cannot take these steps (null when it can). */
export function simdStepObstacle(o: RolloutStepOptions): string | null {
  const { ode, optimizer } = o;
  const field = ode.field;
  if (!(field instanceof MlpVectorField)) return 'the field is not an MlpVectorField';
  if (!ode.fast || !fastRolloutApplies(ode)) return "the model does not use the fast rollout (options.fast false or gradMode 'autodiff')";
  if (ode.fastEngine === 'tfjs' || fastRolloutEngine(ode) !== 'simd')
    return `the fast rollout's engine is not 'simd' (fastEngine ${show(ode.fastEngine)}, backend ${show(tf.getBackend())}, activation ${show(field.spec.activation)})`;
  const proto = Object.getPrototypeOf(optimizer);
  if (proto !== Adam.prototype && proto !== NAdam.prototype)
    return `the optimizer is not @sii/train's Adam or NAdam (got ${show(optimizer?.constructor?.name)})`;
  const vars = o.variables ?? field.variables;
  if (vars.length !== field.variables.length || vars.some((v, i) => v !== field.variables[i]))
    return "the variables are not the field's variables in their order";
  return null;
}

const floats = (t: Tensor | Float32Array): Float32Array => (t instanceof Float32Array ? t : (t.dataSync() as Float32Array));

export class RolloutStep {
  readonly ode: NeuralODE;
  readonly optimizer: Optimizer;
  readonly variables: readonly Variable[];
  readonly output: 'all' | 'final';
  readonly clipNorm: number | undefined;
  /** The engine the steps run on. */
  readonly engine: 'simd' | 'tfjs';
  /** Why 'auto' chose 'tfjs' (null when it chose 'simd' or the engine was given). */
  readonly reason: string | null = null;
  private simd: SimdTrainStep | null = null;
  /** The module holds steps the variables and the optimizer do not have yet. */
  private dirty = false;
  /** What the module's state was loaded from / written to: the variables' data and the optimizer's state version. */
  private seen: { ids: unknown[]; version: number } | null = null;

  constructor(o: RolloutStepOptions) {
    const where = 'RolloutStep';
    if (o == null || typeof o !== 'object') throw new TypeError(`${where}: options must be an object, got ${show(o)}`);
    if (o.ode == null || typeof o.ode.rollout !== 'function')
      throw new TypeError(`${where}: options.ode must be a NeuralODE, got ${show(o.ode)}`);
    if (o.optimizer == null || typeof o.optimizer.step !== 'function')
      throw new TypeError(`${where}: options.optimizer must be an optimizer of @sii/train, got ${show(o.optimizer)}`);
    const output = o.output ?? 'all';
    if (output !== 'all' && output !== 'final')
      throw new RangeError(`${where}: options.output must be 'all' or 'final', got ${show(output)}`);
    if (o.clipNorm !== undefined && (!(o.clipNorm > 0) || !Number.isFinite(o.clipNorm)))
      throw new RangeError(`${where}: options.clipNorm must be a finite number > 0, got ${show(o.clipNorm)}`);
    const engine = o.engine ?? 'auto';
    if (!STEP_ENGINES.includes(engine))
      throw new RangeError(`${where}: options.engine must be one of ${STEP_ENGINES.join(', ')}, got ${show(engine)}`);
    this.ode = o.ode;
    this.optimizer = o.optimizer;
    this.variables = o.variables ?? o.ode.field.variables;
    this.output = output;
    this.clipNorm = o.clipNorm;
    const obstacle = engine === 'tfjs' ? null : simdStepObstacle(o);
    if (engine === 'simd' && obstacle != null) throw new RangeError(`${where}: engine 'simd' cannot run: ${obstacle}`);
    // with SIMD worker threads the tfjs path splits each rollout over them; the fused step runs on one
    const useSimd = engine === 'simd' || (engine === 'auto' && obstacle == null && simdThreads() === 1);
    this.engine = useSimd ? 'simd' : 'tfjs';
    if (engine === 'auto' && !useSimd) this.reason = obstacle ?? 'SIMD worker threads are running';
  }

  /** The tfjs reference loss of a batch (a scalar tensor; differentiable with respect to the variables). */
  loss(batch: RolloutBatch): Scalar {
    return tf.tidy(() => {
      const { x0, inputs, target } = this.tensors(batch);
      const ode = this.ode;
      let pred: Tensor;
      if (ode.fast && fastRolloutApplies(ode)) {
        pred = fastRolloutImpl(ode, x0, inputs, { output: this.output, engine: ode.fastEngine }, ode.checkFinite);
      } else {
        const all = ode.rollout(x0, inputs);
        const [T, B, n] = all.shape;
        pred = this.output === 'all' ? all : tf.reshape(tf.slice(all, [T - 1, 0, 0], [1, B, n]), [B, n]);
      }
      return mse(pred, target);
    });
  }

  /** The batch as tensors (Float32Arrays wrapped with the shapes the field and the target imply). */
  private tensors(batch: RolloutBatch): { x0: Tensor2D; inputs: Tensor3D | number; target: Tensor } {
    const { states: n, inputs: m } = this.ode.field;
    const { x0, inputs, target } = batch;
    const B = x0 instanceof Float32Array ? x0.length / n : x0.shape[0];
    const T = this.steps(batch, B);
    return {
      x0: x0 instanceof Float32Array ? tf.tensor2d(x0, [B, n]) : x0,
      inputs: inputs instanceof Float32Array ? tf.tensor3d(inputs, [T, inputs.length / (T * m), m]) : inputs,
      target: target instanceof Float32Array ? tf.tensor(target, this.output === 'all' ? [T, B, n] : [B, n]) : target,
    };
  }

  /** T of a batch of B rows. */
  private steps(batch: RolloutBatch, B: number): number {
    const { states: n, inputs: m } = this.ode.field;
    const { inputs, target } = batch;
    if (typeof inputs === 'number') return inputs;
    if (!(inputs instanceof Float32Array)) return inputs.shape[0];
    if (this.output === 'all') return (target instanceof Float32Array ? target.length : target.size) / (B * n);
    return inputs.length / (B * m);
  }

  /**
   * One training step on a batch. A NaN or infinite loss or gradient norm applies no update:
   * nonFinite 'throw' (default) throws a NonFiniteStepError, 'skip' returns the result flagged.
   */
  step(batch: RolloutBatch, nonFinite: 'throw' | 'skip' = 'throw'): TrainStepResult {
    if (this.engine === 'tfjs') {
      return trainStep(() => this.loss(batch), this.optimizer, {
        variables: this.variables,
        nonFinite,
        ...(this.clipNorm !== undefined ? { clipNorm: this.clipNorm } : {}),
      });
    }
    const simd = this.acquire();
    simd.optimizer.learningRate = this.optimizer.learningRate;
    const { x0, inputs, target } = batch;
    const x = floats(x0);
    const u = typeof inputs === 'number' ? undefined : floats(inputs);
    const B = x.length / this.ode.field.states;
    // u [T, 1, m] (one sequence for every row) is recognised by its length
    const r = simd.step(x, floats(target), u, this.steps(batch, B));
    if (r.skipped) {
      if (nonFinite === 'throw') throw new NonFiniteStepError(r.loss, r.norm, 'RolloutStep.step');
      return { loss: r.loss, gradNorm: r.norm, skipped: true };
    }
    this.dirty = true;
    return { loss: r.loss, gradNorm: r.norm };
  }

  /** The module's step, (re)loaded from the variables and the optimizer when they changed outside. */
  private acquire(): SimdTrainStep {
    const opt = this.optimizer as Adam | NAdam;
    const vars = this.variables;
    const s = this.seen;
    const changed = s == null || opt.stateVersion !== s.version || vars.some((v, i) => dataIdOf(v) !== s.ids[i]);
    if (this.simd != null && !changed) return this.simd;
    if (this.dirty) {
      // Both sides moved: the module's steps would be lost silently.
      throw new Error(
        'RolloutStep.step: the variables or the optimizer changed outside while the SIMD module held newer steps; call sync() before using them',
      );
    }
    const method = opt instanceof NAdam ? 'nadam' : 'adam';
    this.simd ??= new SimdTrainStep(this.ode, {
      method,
      output: this.output,
      learningRate: opt.learningRate,
      beta1: opt.beta1,
      beta2: opt.beta2,
      epsilon: opt.epsilon,
      ...(opt instanceof NAdam ? { momentumDecay: opt.momentumDecay } : {}),
      ...(this.clipNorm !== undefined ? { clipNorm: this.clipNorm } : {}),
    });
    const st = opt.flatState(vars);
    const params = new Float32Array(vars.reduce((a, v) => a + v.size, 0));
    let at = 0;
    for (const v of vars) {
      params.set(v.dataSync(), at);
      at += v.size;
    }
    this.simd.optimizer.setState({
      params,
      m: st.slots[0],
      v: st.slots[1],
      iterations: st.iterations,
      ...(st.scalars.muProduct !== undefined ? { muProduct: st.scalars.muProduct } : {}),
    });
    this.remember();
    return this.simd;
  }

  private remember(): void {
    this.seen = { ids: this.variables.map(dataIdOf), version: (this.optimizer as Adam).stateVersion };
  }

  /** Write the module's parameters and moments to the variables and the optimizer (no-op when they have them). */
  sync(): void {
    if (!this.dirty || this.simd == null) return;
    const opt = this.optimizer as Adam | NAdam;
    const so = this.simd.optimizer;
    this.simd.writeBack();
    const { m, v } = so.moments;
    opt.setFlatState(this.variables, {
      iterations: so.iterations,
      scalars: opt instanceof NAdam ? { muProduct: so.muProduct } : {},
      slots: [m, v],
    });
    this.dirty = false;
    this.remember();
  }

  /** Sync, then release the module's state. */
  dispose(): void {
    this.sync();
    this.simd = null;
    this.seen = null;
  }
}

/** The identity of a variable's current data (a new one after every assign). */
function dataIdOf(v: Variable): unknown {
  return (v as unknown as { dataId: unknown }).dataId;
}
