/**
 * Fast rollout: a whole fixed-step rollout of an MLP vector field recorded on the tape as ONE
 * operation with a hand-written backward pass (the adjoint of the explicit Runge–Kutta step, weight
 * gradients of all steps and stages as one product per layer). Two engines compute it: the package's
 * own WebAssembly SIMD kernels (simd/rollout_op.ts, engine 'simd') and tfjs kernels
 * (tfjs/rollout_op.ts, engine 'tfjs'); 'auto' picks. This module checks the arguments and dispatches.
 *
 * The numbers are those of `NeuralODE.rollout` with the tape (same loss, same gradients to float32
 * rounding); `test/fast_rollout.test.ts` checks both engines against the autodiff path.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { MlpVectorField } from './mlp.js';
import type { NeuralODE } from './neural_ode.js';
import { type RolloutProblem, rolloutSteps } from './rollout_args.js';
import { simdRolloutOp, simdRolloutSupports } from './simd/rollout_op.js';
import { tfjsRolloutOp } from './tfjs/rollout_op.js';
import { show } from './validate.js';

export type FastRolloutOutput = 'all' | 'final';

/**
 * What runs the fast rollout: 'simd' — this package's WebAssembly SIMD kernels (src/simd/: the whole
 * rollout and its backward pass in a few hundred kernel calls, no tfjs dispatch); 'tfjs' — tfjs
 * kernels (fused matMuls of the active backend, XNNPACK on WASM); 'auto' (default) — 'simd' where
 * it runs (the wasm or cpu backend, see {@link fastRolloutEngine}).
 */
export type FastRolloutEngine = 'auto' | 'simd' | 'tfjs';

export const FAST_ROLLOUT_ENGINES: readonly FastRolloutEngine[] = ['auto', 'simd', 'tfjs'];

export interface FastRolloutOptions {
  /**
   * 'all' (default): [x_1 … x_T] as [T, batch, n] (as `NeuralODE.rollout`); 'final': x_T as [batch, n]
   * (no stacking; the cheapest form for a loss on the final state).
   */
  output?: FastRolloutOutput;
  /** With output 'all', prepend x_0 (shape [T + 1, batch, n]); default false. */
  includeInitial?: boolean;
  /** What runs the rollout (default 'auto', see {@link FastRolloutEngine}). */
  engine?: FastRolloutEngine;
  /** Recomputation in the backward pass (default 'auto'; see {@link FastRolloutCheckpoint}). */
  checkpointEvery?: FastRolloutCheckpoint;
}

/**
 * Memory against time in the backward pass of the SIMD engine. null: keep every evaluation's
 * activations (the full tape, memory ∝ T steps). k (an integer >= 1): keep only the state at every
 * k-th step and recompute the activations of one segment of k steps at a time from its checkpoint
 * (memory ∝ T/k + k steps, time: one more forward pass). 'auto' (default): the full tape when its
 * kernel memory fits 1 GiB, else k = ⌈√T⌉. Values and the x0/input gradients are the same bits for
 * every setting; the weight gradients, summed per segment, agree with the full tape's to float32
 * rounding (the same bits for k >= T). The tfjs engine keeps the full tape: it accepts null and 'auto', and a number
 * throws.
 */
export type FastRolloutCheckpoint = number | 'auto' | null;

/** Check a {@link FastRolloutCheckpoint} setting; errors name `where` and `arg`. */
export function checkCheckpointEvery(where: string, arg: string, v: unknown): FastRolloutCheckpoint {
  if (v === null || v === 'auto' || (typeof v === 'number' && Number.isInteger(v) && v >= 1)) return v;
  throw new RangeError(`${where}: ${arg} must be an integer >= 1, 'auto' or null, got ${show(v)}`);
}

/**
 * The engine 'auto' resolves to for this model on the active backend: 'simd' when the SIMD kernels
 * load, support the activation (all but softplus) and the backend is 'wasm' or 'cpu' (reading tensors
 * is a copy, not a GPU download); else 'tfjs'. Whatever the width: with the reduction dimension
 * blocked and the panels packed, a training step on the SIMD kernels took 1.4–3.9× less CPU time
 * than on XNNPACK for layers 128–2048 wide (scripts/engine-crossover.mjs).
 */
export function fastRolloutEngine(ode: NeuralODE): 'simd' | 'tfjs' {
  const field = ode.field;
  if (!(field instanceof MlpVectorField) || !simdRolloutSupports(field)) return 'tfjs';
  const backend = tf.getBackend();
  return backend === 'wasm' || backend === 'cpu' ? 'simd' : 'tfjs';
}

/** Whether {@link fastRollout} applies to this model: an {@link MlpVectorField} in 'custom' gradient mode. */
export function fastRolloutApplies(ode: NeuralODE): boolean {
  return ode.field instanceof MlpVectorField && ode.field.gradMode === 'custom';
}

/**
 * Roll out `ode` like `ode.rollout(x0, inputs)`, differentiable with respect to the field's variables,
 * x0 and the inputs, with one hand-written backward pass for the whole rollout (see the module
 * comment). Requires an {@link MlpVectorField} (any activation, any explicit tableau).
 */
export function fastRollout(ode: NeuralODE, x0: Tensor2D, inputs: Tensor3D | number, opts: FastRolloutOptions = {}): Tensor {
  return fastRolloutImpl(ode, x0, inputs, opts, ode.checkFinite);
}

/** @internal {@link fastRollout} with the NaN/Infinity check of the arguments optional. */
export function fastRolloutImpl(
  ode: NeuralODE,
  x0: Tensor2D,
  inputs: Tensor3D | number,
  opts: FastRolloutOptions,
  checkFinite: boolean,
): Tensor {
  const where = 'fastRollout';
  const field = ode.field;
  if (!(field instanceof MlpVectorField)) {
    throw new TypeError(`${where}: the NeuralODE's field must be an MlpVectorField, got ${show(field)}`);
  }
  const output = opts.output ?? 'all';
  if (output !== 'all' && output !== 'final') {
    throw new RangeError(`${where}: options.output must be 'all' or 'final', got ${show(output)}`);
  }
  const steps = rolloutSteps(where, field, x0, inputs, checkFinite);
  const engine = opts.engine ?? 'auto';
  if (!FAST_ROLLOUT_ENGINES.includes(engine)) {
    throw new RangeError(`${where}: options.engine must be one of ${FAST_ROLLOUT_ENGINES.join(', ')}, got ${show(engine)}`);
  }
  if (engine === 'simd' && !simdRolloutSupports(field)) {
    throw new RangeError(
      `${where}: engine 'simd' cannot run this field (activation ${show(field.spec.activation)}; the SIMD kernels support all but softplus and need WebAssembly SIMD)`,
    );
  }
  const checkpointEvery = checkCheckpointEvery(
    where,
    'options.checkpointEvery',
    opts.checkpointEvery === undefined ? 'auto' : opts.checkpointEvery,
  );
  const simd = engine === 'simd' || (engine === 'auto' && fastRolloutEngine(ode) === 'simd');
  if (!simd && typeof checkpointEvery === 'number') {
    throw new RangeError(
      `${where}: options.checkpointEvery ${checkpointEvery} needs the 'simd' engine (the 'tfjs' engine keeps the full tape; use null or 'auto')`,
    );
  }
  const problem: RolloutProblem = {
    field,
    tableau: ode.tableau,
    h: ode.h,
    x0,
    u: typeof inputs === 'number' || field.inputs === 0 ? null : inputs,
    steps,
    output,
    includeInitial: (opts.includeInitial ?? false) && output === 'all',
    checkpointEvery,
  };
  return simd ? simdRolloutOp(problem) : tfjsRolloutOp(problem);
}
