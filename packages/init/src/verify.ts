/**
 * Check an initialized model: eigenvalues of ∂f/∂x at the origin, their hλ, and whether each lies
 * in the solver's stability region.
 */
import { type Complex, complex, eigenvalues } from '@sii/linalg';
import { stabilityAbs } from '@sii/rk';
import { assertWeightsMatch, type MlpSpec, type MlpWeights, mlpJacobian64 } from '@sii/mlp';
import { resolveStability, type StabilitySpec, solverStability } from './poles.js';

export interface VerifyOptions {
  /** Solver whose exact R(z) defines the region (@sii/rk / torchdiffeq name, or 'rk3'). */
  solver: string;
  /** Solver step h > 0. */
  h: number;
  /** Use this stability function instead of the solver's exact one. */
  stability?: StabilitySpec;
  /** A pole is inside when |R(hλ)| <= 1 + margin (default 0). */
  margin?: number;
  /** Linearization point (default the origin x = 0, u = 0). */
  x?: ArrayLike<number>;
  u?: ArrayLike<number>;
}

export interface VerifyResult {
  /** Eigenvalues λ of ∂f/∂x (float64), in @sii/linalg's order (descending real part). */
  poles: Complex[];
  /** hλ for each pole. */
  hLambda: Complex[];
  /** |R(hλ)| for each pole. */
  absR: number[];
  /** |R(hλ)| <= 1 + margin for each pole. */
  inside: boolean[];
  /** Every pole inside. */
  allInside: boolean;
}

export function verify(spec: MlpSpec, weights: MlpWeights, opts: VerifyOptions): VerifyResult {
  assertWeightsMatch(spec, weights);
  if (!opts || typeof opts !== 'object') throw new TypeError('verify: options { solver, h } required');
  const { h } = opts;
  if (typeof h !== 'number' || !Number.isFinite(h) || h <= 0) throw new RangeError(`h must be a finite number > 0, got ${String(h)}`);
  const margin = opts.margin ?? 0;
  if (!Number.isFinite(margin)) throw new RangeError(`margin must be finite, got ${margin}`);
  const R = opts.stability !== undefined ? resolveStability(opts.stability) : solverStability(opts.solver);
  const x = opts.x ?? new Float64Array(spec.states);
  const J = mlpJacobian64(spec, weights, x, opts.u);
  const poles = eigenvalues(J);
  const hLambda = poles.map((p) => complex(h * p.re, h * p.im));
  const absR = hLambda.map((z) => stabilityAbs(R, z.re, z.im));
  const inside = absR.map((a) => a <= 1 + margin);
  return { poles, hLambda, absR, inside, allInside: inside.every(Boolean) };
}
