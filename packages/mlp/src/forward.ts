/**
 * Float64 forward pass f(x, u) and Jacobian ∂f/∂x of an MLP vector field (see spec.ts for the
 * convention). Used where accuracy matters: teacher simulation, stability analysis, verification.
 */
import type { DenseMatrix } from '@sii/linalg';
import { activation64, activationDerivative64, activationInPlace64 } from './activations.js';
import { assertWeightsMatch, type MlpSpec, type MlpWeights } from './spec.js';
import { wasmLayers } from './wasm64.js';

function assertVector(v: ArrayLike<number>, len: number, name: string): void {
  if (!v || v.length !== len) {
    throw new RangeError(`${name} must have length ${len}, got ${v ? v.length : String(v)}`);
  }
}

/**
 * a ← h·W + b for one row vector h (W row-major in×out). Each a_j is accumulated as
 * (((b_j + h_0·W_0j) + h_1·W_1j) + …) over the rows i with h_i ≠ 0, in increasing i; the rows are
 * taken eight at a time so that a_j stays in a register (the same operations in the same order as
 * one row at a time, so the same bits).
 */
function affine(h: ArrayLike<number>, W: DenseMatrix, b: Float64Array, out: Float64Array, rowsBuf?: Int32Array): void {
  const { rows, cols, data } = W;
  const nz = rowsBuf && rowsBuf.length >= rows ? rowsBuf : new Int32Array(rows);
  let count = 0;
  for (let i = 0; i < rows; i++) if (h[i] !== 0) nz[count++] = i;
  out.set(b);
  let p = 0;
  for (; p + 8 <= count; p += 8) {
    const i0 = nz[p];
    const i1 = nz[p + 1];
    const i2 = nz[p + 2];
    const i3 = nz[p + 3];
    const i4 = nz[p + 4];
    const i5 = nz[p + 5];
    const i6 = nz[p + 6];
    const i7 = nz[p + 7];
    const h0 = h[i0];
    const h1 = h[i1];
    const h2 = h[i2];
    const h3 = h[i3];
    const h4 = h[i4];
    const h5 = h[i5];
    const h6 = h[i6];
    const h7 = h[i7];
    const o0 = i0 * cols;
    const o1 = i1 * cols;
    const o2 = i2 * cols;
    const o3 = i3 * cols;
    const o4 = i4 * cols;
    const o5 = i5 * cols;
    const o6 = i6 * cols;
    const o7 = i7 * cols;
    for (let j = 0; j < cols; j++) {
      out[j] =
        out[j] +
        h0 * data[o0 + j] +
        h1 * data[o1 + j] +
        h2 * data[o2 + j] +
        h3 * data[o3 + j] +
        h4 * data[o4 + j] +
        h5 * data[o5 + j] +
        h6 * data[o6 + j] +
        h7 * data[o7 + j];
    }
  }
  for (; p < count; p++) {
    const i = nz[p];
    const hi = h[i];
    const off = i * cols;
    for (let j = 0; j < cols; j++) out[j] += hi * data[off + j];
  }
}

/** Which loop evaluates the layers of {@link mlpFunction64}; both give the same bits. */
export type Mlp64Engine = 'auto' | 'wasm' | 'js';

export interface MlpFunction64Options {
  /**
   * 'wasm': the WebAssembly SIMD kernel (two float64 lanes; throws where the runtime lacks it);
   * 'js': the JavaScript loop; 'auto' (default): the kernel where available, else the loop. The
   * kernel evaluator holds its own copy of the weights (changes made to `w` afterwards are not seen)
   * in its own WebAssembly memory.
   */
  engine?: Mlp64Engine;
}

/**
 * A reusable float64 evaluator of f(x, u) with preallocated buffers (for ODE right-hand sides
 * called many times, e.g. teacher simulation). The returned function writes into `out` if given.
 */
export function mlpFunction64(
  spec: MlpSpec,
  w: MlpWeights,
  opts: MlpFunction64Options = {},
): (x: ArrayLike<number>, u?: ArrayLike<number>, out?: Float64Array) => Float64Array {
  const sizes = assertWeightsMatch(spec, w);
  const engine = opts.engine ?? 'auto';
  if (engine !== 'auto' && engine !== 'wasm' && engine !== 'js') {
    throw new RangeError(`engine must be 'auto', 'wasm' or 'js', got ${JSON.stringify(engine)}`);
  }
  const n = spec.states;
  const m = spec.inputs;
  const L = sizes.length - 1;
  const act = spec.activation;
  const wasm = engine === 'js' ? null : wasmLayers(sizes, w);
  if (engine === 'wasm' && wasm === null) throw new Error("engine 'wasm': this runtime has no WebAssembly SIMD");
  const input = wasm ? wasm.input : new Float64Array(n + m);
  const buffers = wasm ? wasm.outputs : sizes.slice(1).map((s) => new Float64Array(s));
  const rowsBuf = new Int32Array(Math.max(...sizes));
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
      if (wasm) wasm.affine(k);
      else affine(h, w.weights[k], w.biases[k], a, rowsBuf);
      if (k < L - 1) activationInPlace64(act, a);
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
  return mlpFunction64(spec, w, { engine: 'js' })(x, u);
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
