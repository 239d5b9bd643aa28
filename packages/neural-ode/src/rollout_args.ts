/**
 * A rollout's arguments: the checks `NeuralODE.rollout` and `fastRollout` share, and the checked
 * problem both fast-rollout engines (simd/rollout_op.ts, tfjs/rollout_op.ts) receive, and the names
 * under which their tape operations record it.
 */
import type { NamedTensorMap, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { MlpVectorField } from './mlp.js';
import type { TableauLike } from './tableau.js';
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertTensor, firstNonFinite, show } from './validate.js';

/**
 * Check x0 [batch, n] and the inputs ([T >= 1, batch or 1, m], or the number of steps T when the field
 * has no inputs) against a field with n states and m inputs; with `checkFinite` also that neither they
 * nor the field's variables (its weights, when it has `variables`, e.g. an MlpVectorField after a
 * diverged training step) hold NaN or ±Infinity, in one read. Returns T. Errors name `where`, the
 * argument and the offending value.
 */
export function rolloutSteps(
  where: string,
  field: { readonly states: number; readonly inputs: number; readonly variables?: readonly Tensor[] },
  x0: Tensor2D,
  inputs: Tensor3D | number,
  checkFinite: boolean,
): number {
  const { states: n, inputs: m } = field;
  assertTensor(where, 'x0', x0, 2);
  if (x0.shape[1] !== n) throw new RangeError(`${where}: x0 must have shape [batch, ${n}], got [${x0.shape.join(', ')}]`);
  let steps: number;
  if (typeof inputs === 'number') {
    if (!Number.isInteger(inputs) || inputs < 1) {
      throw new RangeError(`${where}: the number of steps must be an integer >= 1, got ${show(inputs)}`);
    }
    if (m > 0) throw new RangeError(`${where}: the field has ${m} inputs; pass inputs of shape [T, batch, ${m}]`);
    steps = inputs;
  } else {
    assertTensor(where, 'inputs', inputs, 3);
    const [T, b, mi] = inputs.shape;
    if (mi !== m || (b !== x0.shape[0] && b !== 1) || T < 1) {
      throw new RangeError(`${where}: inputs must have shape [T >= 1, ${x0.shape[0]} or 1, ${m}], got [${inputs.shape.join(', ')}]`);
    }
    steps = T;
  }
  if (checkFinite) {
    const named: [string, Tensor][] = [['x0', x0]];
    if (typeof inputs !== 'number') named.push(['inputs', inputs]);
    const vars = Array.isArray(field.variables) ? field.variables : [];
    vars.forEach((v, i) => {
      named.push([`the field's weights (variable ${i}: ${i % 2 === 0 ? 'W' : 'b'}_${i >> 1})`, v]);
    });
    const bad = firstNonFinite(named.map(([, t]) => t));
    if (bad >= 0) {
      const [arg, t] = named[bad];
      const hint = bad >= named.length - vars.length ? ' (a diverged training step?)' : '';
      throw new RangeError(
        `${where}: ${arg} contains NaN or Infinity (shape [${t.shape.join(', ')}])${hint}; checkFinite: false skips this check`,
      );
    }
  }
  return steps;
}

/** A checked fast rollout, as an engine receives it. */
export interface RolloutProblem {
  field: MlpVectorField;
  tableau: TableauLike;
  h: number;
  x0: Tensor2D;
  /** The inputs [T, uBatch, m] (uBatch: the batch or 1), or null when the field has none. */
  u: Tensor3D | null;
  steps: number;
  /** 'all': [x_1 … x_T] as [T, batch, n] (with includeInitial [x_0 … x_T]); 'final': x_T as [batch, n]. */
  output: 'all' | 'final';
  /** Prepend x_0 (only with output 'all'). */
  includeInitial: boolean;
  /** Recomputation setting (see `FastRolloutOptions.checkpointEvery`): k >= 1, 'auto' or null. */
  checkpointEvery: number | 'auto' | null;
}

/**
 * The tensors an engine's tape operation records as its inputs: x0, u (when present) and the field's
 * variables as p0, p1, … (W_0, b_0, W_1, …); its backward pass returns gradients under these names.
 */
export function tapeInputs(problem: RolloutProblem): NamedTensorMap {
  const named: NamedTensorMap = { x0: problem.x0 };
  if (problem.u != null) named.u = problem.u;
  problem.field.variables.forEach((v, i) => {
    named[`p${i}`] = v;
  });
  return named;
}
