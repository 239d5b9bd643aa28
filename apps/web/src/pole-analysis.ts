// The explorer's heavy part: for every pole λ and every shown method, the largest stable step
// (maxStableStep, a root search along the ray hλ). It runs in a Web Worker (pole-analysis.worker.ts) so
// that hundreds of poles never block the page; the page draws the poles at once and the rays, the
// exit points and the table's largest stable steps when the worker answers.
import type { Complex } from '@sii/linalg';
import { maxStableStep } from '@sii/rk';

/** Most poles the explorer takes (a complex one is shown with its conjugate: at most twice as many points). */
export const MAX_POLES = 500;

export interface PoleAnalysisRequest {
  /** Version of the page's pole list: answers for an older list are dropped. */
  version: number;
  /** Every pole, conjugates included, in the order the page draws them. */
  poles: Complex[];
  /** Methods to analyse: name and stability polynomial R (ascending coefficients). */
  methods: { name: string; R: number[] }[];
}

export type PoleAnalysisReply =
  | { type: 'result'; version: number; hmax: Record<string, Float64Array> }
  | { type: 'error'; version: number; message: string };

/** hmax[method][k] = largest h with |R(τλ_k)| ≤ 1 for τ ∈ [0, h] (Infinity for λ = 0). */
export function analysePoles(
  poles: readonly Complex[],
  methods: readonly { name: string; R: ArrayLike<number> }[],
): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const m of methods) out[m.name] = Float64Array.from(poles, (p) => maxStableStep(m.R, p));
  return out;
}
