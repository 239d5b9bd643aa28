/**
 * Flat float32 layouts of a rollout's inputs, output and gradients in a mailbox's data area:
 * inputs [W_0 … W_{L−1}, b_0 … b_{L−1}, x_0, u], then the output (forward) — or the output gradient,
 * then [dW…, db…, dx_0, du] (backward).
 */
import { fanIns, type SimdGradients, type SimdRolloutData, type SimdRolloutProblem } from './mlp_rollout.js';

export interface PackedSizes {
  weights: number[];
  biases: number[];
  /** Floats of the inputs, of the output and of the gradients. */
  input: number;
  output: number;
  gradients: number;
}

export function packedSizes(p: SimdRolloutProblem): PackedSizes {
  const fan = fanIns(p);
  const weights = p.widths.map((w, l) => fan[l] * w);
  const biases = [...p.widths];
  const params = [...weights, ...biases].reduce((a, b) => a + b, 0);
  const x0 = p.batch * p.n;
  const u = p.steps * p.uBatch * p.m;
  const output = p.output === 'final' ? x0 : (p.steps + (p.includeInitial ? 1 : 0)) * x0;
  return { weights, biases, input: params + x0 + u, output, gradients: params + x0 + u };
}

/** Consecutive pieces of `src` from `offset` on: views, or copies. */
function reader(src: Float32Array, offset: number, copy: boolean): (count: number) => Float32Array {
  let at = offset;
  return (count) => {
    at += count;
    return copy ? src.slice(at - count, at) : src.subarray(at - count, at);
  };
}

/** Views of the packed inputs at the start of `src`. */
export function readData(p: SimdRolloutProblem, src: Float32Array): SimdRolloutData {
  const sizes = packedSizes(p);
  const take = reader(src, 0, false);
  const weights = sizes.weights.map(take);
  const biases = sizes.biases.map(take);
  const x0 = take(p.batch * p.n);
  const u = p.m > 0 ? take(p.steps * p.uBatch * p.m) : null;
  return { weights, biases, x0, u };
}

export function writeData(data: SimdRolloutData, dst: Float32Array): void {
  let at = 0;
  for (const part of [...data.weights, ...data.biases, data.x0, ...(data.u ? [data.u] : [])]) {
    dst.set(part, at);
    at += part.length;
  }
}

export function writeGradients(p: SimdRolloutProblem, g: SimdGradients, dst: Float32Array, offset: number): void {
  let at = offset;
  for (const part of [...g.weights, ...g.biases, g.x0]) {
    dst.set(part, at);
    at += part.length;
  }
  if (g.u != null) dst.set(g.u, at);
  else if (p.m > 0) dst.fill(Number.NaN, at, at + p.steps * p.uBatch * p.m);
}

/** Copies of packed gradients at `offset` of `src`. */
export function readGradients(p: SimdRolloutProblem, src: Float32Array, offset: number, wantInputs: boolean): SimdGradients {
  const sizes = packedSizes(p);
  const take = reader(src, offset, true);
  const weights = sizes.weights.map(take);
  const biases = sizes.biases.map(take);
  const x0 = take(p.batch * p.n);
  const u = p.m > 0 && wantInputs ? take(p.steps * p.uBatch * p.m) : null;
  return { weights, biases, x0, u };
}
