/**
 * Float64 forward pass f(x, u) and Jacobian ∂f/∂x of an MLP vector field (see spec.ts for the
 * convention). Used where accuracy matters: teacher simulation, stability analysis, verification.
 */
import type { DenseMatrix } from '@sii/linalg';
import { activation64, activationDerivative64 } from './activations.js';
import { assertWeightsMatch, type MlpSpec, type MlpWeights } from './spec.js';

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
    const hi = h[i];
    if (hi === 0) continue;
    const off = i * cols;
    for (let j = 0; j < cols; j++) out[j] += hi * data[off + j];
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
    input.set(x);
    if (m > 0) {
      if (u === undefined) input.fill(0, n);
      else {
        assertVector(u, m, 'u');
        input.set(u, n);
      }
    }
    let h: Float64Array = input;
    for (let k = 0; k < L; k++) {
      const a = buffers[k];
      affine(h, w.weights[k], w.biases[k], a);
      if (k < L - 1) for (let j = 0; j < a.length; j++) a[j] = activation64(act, a[j]);
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
export function hiddenPreactivations64(spec: MlpSpec, w: MlpWeights, x: ArrayLike<number>, u?: ArrayLike<number>): Float64Array[] {
  const sizes = assertWeightsMatch(spec, w);
  const n = spec.states;
  const m = spec.inputs;
  assertVector(x, n, 'x');
  const input = new Float64Array(n + m);
  input.set(x);
  if (m > 0 && u !== undefined) {
    assertVector(u, m, 'u');
    input.set(u, n);
  }
  const pre: Float64Array[] = [];
  let h: Float64Array = input;
  for (let k = 0; k < sizes.length - 2; k++) {
    const a = new Float64Array(sizes[k + 1]);
    affine(h, w.weights[k], w.biases[k], a);
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
  let width = sizes[1];
  let M = w.weights[0].data.slice(0, n * width);
  for (let k = 1; k < L; k++) {
    const d = pre[k - 1].map((v) => activationDerivative64(spec.activation, v));
    const W = w.weights[k];
    const next = new Float64Array(n * W.cols);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < width; i++) {
        const mi = M[r * width + i] * d[i];
        if (mi === 0) continue;
        const off = i * W.cols;
        for (let j = 0; j < W.cols; j++) next[r * W.cols + j] += mi * W.data[off + j];
      }
    }
    M = next;
    width = W.cols;
  }
  // M[r][c] = ∂f_c/∂x_r; transpose to ∂f_i/∂x_j.
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = M[j * n + i];
  return { rows: n, cols: n, data };
}
