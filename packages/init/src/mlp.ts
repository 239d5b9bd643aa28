/**
 * Plain float64 MLP vector field f(x, u) and its Jacobian ∂f/∂x, in the row-vector convention of
 * the spec: a_k = h_{k−1}·W_k + b_k, h_k = σ(a_k) for k < L, f = a_L; h_0 = [x, u].
 * These types are structurally identical to @sii/neural-ode's MlpSpec / MlpWeights.
 */
import type { DenseMatrix } from '@sii/linalg';
import { type ActivationName, activation64, activationDerivative64, assertActivationName } from './activations.js';

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

function assertCount(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Validates an MlpSpec; returns the layer sizes [n+m, H, …, H, n] (length L+1). */
export function layerSizes(spec: MlpSpec): number[] {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`spec must be an MlpSpec object, got ${String(spec)}`);
  const n = assertCount(spec.states, 'spec.states', 1);
  const m = assertCount(spec.inputs, 'spec.inputs', 0);
  const L = assertCount(spec.layers, 'spec.layers', 1);
  assertActivationName(spec.activation, 'spec.activation');
  const sizes = [n + m];
  if (L > 1) {
    const H = assertCount(spec.hidden, 'spec.hidden', 1);
    for (let k = 1; k < L; k++) sizes.push(H);
  }
  sizes.push(n);
  return sizes;
}

/** Checks that `w` has the shapes `spec` demands; returns the layer sizes. */
export function assertWeightsMatch(spec: MlpSpec, w: MlpWeights): number[] {
  const sizes = layerSizes(spec);
  const L = sizes.length - 1;
  if (!w || !Array.isArray(w.weights) || !Array.isArray(w.biases)) {
    throw new TypeError('weights must be { weights: DenseMatrix[]; biases: Float64Array[] }');
  }
  if (w.weights.length !== L || w.biases.length !== L) {
    throw new RangeError(
      `weights: expected ${L} layers for spec.layers = ${L}, got ${w.weights.length} weight matrices and ${w.biases.length} biases`,
    );
  }
  for (let k = 0; k < L; k++) {
    const W = w.weights[k]!;
    const b = w.biases[k]!;
    if (W.rows !== sizes[k] || W.cols !== sizes[k + 1] || W.data.length !== W.rows * W.cols) {
      throw new RangeError(
        `weights.weights[${k}]: expected shape ${sizes[k]}×${sizes[k + 1]} (in×out), got ${W.rows}×${W.cols} with ${W.data.length} entries`,
      );
    }
    if (b.length !== sizes[k + 1]) {
      throw new RangeError(`weights.biases[${k}]: expected length ${sizes[k + 1]}, got ${b.length}`);
    }
  }
  return sizes;
}

function assertVector(v: ArrayLike<number>, len: number, name: string): void {
  if (!v || v.length !== len) {
    throw new RangeError(`${name} must have length ${len}, got ${v ? v.length : String(v)}`);
  }
}

/** a ← h·W + b for one row vector h (W row-major in×out). */
function affine(h: ArrayLike<number>, W: DenseMatrix, b: Float64Array, out: Float64Array): void {
  const { rows, cols, data } = W;
  out.set(b);
  for (let i = 0; i < rows; i++) {
    const hi = h[i]!;
    if (hi === 0) continue;
    const off = i * cols;
    for (let j = 0; j < cols; j++) out[j]! += hi * data[off + j]!;
  }
}

/**
 * A reusable float64 evaluator of f(x, u) with preallocated buffers (for ODE right-hand sides
 * called many times, e.g. teacher simulation). The returned function writes into `out` if given.
 */
export function mlpFunction64(
  spec: MlpSpec,
  w: MlpWeights,
): (x: ArrayLike<number>, u?: ArrayLike<number>, out?: Float64Array) => Float64Array {
  const sizes = assertWeightsMatch(spec, w);
  const n = spec.states;
  const m = spec.inputs;
  const L = sizes.length - 1;
  const act = spec.activation;
  const input = new Float64Array(n + m);
  const buffers = sizes.slice(1).map((s) => new Float64Array(s));
  return (x, u, out) => {
    assertVector(x, n, 'x');
    input.set(x as ArrayLike<number>);
    if (m > 0) {
      if (u === undefined) input.fill(0, n);
      else {
        assertVector(u, m, 'u');
        input.set(u, n);
      }
    }
    let h: Float64Array = input;
    for (let k = 0; k < L; k++) {
      const a = buffers[k]!;
      affine(h, w.weights[k]!, w.biases[k]!, a);
      if (k < L - 1) for (let j = 0; j < a.length; j++) a[j] = activation64(act, a[j]!);
      h = a;
    }
    const result = out ?? new Float64Array(n);
    if (result.length !== n) throw new RangeError(`out must have length ${n}, got ${result.length}`);
    result.set(h);
    return result;
  };
}

/** f(x, u) in float64 for one sample; u defaults to zeros (length spec.inputs). */
export function mlpForward64(spec: MlpSpec, w: MlpWeights, x: ArrayLike<number>, u?: ArrayLike<number>): Float64Array {
  return mlpFunction64(spec, w)(x, u);
}

/**
 * Pre-activations a_1..a_{L−1} of the hidden layers at (x, u) (used for the Jacobian and the
 * exact slope compensation).
 */
export function hiddenPreactivations64(
  spec: MlpSpec,
  w: MlpWeights,
  x: ArrayLike<number>,
  u?: ArrayLike<number>,
): Float64Array[] {
  const sizes = assertWeightsMatch(spec, w);
  const n = spec.states;
  const m = spec.inputs;
  assertVector(x, n, 'x');
  const input = new Float64Array(n + m);
  input.set(x as ArrayLike<number>);
  if (m > 0 && u !== undefined) {
    assertVector(u, m, 'u');
    input.set(u, n);
  }
  const pre: Float64Array[] = [];
  let h: Float64Array = input;
  for (let k = 0; k < sizes.length - 2; k++) {
    const a = new Float64Array(sizes[k + 1]!);
    affine(h, w.weights[k]!, w.biases[k]!, a);
    pre.push(a);
    h = a.map((v) => activation64(spec.activation, v));
  }
  return pre;
}

/**
 * Jacobian ∂f/∂x at (x, u) in float64, as an n×n DenseMatrix with entry (i, j) = ∂f_i/∂x_j
 * (column convention). Row convention: ∂f/∂x = W_1[0:n, :]·D_1·W_2·D_2 ⋯ W_L with
 * D_k = diag(σ'(a_k)); the result is its transpose.
 */
export function mlpJacobian64(spec: MlpSpec, w: MlpWeights, x: ArrayLike<number>, u?: ArrayLike<number>): DenseMatrix {
  const sizes = assertWeightsMatch(spec, w);
  const n = spec.states;
  const pre = hiddenPreactivations64(spec, w, x, u);
  const L = sizes.length - 1;
  // M (n × width) = rows 0..n−1 of W_1, then M ← M·D_k·W_{k+1}.
  let width = sizes[1]!;
  let M = w.weights[0]!.data.slice(0, n * width);
  for (let k = 1; k < L; k++) {
    const d = pre[k - 1]!.map((v) => activationDerivative64(spec.activation, v));
    const W = w.weights[k]!;
    const next = new Float64Array(n * W.cols);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < width; i++) {
        const mi = M[r * width + i]! * d[i]!;
        if (mi === 0) continue;
        const off = i * W.cols;
        for (let j = 0; j < W.cols; j++) next[r * W.cols + j]! += mi * W.data[off + j]!;
      }
    }
    M = next;
    width = W.cols;
  }
  // M[r][c] = ∂f_c/∂x_r; transpose to ∂f_i/∂x_j.
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = M[j * n + i]!;
  return { rows: n, cols: n, data };
}
