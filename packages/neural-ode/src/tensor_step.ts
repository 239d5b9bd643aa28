/** The explicit Runge–Kutta step on tensors: stage derivatives, linear combinations, one step. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TableauLike } from './tableau.js';

/** y + Σ_i w_i·k_i, skipping zero weights (one AddN for several terms). */
export function linearCombination(y: Tensor, weights: readonly number[], ks: readonly Tensor[]): Tensor {
  const terms: Tensor[] = [y];
  weights.forEach((w, i) => {
    if (w !== 0 && i < ks.length) terms.push(w === 1 ? ks[i] : tf.mul(ks[i], w));
  });
  if (terms.length === 1) return y;
  if (terms.length === 2) return tf.add(terms[0], terms[1]);
  return tf.addN(terms);
}

/** Σ_i w_i·k_i (null when all weights are zero). */
export function weightedSum(weights: readonly number[], ks: readonly Tensor[]): Tensor | null {
  const terms: Tensor[] = [];
  weights.forEach((w, i) => {
    if (w !== 0) terms.push(w === 1 ? ks[i] : tf.mul(ks[i], w));
  });
  if (terms.length === 0) return null;
  return terms.length === 1 ? terms[0] : tf.addN(terms);
}

/**
 * Stage derivatives of one explicit RK step: k_i = f(t + c_i h, y + h Σ_{j<i} a_ij k_j).
 * `k1` may be supplied (FSAL reuse or an already computed f(t, y)).
 */
export function rkStagesTensor(
  f: (t: number, y: Tensor) => Tensor,
  t: number,
  y: Tensor,
  h: number,
  tab: TableauLike,
  k1?: Tensor,
): Tensor[] {
  const ks: Tensor[] = [];
  for (let i = 0; i < tab.b.length; i++) {
    if (i === 0 && k1 != null) {
      ks.push(k1);
      continue;
    }
    const row = tab.a[i] ?? [];
    const yi = linearCombination(
      y,
      row.slice(0, i).map((a) => a * h),
      ks,
    );
    ks.push(f(t + tab.c[i] * h, yi));
  }
  return ks;
}

/** One explicit RK step on a tensor state: y_{n+1} = y_n + h Σ b_i k_i (float64 twin: @sii/rk rkStep). */
export function rkStepTensor(f: (t: number, y: Tensor) => Tensor, t: number, y: Tensor, h: number, tab: TableauLike): Tensor {
  const ks = rkStagesTensor(f, t, y, h, tab);
  return linearCombination(
    y,
    tab.b.map((b) => b * h),
    ks,
  );
}
