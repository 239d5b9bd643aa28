/**
 * NeuralODE: a vector field advanced by a fixed-step explicit Runge–Kutta method. The input is held
 * constant over a step (zero-order hold); one solver step of size h per data sample.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import {
  checkCheckpointEvery,
  FAST_ROLLOUT_ENGINES,
  type FastRolloutCheckpoint,
  type FastRolloutEngine,
  fastRolloutApplies,
  fastRolloutImpl,
} from './fast_rollout.js';
import type { VectorField } from './mlp.js';
import { rolloutSteps } from './rollout_args.js';
import { resolveTableau, type TableauLike } from './tableau.js';
import { rkStepTensor } from './tensor_step.js';
import { assertPositive, assertTensor, show } from './validate.js';

export interface NeuralODEOptions {
  /** A method name known to @sii/rk (e.g. 'midpoint', 'rk4', 'dopri5') or an explicit tableau. */
  method: string | TableauLike;
  /** Step size h > 0. */
  step: number;
  /** Check rollout arguments for NaN/Infinity (one small read each; default true). */
  checkFinite?: boolean;
  /**
   * Use the fast rollout (one recorded operation with a hand-written backward pass, see
   * `fastRollout`) in `rollout` when it applies: an MlpVectorField in 'custom' gradient mode.
   * Same values and gradients as the per-op tape to float32 rounding. Default true.
   */
  fast?: boolean;
  /** What runs the fast rollout (default 'auto': see `FastRolloutEngine`). */
  fastEngine?: FastRolloutEngine;
  /**
   * Recomputation in the fast rollout's backward pass (default 'auto': see `FastRolloutCheckpoint`);
   * memory against time only, the same numbers for every setting.
   */
  checkpointEvery?: FastRolloutCheckpoint;
}

export interface RolloutOptions {
  /** Prepend x0 to the result (shape [T + 1, batch, n]); default false. */
  includeInitial?: boolean;
}

export class NeuralODE {
  readonly field: VectorField;
  readonly tableau: TableauLike;
  readonly h: number;
  readonly checkFinite: boolean;
  /** Whether `rollout` uses the fast path where it applies (see {@link NeuralODEOptions.fast}). */
  fast: boolean;
  /** What runs the fast rollout (see {@link NeuralODEOptions.fastEngine}). */
  fastEngine: FastRolloutEngine;
  /** Recomputation in the fast rollout (see {@link NeuralODEOptions.checkpointEvery}). */
  checkpointEvery: FastRolloutCheckpoint;

  constructor(field: VectorField, opts: NeuralODEOptions) {
    const where = 'NeuralODE';
    if (field == null || typeof field.apply !== 'function') {
      throw new TypeError(`${where}: field must be a vector field with an apply(x, u) method, got ${show(field)}`);
    }
    if (opts == null) throw new TypeError(`${where}: options { method, step } are required`);
    assertPositive(where, 'options.step', opts.step);
    this.field = field;
    this.tableau = resolveTableau(opts.method, where);
    this.h = opts.step;
    this.checkFinite = opts.checkFinite ?? true;
    this.fast = opts.fast ?? true;
    this.fastEngine = opts.fastEngine ?? 'auto';
    if (!FAST_ROLLOUT_ENGINES.includes(this.fastEngine)) {
      throw new RangeError(`${where}: options.fastEngine must be one of ${FAST_ROLLOUT_ENGINES.join(', ')}, got ${show(this.fastEngine)}`);
    }
    this.checkpointEvery = checkCheckpointEvery(
      where,
      'options.checkpointEvery',
      opts.checkpointEvery === undefined ? 'auto' : opts.checkpointEvery,
    );
  }

  /** Advance a batch x [batch, n] by one step with the input u [batch or 1, m] held constant. */
  step(x: Tensor2D, u?: Tensor2D): Tensor2D {
    this.checkState('NeuralODE.step', 'x', x);
    const f = (_t: number, y: Tensor) => this.field.apply(y as Tensor2D, u);
    return tf.tidy(() => rkStepTensor(f, 0, x, this.h, this.tableau) as Tensor2D);
  }

  /**
   * Roll out x_{k+1} = step(x_k, u_k) for k = 0..T−1 and return [x_1, …, x_T] as [T, batch, n]
   * (with opts.includeInitial, [x_0, …, x_T]). `inputs` is [T, batch or 1, m]; for a field without
   * inputs pass the number of steps T instead.
   */
  rollout(x0: Tensor2D, inputs: Tensor3D | number, opts: RolloutOptions = {}): Tensor3D {
    const steps = rolloutSteps('NeuralODE.rollout', this.field, x0, inputs, this.checkFinite);
    if (this.fast && fastRolloutApplies(this)) {
      return fastRolloutImpl(
        this,
        x0,
        inputs,
        { includeInitial: opts.includeInitial ?? false, engine: this.fastEngine, checkpointEvery: this.checkpointEvery },
        false,
      ) as Tensor3D;
    }
    return tf.tidy(() => {
      const us = typeof inputs === 'number' ? null : (tf.unstack(inputs) as Tensor2D[]);
      const states: Tensor2D[] = opts.includeInitial ? [x0] : [];
      let x = x0;
      for (let k = 0; k < steps; k++) {
        const u = us?.[k];
        const f = (_t: number, y: Tensor) => this.field.apply(y as Tensor2D, u);
        x = rkStepTensor(f, 0, x, this.h, this.tableau) as Tensor2D;
        states.push(x);
      }
      return tf.stack(states) as Tensor3D;
    });
  }

  private checkState(where: string, arg: string, x: Tensor2D): void {
    assertTensor(where, arg, x, 2);
    if (x.shape[1] !== this.field.states) {
      throw new RangeError(`${where}: ${arg} must have shape [batch, ${this.field.states}], got [${x.shape.join(', ')}]`);
    }
  }
}
