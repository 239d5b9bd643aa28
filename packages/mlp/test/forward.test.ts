import { Rng } from '@sii/linalg';
import { describe, expect, it, vi } from 'vitest';
import {
  type ActivationName,
  activation64,
  affine64WasmAvailable,
  defaultWeights,
  type MlpSpec,
  type MlpWeights,
  mlpForward64,
  mlpFunction64,
  mlpJacobian64,
} from '../src/index.js';

/** Naive forward with nested arrays, written independently of src/mlp.ts. */
function naiveForward(spec: MlpSpec, w: MlpWeights, x: number[], u: number[]): number[] {
  let h = [...x, ...u];
  const L = w.weights.length;
  for (let k = 0; k < L; k++) {
    const W = w.weights[k];
    const out: number[] = [];
    for (let j = 0; j < W.cols; j++) {
      let s = w.biases[k][j];
      for (let i = 0; i < W.rows; i++) s += h[i] * W.data[i * W.cols + j];
      out.push(k < L - 1 ? activation64(spec.activation, s) : s);
    }
    h = out;
  }
  return h;
}

describe('mlpForward64 / mlpJacobian64', () => {
  it('forward matches a naive implementation', () => {
    const rng = new Rng(11);
    for (const layers of [1, 2, 3]) {
      const spec: MlpSpec = { states: 3, inputs: 2, hidden: 5, layers, activation: 'elu' };
      const w = defaultWeights(spec, rng);
      const x = [0.3, -1.2, 0.7];
      const u = [0.5, -0.25];
      const got = mlpForward64(spec, w, Float64Array.from(x), Float64Array.from(u));
      const want = naiveForward(spec, w, x, u);
      for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(want[i], 13);
    }
  });

  it.each(['js', 'wasm'] as const)(
    'mlpFunction64 (%s) gives the same bits as accumulating one row at a time (every block remainder, zero inputs skipped)',
    (engine) => {
      // Reference: a_j = b_j, then a_j += h_i·W_ij for i = 0, 1, … with h_i ≠ 0, the order the teacher
      // trajectories were recorded with (the pinned trajectories of @sii/datasets depend on it).
      const sequential = (spec: MlpSpec, w: MlpWeights, x: number[], u: number[]): Float64Array => {
        let h = Float64Array.from([...x, ...u]);
        const L = w.weights.length;
        for (let k = 0; k < L; k++) {
          const W = w.weights[k];
          const a = Float64Array.from(w.biases[k]);
          for (let i = 0; i < W.rows; i++) {
            if (h[i] === 0) continue;
            for (let j = 0; j < W.cols; j++) a[j] += h[i] * W.data[i * W.cols + j];
          }
          h = k < L - 1 ? a.map((v) => activation64(spec.activation, v)) : a;
        }
        return h;
      };
      const rng = new Rng(23);
      let compared = 0;
      for (const activation of ['elu', 'relu', 'tanh', 'silu'] as ActivationName[]) {
        for (const hidden of [1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 42, 128]) {
          const spec: MlpSpec = { states: 2, inputs: 1, hidden, layers: 3, activation };
          const w = defaultWeights(spec, rng);
          const f = mlpFunction64(spec, w, { engine });
          for (const [x, u] of [
            [[0.3, -1.2], [0.5]],
            [[0, 0.7], [0]],
            [[-2.5, 0], [1.5]],
          ] as [number[], number[]][]) {
            const got = f(Float64Array.from(x), Float64Array.from(u));
            const want = sequential(spec, w, x, u);
            for (let j = 0; j < 2; j++) expect(Object.is(got[j], want[j]), `${activation} H ${hidden} x ${x} out ${j}`).toBe(true);
            compared++;
          }
        }
      }
      expect(compared).toBe(4 * 15 * 3);
    },
  );

  it('a hand-computed 1-state network', () => {
    // f(x) = 2·tanh(3x + 0.5) − 1
    const spec: MlpSpec = { states: 1, inputs: 0, hidden: 1, layers: 2, activation: 'tanh' };
    const w: MlpWeights = {
      weights: [
        { rows: 1, cols: 1, data: Float64Array.of(3) },
        { rows: 1, cols: 1, data: Float64Array.of(2) },
      ],
      biases: [Float64Array.of(0.5), Float64Array.of(-1)],
    };
    expect(mlpForward64(spec, w, [0.2])[0]).toBeCloseTo(2 * Math.tanh(1.1) - 1, 15);
    // ∂f/∂x = 6 (1 − tanh²(1.1))
    expect(mlpJacobian64(spec, w, [0.2]).data[0]).toBeCloseTo(6 * (1 - Math.tanh(1.1) ** 2), 14);
  });

  it('Jacobian (entry i,j = ∂f_i/∂x_j) matches central finite differences', () => {
    const acts: ActivationName[] = ['elu', 'silu', 'gelu', 'tanh', 'selu', 'softplus', 'sigmoid', 'none'];
    const rng = new Rng(5);
    for (const activation of acts) {
      const spec: MlpSpec = { states: 3, inputs: 1, hidden: 6, layers: 3, activation };
      const w = defaultWeights(spec, rng);
      const x = [0.4, -0.9, 1.3];
      const u = [0.7];
      const J = mlpJacobian64(spec, w, x, u);
      expect(J.rows).toBe(3);
      expect(J.cols).toBe(3);
      const step = 1e-6;
      for (let j = 0; j < 3; j++) {
        const xp = [...x];
        const xm = [...x];
        xp[j] += step;
        xm[j] -= step;
        const fp = mlpForward64(spec, w, xp, u);
        const fm = mlpForward64(spec, w, xm, u);
        for (let i = 0; i < 3; i++) {
          expect(J.data[i * 3 + j], `${activation} J[${i}][${j}]`).toBeCloseTo((fp[i] - fm[i]) / (2 * step), 7);
        }
      }
    }
  });

  it('mlpFunction64 reuses buffers and writes into out; u defaults to zeros', () => {
    const spec: MlpSpec = { states: 2, inputs: 1, hidden: 4, layers: 2, activation: 'silu' };
    const w = defaultWeights(spec, 3);
    const f = mlpFunction64(spec, w);
    const out = new Float64Array(2);
    const r = f([0.1, 0.2], [0], out);
    expect(r).toBe(out);
    expect(Array.from(f([0.1, 0.2]))).toEqual(Array.from(out));
    expect(Array.from(f([0.1, 0.2], [1]))).not.toEqual(Array.from(out));
  });

  it('the kernel evaluator copies the weights; an unknown engine is named in the error', () => {
    const spec: MlpSpec = { states: 2, inputs: 1, hidden: 16, layers: 3, activation: 'elu' };
    const w = defaultWeights(spec, new Rng(5));
    const x = Float64Array.from([0.4, -0.3]);
    const u = Float64Array.from([0.2]);
    expect(affine64WasmAvailable()).toBe(true); // Node 20 has WebAssembly SIMD
    const kernel = mlpFunction64(spec, w, { engine: 'wasm' });
    const before = mlpForward64(spec, w, x, u);
    expect(Array.from(kernel(x, u))).toEqual(Array.from(before));
    w.biases[2][0] += 1; // the JavaScript loop reads w live, the kernel holds the copy made at creation
    expect(mlpForward64(spec, w, x, u)[0]).toBeCloseTo(before[0] + 1, 12);
    expect(Array.from(kernel(x, u))).toEqual(Array.from(before));
    expect(() => mlpFunction64(spec, w, { engine: 'gpu' as never })).toThrow(/engine must be 'auto', 'wasm' or 'js', got "gpu"/);
  });

  it("without WebAssembly SIMD, 'auto' falls back to the JavaScript loop and 'wasm' says why it cannot run", async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', { ...(globalThis as { WebAssembly?: object }).WebAssembly, validate: () => false });
    try {
      const fresh = await import('../src/index.js');
      expect(fresh.affine64WasmAvailable()).toBe(false);
      const spec: MlpSpec = { states: 2, inputs: 1, hidden: 12, layers: 3, activation: 'tanh' };
      const w = defaultWeights(spec, new Rng(8));
      const x = Float64Array.from([0.1, 0.9]);
      expect(Array.from(fresh.mlpFunction64(spec, w)(x))).toEqual(Array.from(mlpForward64(spec, w, x)));
      expect(() => fresh.mlpFunction64(spec, w, { engine: 'wasm' })).toThrow(/engine 'wasm': this runtime has no WebAssembly SIMD/);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it('rejects mismatched shapes with the argument named', () => {
    const spec: MlpSpec = { states: 2, inputs: 0, hidden: 4, layers: 2, activation: 'elu' };
    const w = defaultWeights(spec, 1);
    expect(() => mlpForward64(spec, w, [1, 2, 3])).toThrow(/x must have length 2, got 3/);
    expect(() => mlpForward64({ ...spec, hidden: 5 }, w, [1, 2])).toThrow(/weights\.weights\[0\].*2×5/);
    expect(() => mlpForward64({ ...spec, layers: 0 }, w, [1, 2])).toThrow(/spec\.layers.*got 0/);
    expect(() => mlpForward64({ ...spec, activation: 'swish' as ActivationName }, w, [1, 2])).toThrow(/spec\.activation.*swish/);
  });
});
