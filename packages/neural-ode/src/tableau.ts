/** Butcher tableaux from @sii/rk, and the generic explicit Runge–Kutta step on tensors. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { getTableau } from '@sii/rk';
import { show } from './validate.js';

/**
 * The fields of an @sii/rk ButcherTableau this package reads (any explicit tableau with these
 * fields works): c_i, a_ij (strictly lower triangular), b_i, optional embedded weights bHat.
 */
export interface TableauLike {
  readonly name: string;
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  readonly c: readonly number[];
  readonly order: number;
  readonly bHat?: readonly number[] | undefined;
  readonly embeddedOrder?: number | undefined;
  readonly fsal?: boolean | undefined;
  /** Continuous extension: b_i(θ) = Σ_q dense[i][q]·θ^(q+1) (dopri5 in @sii/rk). */
  readonly dense?: readonly (readonly number[])[] | undefined;
}

/** Resolve a method name through @sii/rk's getTableau, or check a given tableau is explicit. */
export function resolveTableau(method: string | TableauLike, where: string): TableauLike {
  if (typeof method === 'string') {
    try {
      return getTableau(method) as unknown as TableauLike;
    } catch (err) {
      throw new RangeError(`${where}: unknown method ${JSON.stringify(method)}: ${(err as Error).message}`);
    }
  }
  if (method == null || typeof method !== 'object' || !Array.isArray(method.b) || !Array.isArray(method.a)) {
    throw new TypeError(`${where}: method must be a method name or a Butcher tableau, got ${show(method)}`);
  }
  const s = method.b.length;
  if (method.c.length !== s || method.a.length !== s) {
    throw new RangeError(`${where}: tableau ${JSON.stringify(method.name)} has inconsistent sizes (b ${s}, c ${method.c.length}, a ${method.a.length})`);
  }
  method.a.forEach((row, i) => {
    for (let j = i; j < row.length; j++) {
      if (row[j] !== 0) {
        throw new RangeError(`${where}: tableau ${JSON.stringify(method.name)} is not explicit (a[${i}][${j}] = ${row[j]})`);
      }
    }
  });
  if (method.bHat != null && method.bHat.length !== s) {
    throw new RangeError(`${where}: tableau ${JSON.stringify(method.name)} has bHat of length ${method.bHat.length}, expected ${s}`);
  }
  return method;
}

/** Whether the tableau has an embedded error estimator (adaptive stepping possible). */
export function isAdaptive(tab: TableauLike): boolean {
  return tab.bHat != null && tab.bHat.length === tab.b.length;
}

/** y + Σ_i w_i·k_i, skipping zero weights (one AddN for several terms). */
export function linearCombination(y: Tensor, weights: readonly number[], ks: readonly Tensor[]): Tensor {
  const terms: Tensor[] = [y];
  weights.forEach((w, i) => {
    if (w !== 0 && i < ks.length) terms.push(w === 1 ? ks[i]! : tf.mul(ks[i]!, w));
  });
  if (terms.length === 1) return y;
  if (terms.length === 2) return tf.add(terms[0]!, terms[1]!);
  return tf.addN(terms);
}

/** Σ_i w_i·k_i (null when all weights are zero). */
export function weightedSum(weights: readonly number[], ks: readonly Tensor[]): Tensor | null {
  const terms: Tensor[] = [];
  weights.forEach((w, i) => {
    if (w !== 0) terms.push(w === 1 ? ks[i]! : tf.mul(ks[i]!, w));
  });
  if (terms.length === 0) return null;
  return terms.length === 1 ? terms[0]! : tf.addN(terms);
}

/**
 * Stage derivatives of one explicit RK step: k_i = f(t + c_i h, y + h Σ_{j<i} a_ij k_j).
 * `k1` may be supplied (FSAL reuse or an already computed f(t, y)).
 */
export function rkStages(
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
    ks.push(f(t + tab.c[i]! * h, yi));
  }
  return ks;
}

/** One explicit RK step: y_{n+1} = y_n + h Σ b_i k_i. */
export function rkStep(
  f: (t: number, y: Tensor) => Tensor,
  t: number,
  y: Tensor,
  h: number,
  tab: TableauLike,
): Tensor {
  const ks = rkStages(f, t, y, h, tab);
  return linearCombination(
    y,
    tab.b.map((b) => b * h),
    ks,
  );
}
