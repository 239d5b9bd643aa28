/**
 * The MLP vector field contract shared by every sii package: f(x, u) = a_L with a_k = h_{k−1}·W_k + b_k,
 * h_k = σ(a_k) for k < L, h_0 = [x, u] (row-vector convention, W_k of shape in × out).
 * Layer sizes (n + m) → H → … → H → n with L Linear layers ((n + m) → n when L = 1).
 */
import { type DenseMatrix, showValue as show } from '@sii/linalg';
import { type ActivationName, assertActivationName } from './activations.js';

export interface MlpSpec {
  /** n: number of states (the output size and the first n inputs). */
  states: number;
  /** m: number of exogenous inputs u appended after the states. */
  inputs: number;
  /** H: hidden width (unused when layers = 1). */
  hidden: number;
  /** L: number of Linear layers (≥ 1). */
  layers: number;
  activation: ActivationName;
}

export interface MlpWeights {
  /** W_k with shape in × out (row-major). */
  weights: DenseMatrix[];
  /** b_k with length out. */
  biases: Float64Array[];
}

/** Most trainable scalars of one MLP (2^31 − 1: 16 GiB as float64, past any memory here). */
const MAX_PARAMETERS = 2 ** 31 - 1;

function prefix(where: string | undefined): string {
  return where ? `${where}: ` : '';
}

function assertCount(value: unknown, name: string, min: number, where: string | undefined): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${prefix(where)}${name} must be an integer >= ${min}, got ${show(value)}`);
  }
  return value;
}

/**
 * Validates an MlpSpec; returns the layer sizes [n+m, H, …, H, n] (length L+1). `where` (e.g. the
 * calling function) prefixes the error messages.
 */
export function layerSizes(spec: MlpSpec, where?: string): number[] {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`${prefix(where)}spec must be an MlpSpec object, got ${show(spec)}`);
  const n = assertCount(spec.states, 'spec.states', 1, where);
  const m = assertCount(spec.inputs, 'spec.inputs', 0, where);
  const L = assertCount(spec.layers, 'spec.layers', 1, where);
  assertActivationName(spec.activation, `${prefix(where)}spec.activation`);
  const H = L > 1 ? assertCount(spec.hidden, 'spec.hidden', 1, where) : 0;
  // Σ (in + 1)·out, counted before any array is built: an absurd spec fails here, not out of memory
  const count = L > 1 ? (n + m + 1) * H + (L - 2) * (H + 1) * H + (H + 1) * n : (n + m + 1) * n;
  if (!(count <= MAX_PARAMETERS)) {
    throw new RangeError(
      `${prefix(where)}spec (states ${n}, inputs ${m}, hidden ${L > 1 ? H : '—'}, layers ${L}) has ${count} parameters, more than ${MAX_PARAMETERS} (2^31 − 1)`,
    );
  }
  const sizes = [n + m];
  for (let k = 1; k < L; k++) sizes.push(H);
  sizes.push(n);
  return sizes;
}

/** Validated shapes [in, out] of the L weight matrices. */
export function layerShapes(spec: MlpSpec, where?: string): Array<[number, number]> {
  const sizes = layerSizes(spec, where);
  return sizes.slice(1).map((out, k): [number, number] => [sizes[k], out]);
}

/** Number of trainable scalars Σ_k (in_k + 1)·out_k. */
export function parameterCount(spec: MlpSpec): number {
  return layerShapes(spec).reduce((s, [i, o]) => s + (i + 1) * o, 0);
}

export interface WeightCheckOptions {
  /** Prefix of the error messages (e.g. 'MlpVectorField.setWeights'). */
  where?: string;
  /** Also require every weight and bias to be finite (default false). */
  finite?: boolean;
}

function assertFinite(values: ArrayLike<number>, name: string, where: string | undefined): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`${prefix(where)}${name}[${i}] must be a finite number, got ${values[i]}`);
  }
}

/** Checks that `w` has the shapes `spec` demands (and optionally finite values); returns the layer sizes. */
export function assertWeightsMatch(spec: MlpSpec, w: MlpWeights, opts: WeightCheckOptions = {}): number[] {
  const { where, finite = false } = opts;
  const sizes = layerSizes(spec, where);
  const L = sizes.length - 1;
  if (!w || !Array.isArray(w.weights) || !Array.isArray(w.biases)) {
    throw new TypeError(`${prefix(where)}weights must be { weights: DenseMatrix[]; biases: Float64Array[] }, got ${show(w)}`);
  }
  if (w.weights.length !== L || w.biases.length !== L) {
    throw new RangeError(
      `${prefix(where)}expected ${L} weight matrices and biases for spec.layers = ${L}, got ${w.weights.length} and ${w.biases.length}`,
    );
  }
  for (let k = 0; k < L; k++) {
    const W = w.weights[k];
    const b = w.biases[k];
    if (!W || W.rows !== sizes[k] || W.cols !== sizes[k + 1] || W.data?.length !== sizes[k] * sizes[k + 1]) {
      throw new RangeError(
        `${prefix(where)}weights.weights[${k}] must be ${sizes[k]}×${sizes[k + 1]} (in×out), got ${W?.rows}×${W?.cols} with ${W?.data?.length} entries`,
      );
    }
    if (!b || b.length !== sizes[k + 1]) {
      throw new RangeError(`${prefix(where)}weights.biases[${k}] must have length ${sizes[k + 1]}, got ${b?.length}`);
    }
    if (finite) {
      assertFinite(W.data, `weights.weights[${k}].data`, where);
      assertFinite(b, `weights.biases[${k}]`, where);
    }
  }
  return sizes;
}
