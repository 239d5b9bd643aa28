/**
 * Fast rollout: a whole fixed-step rollout of an MLP vector field recorded on the tape as ONE
 * operation with a hand-written backward pass. Two engines compute it: the package's own WebAssembly
 * SIMD kernels (src/simd/, engine 'simd') and tfjs kernels (this file, engine 'tfjs'); 'auto' picks.
 *
 * The tfjs engine: the tape's per-op chain (one gradient closure per kernel, many small transposed
 * products) is replaced by
 * - a forward pass outside the tape that uses the WASM backend's fused matMul + bias + activation
 *   kernel (XNNPACK, no transposes) for every Linear layer;
 * - a backward pass written out for the explicit Runge–Kutta step (adjoint of
 *   x_{k+1} = x_k + h Σ b_i K_i, Y_i = x_k + h Σ_{j<i} a_ij K_j, K_i = f(Y_i, u_k)):
 *     dK_i = h b_i λ + Σ_{l>i} h a_li dY_l,  dY_i = J_f(Y_i)ᵀ dK_i,  λ_k = λ_{k+1} + Σ_i dY_i,
 *   where every product is a plain (non-transposed) matMul against weights transposed once;
 * - weight gradients batched over all steps and stages: dW_k = A_kᵀ·D_k with A_k the layer inputs and
 *   D_k the pre-activation gradients of every evaluation stacked along the batch axis (one big matMul
 *   per layer instead of T·s small ones), db_k = column sums of D_k.
 * Gradients are produced lazily: a variable that is not differentiated costs nothing, and the
 * gradient with respect to the inputs u is computed only when asked for.
 *
 * The numbers are those of `NeuralODE.rollout` with the tape (same loss, same gradients to float32
 * rounding); `test/fast_rollout.test.ts` checks this against the autodiff path.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedTensorMap, Tensor, Tensor2D, Tensor3D, TensorInfo } from '@tensorflow/tfjs-core';
import type { ActivationName } from '@sii/mlp';
import { activate, activationBackward } from './activations.js';
import { kernelFuncRunner } from './kernel_func.js';
import { MlpVectorField } from './mlp.js';
import type { NeuralODE } from './neural_ode.js';
import { linearCombination, weightedSum } from './tableau.js';
import { simdRolloutOp, simdRolloutSupports } from './simd/rollout_op.js';
import { assertFiniteTensor, assertTensor, show } from './validate.js';

export type FastRolloutOutput = 'all' | 'final';

/**
 * What runs the fast rollout: 'simd' — this package's WebAssembly SIMD kernels (src/simd/: the whole
 * rollout and its backward pass in a few hundred kernel calls, no tfjs dispatch); 'tfjs' — tfjs
 * kernels (fused matMuls of the active backend, XNNPACK on WASM); 'auto' (default) — 'simd' where
 * it is faster (small and medium fields on the wasm or cpu backend, see {@link fastRolloutEngine}).
 */
export type FastRolloutEngine = 'auto' | 'simd' | 'tfjs';

export const FAST_ROLLOUT_ENGINES: readonly FastRolloutEngine[] = ['auto', 'simd', 'tfjs'];

/**
 * Widest layer for which 'auto' picks the SIMD kernels. Measured on the WASM backend (64 rows): the
 * kernels' products reach 26 GFLOP/s at width 256 against XNNPACK's 20, tie at 512 and fall behind
 * from 1024 (12 against 23: they do not block the reduction dimension for the caches).
 */
export const SIMD_AUTO_MAX_WIDTH = 384;

export interface FastRolloutOptions {
  /**
   * 'all' (default): [x_1 … x_T] as [T, batch, n] (as `NeuralODE.rollout`); 'final': x_T as [batch, n]
   * (no stacking; the cheapest form for a loss on the final state).
   */
  output?: FastRolloutOutput;
  /** With output 'all', prepend x_0 (shape [T + 1, batch, n]); default false. */
  includeInitial?: boolean;
  /** What runs the rollout (default 'auto', see {@link FastRolloutEngine}). */
  engine?: FastRolloutEngine;
}

/**
 * The engine 'auto' resolves to for this model on the active backend: 'simd' when the SIMD kernels
 * load, support the activation (all but softplus), the backend is 'wasm' or 'cpu' (reading tensors is
 * a copy, not a GPU download) and no layer is wider than {@link SIMD_AUTO_MAX_WIDTH}; else 'tfjs'.
 */
export function fastRolloutEngine(ode: NeuralODE): 'simd' | 'tfjs' {
  const field = ode.field;
  if (!(field instanceof MlpVectorField) || !simdRolloutSupports(field)) return 'tfjs';
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return 'tfjs';
  const widest = Math.max(...field.variables.map((v) => v.shape[v.rank - 1] ?? 0), field.states + field.inputs);
  return widest <= SIMD_AUTO_MAX_WIDTH ? 'simd' : 'tfjs';
}

/** Activations the fused matMul kernel applies itself (tfjs-core's fusable activation names). */
const FUSED: Partial<Record<ActivationName, string>> = { elu: 'elu', relu: 'relu', sigmoid: 'sigmoid', none: 'linear' };

/** Whether {@link fastRollout} applies to this model: an {@link MlpVectorField} in 'custom' gradient mode. */
export function fastRolloutApplies(ode: NeuralODE): boolean {
  return ode.field instanceof MlpVectorField && ode.field.gradMode === 'custom';
}

/** y = act(a·W + b) by the backend's fused kernel; a [1, B, in], w [1, in, out], bias [out]. */
function fusedLinear(a: Tensor, w: Tensor, bias: Tensor, activation: string): Tensor {
  return tf.engine().runKernel(
    tf._FusedMatMul,
    { a, b: w, bias },
    { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 },
  ) as Tensor;
}

/*
 * Hot-loop kernels through engine.runKernel: the op layer (argument conversion, a named scope per
 * op) costs about 1 µs per call, a sizeable part of a small kernel on WASM. Same-shape float32 inputs.
 */
function addK(a: Tensor, b: Tensor): Tensor {
  return tf.engine().runKernel(tf.Add, { a, b }) as Tensor;
}

/** a·b for [1, r, k]·[1, k, c]. */
function matMulK(a: Tensor, b: Tensor): Tensor {
  return tf.engine().runKernel(tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false }) as Tensor;
}

function concatK(ts: Tensor[], axis: number): Tensor {
  return ts.length === 1 ? ts[0]! : (tf.engine().runKernel(tf.Concat, ts as unknown as NamedTensorMap, { axis }) as Tensor);
}

/**
 * The kernels of the chain hot loops, on TensorInfos. `EngineRunner` goes through engine.runKernel
 * (tidy-managed Tensors); `DirectRunner` calls the WASM backend's kernel functions directly (about
 * 1.5–2 µs less per small kernel: no engine bookkeeping) and owns their outputs: `tensor(x)` turns one
 * into an engine Tensor (from then on the engine owns it), `release()` frees all the others. Only
 * these five kernels are used, all of which allocate a fresh output.
 */
interface Runner {
  add(a: TensorInfo, b: TensorInfo): TensorInfo;
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo;
  concat(ts: TensorInfo[], axis: number): TensorInfo;
  fused(a: TensorInfo, w: TensorInfo, bias: TensorInfo, activation: string): TensorInfo;
  eluGrad(dy: TensorInfo, y: TensorInfo): TensorInfo;
  tensor(x: TensorInfo): Tensor;
  release(): void;
}

const MATMUL_ATTRS = { transposeA: false, transposeB: false };

class EngineRunner implements Runner {
  add(a: TensorInfo, b: TensorInfo): TensorInfo {
    return addK(a as Tensor, b as Tensor);
  }
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return matMulK(a as Tensor, b as Tensor);
  }
  concat(ts: TensorInfo[], axis: number): TensorInfo {
    return concatK(ts as Tensor[], axis);
  }
  fused(a: TensorInfo, w: TensorInfo, bias: TensorInfo, activation: string): TensorInfo {
    return fusedLinear(a as Tensor, w as Tensor, bias as Tensor, activation);
  }
  eluGrad(dy: TensorInfo, y: TensorInfo): TensorInfo {
    return tf.engine().runKernel(tf.EluGrad, { dy: dy as Tensor, y: y as Tensor }) as Tensor;
  }
  tensor(x: TensorInfo): Tensor {
    return x as Tensor;
  }
  release(): void {}
}

type KernelFn = (args: { inputs: unknown; backend: unknown; attrs: Record<string, unknown> }) => TensorInfo;

class DirectRunner implements Runner {
  private readonly owned = new Set<TensorInfo>();
  private readonly adopted = new Map<TensorInfo, Tensor>();
  private readonly fns: Record<string, KernelFn>;

  private constructor(
    private readonly backend: KernelBackend,
    fns: Record<string, KernelFn>,
  ) {
    this.fns = fns;
  }

  /** A direct runner on the active backend when it is 'wasm' and has the five kernels; else null. */
  static create(): DirectRunner | null {
    if (tf.getBackend() !== 'wasm') return null;
    const fns: Record<string, KernelFn> = {};
    for (const name of [tf.Add, tf.BatchMatMul, tf.Concat, tf._FusedMatMul, tf.EluGrad]) {
      const k = tf.getKernel(name, 'wasm');
      if (k == null) return null;
      fns[name] = k.kernelFunc as unknown as KernelFn;
    }
    return new DirectRunner(tf.backend(), fns);
  }

  private run(name: string, inputs: unknown, attrs: Record<string, unknown> = {}): TensorInfo {
    const out = this.fns[name]!({ inputs, backend: this.backend, attrs });
    this.owned.add(out);
    return out;
  }
  add(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run(tf.Add, { a, b });
  }
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run(tf.BatchMatMul, { a, b }, MATMUL_ATTRS);
  }
  concat(ts: TensorInfo[], axis: number): TensorInfo {
    return ts.length === 1 ? ts[0]! : this.run(tf.Concat, ts, { axis });
  }
  fused(a: TensorInfo, w: TensorInfo, bias: TensorInfo, activation: string): TensorInfo {
    return this.run(tf._FusedMatMul, { a, b: w, bias }, { ...MATMUL_ATTRS, activation, leakyreluAlpha: 0 });
  }
  eluGrad(dy: TensorInfo, y: TensorInfo): TensorInfo {
    return this.run(tf.EluGrad, { dy, y });
  }
  tensor(x: TensorInfo): Tensor {
    if (x instanceof tf.Tensor) return x;
    const done = this.adopted.get(x);
    if (done) return done;
    if (!this.owned.has(x)) throw new Error('fastRollout: internal error (unknown tensor info)');
    this.owned.delete(x);
    const t = tf.engine().makeTensorFromTensorInfo(x, this.backend);
    this.adopted.set(x, t);
    return t;
  }
  release(): void {
    for (const x of this.owned) this.backend.disposeData(x.dataId);
    this.owned.clear();
    this.adopted.clear();
  }
}

/**
 * Aᵀ for a tall [R, c] matrix with R = blocks·B: transposing B-row blocks first and then the block
 * axis keeps both passes cache-friendly (a single large 2-D transpose is ~10× slower on WASM).
 */
function transposeTall(a: Tensor, blocks: number): Tensor {
  const [R, c] = [a.shape[a.rank - 2]!, a.shape[a.rank - 1]!];
  if (blocks <= 1 || R * c < 65536) return tf.transpose(tf.reshape(a, [R, c]));
  const B = R / blocks;
  const t1 = tf.transpose(tf.reshape(a, [blocks, B, c]), [0, 2, 1]); // [blocks, c, B]
  return tf.reshape(tf.transpose(t1, [1, 0, 2]), [c, R]);
}

/**
 * The T slices [1, …] along the first axis of a small tensor, as new tensors made from one read of its
 * values: the WASM backend's Slice/SplitV copy the whole source on every call (O(T²) for T slices).
 */
function stepSlices(t: Tensor): Tensor[] {
  const values = t.dataSync() as Float32Array;
  const [T, ...rest] = t.shape;
  const size = rest.reduce((p, d) => p * d, 1);
  return Array.from({ length: T! }, (_, k) => tf.tensor(values.subarray(k * size, (k + 1) * size), [1, ...rest], 'float32'));
}

/** Record of one field evaluation: layer inputs a_0..a_{L−1}, pre-activations (when kept), output. */
interface Evaluation {
  acts: Tensor[];
  zs: Array<Tensor | null>;
  out: Tensor;
}

/**
 * Roll out `ode` like `ode.rollout(x0, inputs)`, differentiable with respect to the field's variables,
 * x0 and the inputs, with one hand-written backward pass for the whole rollout (see the module
 * comment). Requires an {@link MlpVectorField} (any activation, any explicit tableau).
 */
export function fastRollout(
  ode: NeuralODE,
  x0: Tensor2D,
  inputs: Tensor3D | number,
  opts: FastRolloutOptions = {},
): Tensor {
  return fastRolloutImpl(ode, x0, inputs, opts, ode.checkFinite);
}

/** @internal {@link fastRollout} with the NaN/Infinity check of the arguments optional. */
export function fastRolloutImpl(
  ode: NeuralODE,
  x0: Tensor2D,
  inputs: Tensor3D | number,
  opts: FastRolloutOptions,
  checkFinite: boolean,
): Tensor {
  const where = 'fastRollout';
  const field = ode.field;
  if (!(field instanceof MlpVectorField)) {
    throw new TypeError(`${where}: the NeuralODE's field must be an MlpVectorField, got ${show(field)}`);
  }
  const output = opts.output ?? 'all';
  if (output !== 'all' && output !== 'final') {
    throw new RangeError(`${where}: options.output must be 'all' or 'final', got ${show(output)}`);
  }
  const includeInitial = opts.includeInitial ?? false;
  const { states: n, inputs: m, layers: L, activation } = field.spec;
  assertTensor(where, 'x0', x0, 2);
  if (x0.shape[1] !== n) throw new RangeError(`${where}: x0 must have shape [batch, ${n}], got [${x0.shape.join(', ')}]`);
  const B = x0.shape[0];
  let T: number;
  if (typeof inputs === 'number') {
    if (!Number.isInteger(inputs) || inputs < 1) {
      throw new RangeError(`${where}: the number of steps must be an integer >= 1, got ${show(inputs)}`);
    }
    if (m > 0) throw new RangeError(`${where}: the field has ${m} inputs; pass inputs of shape [T, batch, ${m}]`);
    T = inputs;
  } else {
    assertTensor(where, 'inputs', inputs, 3);
    const [Ti, b, mi] = inputs.shape;
    if (mi !== m || (b !== B && b !== 1) || Ti < 1) {
      throw new RangeError(`${where}: inputs must have shape [T >= 1, ${B} or 1, ${m}], got [${inputs.shape.join(', ')}]`);
    }
    T = Ti;
  }
  if (checkFinite) {
    assertFiniteTensor(where, 'x0', x0);
    if (typeof inputs !== 'number') assertFiniteTensor(where, 'inputs', inputs);
  }
  const engine = opts.engine ?? 'auto';
  if (!FAST_ROLLOUT_ENGINES.includes(engine)) {
    throw new RangeError(`${where}: options.engine must be one of ${FAST_ROLLOUT_ENGINES.join(', ')}, got ${show(engine)}`);
  }
  if (engine === 'simd' && !simdRolloutSupports(field)) {
    throw new RangeError(
      `${where}: engine 'simd' cannot run this field (activation ${show(activation)}; the SIMD kernels support all but softplus and need WebAssembly SIMD)`,
    );
  }
  if (engine === 'simd' || (engine === 'auto' && fastRolloutEngine(ode) === 'simd')) {
    return simdRolloutOp({
      field,
      tableau: ode.tableau,
      h: ode.h,
      x0,
      u: typeof inputs === 'number' || m === 0 ? null : inputs,
      steps: T,
      output,
      includeInitial: includeInitial && output === 'all',
    });
  }

  const tab = ode.tableau;
  const h = ode.h;
  const s = tab.b.length;
  const alpha = field.leakyReluAlpha;
  const vars = field.variables;
  const U = typeof inputs === 'number' || m === 0 ? null : inputs;
  const uBatch = U?.shape[1] ?? B;
  const acts = Array.from({ length: L }, (_, k): ActivationName => (k === L - 1 ? 'none' : activation));

  // "Chain" tableau: stage i reads only stage i − 1 (a_ij = 0 for j < i − 1).
  const chain = tab.a.every((row, i) => (row ?? []).every((v, j) => v === 0 || j === i - 1));
  const named: NamedTensorMap = { x0 };
  if (U != null) named.u = U;
  vars.forEach((v, i) => {
    named[`p${i}`] = v;
  });

  // Layer-wise records of the forward pass, in the order (step k, stage i); kept for the backward
  // pass through the engine's save mechanism (disposed with the tape).
  let evals: Evaluation[] = [];

  // Save, in a fixed order, what the backward pass reads: the first layer's inputs of all evaluations
  // as ONE tensor [1, T·s·B, n + m] (only the weight gradient reads them), then per evaluation the
  // hidden layer outputs (layer inputs 1 … L−1, for σ' and the weight gradients) and the
  // pre-activations of non-fused activations. (Every saved tensor costs a clone kernel.)
  const saveList = (recs: Evaluation[]): Tensor[] => {
    const flat: Tensor[] = [recs.length === 1 ? recs[0]!.acts[0]! : tf.concat(recs.map((r) => r.acts[0]!), 1)];
    for (const rec of recs) {
      for (let l = 0; l < L; l++) {
        if (l > 0) flat.push(rec.acts[l]!);
        if (rec.zs[l] != null) flat.push(rec.zs[l]!);
      }
    }
    return flat;
  };
  /** The saved first-layer inputs of all evaluations (set by layout). */
  let inputsAll: Tensor = x0;

  // Kernels of the chain hot loops: direct WASM calls when every activation has a direct kernel pair
  // (ELU: fused forward, EluGrad backward), engine.runKernel otherwise.
  const directOk = acts.every((a) => a === 'elu' || a === 'none');
  const makeRunner = (): Runner => (directOk ? DirectRunner.create() : null) ?? new EngineRunner();

  /** Chain-path record of one evaluation: layer inputs a_0 … a_{L−1} and pre-activations, as infos. */
  interface InfoEval {
    acts: TensorInfo[];
    zs: Array<TensorInfo | null>;
  }

  /** Layers 0 … L−2 of one evaluation at stage input y (step k); returns the last layer's input. */
  const evalHidden = (R: Runner, y: TensorInfo, k: number, us: Tensor[], W3: Tensor[], bs: Tensor[], rec: InfoEval): TensorInfo => {
    let a = m > 0 ? R.concat([y, us[k]!], 2) : y;
    for (let l = 0; l < L - 1; l++) {
      const act = acts[l]!;
      rec.acts.push(a);
      const fusedName = FUSED[act];
      if (fusedName !== undefined) {
        a = R.fused(a, W3[l]!, bs[l]!, fusedName);
        rec.zs.push(null);
      } else {
        const z = R.fused(a, W3[l]!, bs[l]!, 'linear');
        a = activate(act, z as Tensor, alpha); // EngineRunner only (non-direct activations)
        rec.zs.push(z);
      }
    }
    rec.acts.push(a);
    rec.zs.push(null);
    return a;
  };

  /**
   * Forward pass for a "chain" tableau (each stage reads only the previous one: Euler, midpoint,
   * Heun, RK4, …) with the Runge–Kutta coefficients folded into scaled copies of the last layer:
   * Y_{i+1} = x + K̂_i with K̂_i = a_{L−1}·(h a_{i+1,i} W_L) + h a_{i+1,i} b_L (no Multiply), and
   * x_{k+1} = x + Σ_g (Σ_{i∈g} a_{L−1}^{(i)})·(h b_g W_L) + h Σ b_i b_L over the groups g of equal b_i
   * (one product per distinct weight; the last stage's own last layer is never run).
   * Returns the rollout output and the tensors to save (see saveList), as engine Tensors.
   */
  const chainForward = (x0r: Tensor, W3: Tensor[], bs: Tensor[], us: Tensor[]): { result: Tensor; saved: Tensor[] } => {
    const WL = vars[2 * (L - 1)]!;
    const bL = vars[2 * L - 1]!;
    const scaled = new Map<number, [Tensor, Tensor]>();
    const scaledLast = (c: number): [Tensor, Tensor] => {
      let w = scaled.get(c);
      if (w == null) {
        w = [tf.reshape(tf.mul(WL, c), [1, ...WL.shape]), tf.mul(bL, c)];
        scaled.set(c, w);
      }
      return w;
    };
    // The step's sum Σ_i h b_i K_i grouped by equal weights (RK4: {1, 4}, {2, 3}): per group one product
    // of the summed last-layer inputs with h b_g W_L; the first group also adds the bias h Σ b_i b_L.
    // (Cheaper than one product over the inputs concatenated: the WASM Concat along the feature axis
    // is a slow element-wise copy.)
    const finalGroups = new Map<number, number[]>();
    tab.b.forEach((bi, i) => {
      if (bi !== 0) finalGroups.set(bi * h, [...(finalGroups.get(bi * h) ?? []), i]);
    });
    const groups = [...finalGroups.entries()].map(([c, idx]) => ({ idx, w: tf.reshape(tf.mul(WL, c), [1, ...WL.shape]) }));
    const finalBias = tf.mul(bL, tab.b.reduce((acc, bi) => acc + bi * h, 0));
    const stageC = Array.from({ length: s }, (_, i) => (i < s - 1 ? (tab.a[i + 1]?.[i] ?? 0) * h : 0));
    const stageW = stageC.map((c) => (c === 0 ? null : scaledLast(c)));
    const R = makeRunner();
    try {
      const recs: InfoEval[] = [];
      const xs: TensorInfo[] = includeInitial && output === 'all' ? [x0r] : [];
      let x: TensorInfo = x0r;
      for (let k = 0; k < T; k++) {
        let y = x;
        const lastInputs: TensorInfo[] = new Array(s);
        for (let i = 0; i < s; i++) {
          const rec: InfoEval = { acts: [], zs: [] };
          const aL = evalHidden(R, y, k, us, W3, bs, rec);
          recs.push(rec);
          lastInputs[i] = aL;
          if (i < s - 1) {
            const w = stageW[i];
            y = w == null ? x : R.add(x, R.fused(aL, w[0], w[1], 'linear'));
          }
        }
        groups.forEach((g, gi) => {
          const sum = g.idx.map((i) => lastInputs[i]!).reduce((acc, a) => R.add(acc, a));
          x = R.add(x, gi === 0 ? R.fused(sum, g.w, finalBias, 'linear') : R.matMul(sum, g.w));
        });
        if (output === 'all') xs.push(x);
      }
      // What the backward pass reads (see saveList): first-layer inputs of all evaluations as one
      // tensor, then per evaluation the hidden layer inputs and non-fused pre-activations.
      const saved: Tensor[] = [R.tensor(R.concat(recs.map((r) => r.acts[0]!), 1))];
      for (const rec of recs) {
        for (let l = 0; l < L; l++) {
          if (l > 0) saved.push(R.tensor(rec.acts[l]!));
          if (rec.zs[l] != null) saved.push(R.tensor(rec.zs[l]!));
        }
      }
      const result = output === 'all' ? R.tensor(R.concat(xs, 0)) : tf.reshape(R.tensor(x), [B, n]);
      return { result, saved };
    } finally {
      R.release();
    }
  };

  const forwardFunc = (_backend: unknown, save: (tensors: Tensor[]) => void): Tensor => {
    const W3 = Array.from({ length: L }, (_, k) => tf.reshape(vars[2 * k]!, [1, ...vars[2 * k]!.shape]));
    const bs = Array.from({ length: L }, (_, k) => vars[2 * k + 1]! as Tensor);
    const us = U == null ? [] : stepSlices(uBatch === B ? U : tf.tile(U, [1, B, 1]));
    const evalField = (y: Tensor, k: number): Evaluation => {
      let a = m > 0 ? tf.concat([y, us[k]!], 2) : y;
      const record: Evaluation = { acts: [], zs: [], out: a };
      acts.forEach((act, l) => {
        record.acts.push(a);
        const fusedName = FUSED[act];
        if (fusedName !== undefined) {
          a = fusedLinear(a, W3[l]!, bs[l]!, fusedName);
          record.zs.push(null);
        } else {
          const z = fusedLinear(a, W3[l]!, bs[l]!, 'linear');
          a = activate(act, z, alpha);
          record.zs.push(z);
        }
      });
      record.out = a;
      return record;
    };
    const recs: Evaluation[] = [];
    let x: Tensor = tf.reshape(x0, [1, B, n]);
    const xs: Tensor[] = includeInitial && output === 'all' ? [x] : [];
    if (chain) {
      const { result, saved } = chainForward(x, W3, bs, us);
      save(saved);
      return result;
    }
    for (let k = 0; k < T; k++) {
      const ks: Tensor[] = [];
      for (let i = 0; i < s; i++) {
        const row = tab.a[i] ?? [];
        const y = i === 0 ? x : linearCombination(x, row.slice(0, i).map((c) => c * h), ks);
        const rec = evalField(y, k);
        recs.push(rec);
        ks.push(rec.out);
      }
      x = linearCombination(
        x,
        tab.b.map((c) => c * h),
        ks,
      );
      if (output === 'all') xs.push(x);
    }
    save(saveList(recs));
    const result = output === 'all' ? tf.concat(xs, 0) : tf.reshape(x, [B, n]);
    return result;
  };

  const layout = (saved: Tensor[]): void => {
    // Rebuild the records from the saved (kept) clones (acts[0] of a record is not kept).
    inputsAll = saved[0]!;
    let p = 1;
    const recs: Evaluation[] = [];
    for (let e = 0; e < T * s; e++) {
      const rec: Evaluation = { acts: [], zs: [], out: saved[0]! };
      for (let l = 0; l < L; l++) {
        rec.acts.push(l === 0 ? inputsAll : saved[p++]!);
        rec.zs.push(acts[l] !== 'none' && FUSED[acts[l]!] === undefined ? saved[p++]! : null);
      }
      recs.push(rec);
    }
    evals = recs;
  };

  /** Weights transposed once, [1, out, in] (first layer: only the state rows). */
  const transposedWeights = (): Tensor[] =>
    Array.from({ length: L }, (_, l) => {
      const w = l === 0 && m > 0 ? tf.slice(vars[0]!, [0, 0], [n, vars[0]!.shape[1]!]) : vars[2 * l]!;
      return tf.reshape(tf.transpose(w), [1, w.shape[1]!, w.shape[0]!]);
    });

  /** dz of every layer from the output gradient g of one evaluation (layer 0's dz is the last). */
  const backLayers = (R: Runner, gIn: TensorInfo, rec: Evaluation, WT: Tensor[], dz: TensorInfo[]): void => {
    let g = gIn;
    for (let l = L - 1; l >= 0; l--) {
      const act = acts[l]!;
      let d: TensorInfo;
      if (act === 'none') d = g;
      else {
        const y = rec.acts[l + 1]!;
        // Non-ELU activations only ever run with the EngineRunner (g is then a Tensor).
        d =
          act === 'elu'
            ? R.eluGrad(g, y)
            : act === 'relu'
              ? tf.mul(g as Tensor, tf.step(y))
              : activationBackward(act, g as Tensor, rec.zs[l] ?? y, y, alpha);
      }
      dz[l] = d;
      if (l > 0) g = R.matMul(d, WT[l]!);
    }
  };

  /**
   * Adjoint of a chain tableau with scaled stage adjoints P_i = dK_i / σ_i, σ_i = h b_i (when b_i = 0,
   * σ_i = σ_{i+1}: free, chosen to keep σ uniform), so that no Runge–Kutta coefficient needs its own
   * Multiply per stage:
   *   P_i = λ + ρ̂_{i+1} (b_i ≠ 0) or ρ̂_{i+1} (b_i = 0),  ρ̂_{i+1} = dẑ1_{i+1}·(γ_i W1ₓᵀ), γ_i = h a_{i+1,i} σ_{i+1} / σ_i,
   *   λ_k = λ_{k+1} + Σ_i σ_i dẑ1_i·W1ₓᵀ  (stages with equal σ_i summed first, one product per value),
   * where dẑ_l are the layer gradients computed from P_i (the true ones times 1/σ_i); the weight
   * gradients are Aᵀ·diag(σ)·D̂ with every evaluation's rows stacked (one product per layer; a
   * uniform σ scales the product instead of the rows).
   */
  const chainBackward = (dy: Tensor): Record<string, () => Tensor> => {
    const WT = transposedWeights();
    const beta = tab.b.map((bi) => bi * h);
    const cNext = Array.from({ length: s }, (_, i) => (i < s - 1 ? (tab.a[i + 1]?.[i] ?? 0) * h : 0));
    // σ_i and whether stage i receives any adjoint (from λ directly or through stage i + 1).
    const sigma = new Array<number>(s).fill(0);
    for (let i = s - 1; i >= 0; i--) {
      if (beta[i] !== 0) sigma[i] = beta[i]!;
      else if (cNext[i] !== 0 && sigma[i + 1] !== 0) sigma[i] = sigma[i + 1]!; // free choice: keep σ uniform
    }
    const active = sigma.map((v, i) => ({ v, i })).filter((e) => e.v !== 0);
    const W1x = WT[0]!; // [1, H1, n]
    const gammaW = new Map<number, Tensor>();
    const scaledW1 = (c: number): Tensor => {
      let w = gammaW.get(c);
      if (w == null) {
        w = c === 1 ? W1x : tf.mul(W1x, c);
        gammaW.set(c, w);
      }
      return w;
    };
    // λ update Σ_i σ_i dẑ1_i·W1ₓᵀ grouped by equal σ: (Σ_{i∈g} dẑ1_i)·(σ_g W1ₓᵀ).
    const sigmaGroups = [...new Set(active.map((e) => e.v))].map((v) => ({ v, w: scaledW1(v) }));
    // All σ equal (midpoint, Euler, …): the weight gradients need no per-row scaling, only σ·(…).
    const uniform = sigmaGroups.length === 1 ? sigmaGroups[0]!.v : null;
    // dz rows per layer, stage and step: dzs[l][i][k].
    const dzs: TensorInfo[][][] = Array.from({ length: L }, () => Array.from({ length: s }, () => new Array<TensorInfo>(T)));
    const dyOut = output === 'all' ? stepSlices(dy) : null;
    const offset = includeInitial && output === 'all' ? 1 : 0;
    const run = makeRunner();
    let dx0: Tensor;
    let D: Tensor[];
    const rowsN = T * s * B;
    try {
      let lambda: TensorInfo = output === 'all' ? dyOut![T - 1 + offset]! : tf.reshape(dy, [1, B, n]);
      const dz = new Array<TensorInfo>(L);
      for (let k = T - 1; k >= 0; k--) {
        let rhoHat: TensorInfo | null = null;
        const firstDz: TensorInfo[] = new Array(s);
        for (let i = s - 1; i >= 0; i--) {
          if (sigma[i] === 0) {
            rhoHat = null;
            continue;
          }
          let P: TensorInfo;
          if (beta[i] !== 0) P = rhoHat == null ? lambda : run.add(lambda, rhoHat);
          else P = rhoHat!;
          backLayers(run, P, evals[k * s + i]!, WT, dz);
          for (let l = 0; l < L; l++) dzs[l]![i]![k] = dz[l]!;
          firstDz[i] = dz[0]!;
          rhoHat =
            i > 0 && sigma[i - 1] !== 0 && cNext[i - 1] !== 0
              ? run.matMul(dz[0]!, scaledW1((cNext[i - 1]! * sigma[i]!) / sigma[i - 1]!))
              : null;
        }
        for (const g of sigmaGroups) {
          const parts = active.filter((e) => e.v === g.v && firstDz[e.i] != null).map((e) => firstDz[e.i]!);
          if (parts.length > 0) lambda = run.add(lambda, run.matMul(parts.reduce((acc, d) => run.add(acc, d)), g.w));
        }
        if (k > 0 && dyOut != null) lambda = run.add(lambda, dyOut[k - 1 + offset]!);
      }
      if (dyOut != null && offset === 1) lambda = run.add(lambda, dyOut[0]!);
      dx0 = run.tensor(lambda);
      // Rows of every evaluation stacked (order: step, stage — as evals).
      D = Array.from({ length: L }, (_, l) => {
        const width = evals[0]!.acts[l + 1]?.shape[2] ?? n;
        const rows = Array.from({ length: T * s }, (_, e) => dzs[l]![e % s]![Math.floor(e / s)] ?? tf.zeros([1, B, width]));
        return tf.reshape(run.tensor(run.concat(rows, 1)), [rowsN, width]);
      });
    } finally {
      run.release();
    }
    // Scaled back by σ_i per row: D_l = diag(σ)·D̂_l (one Multiply per layer), then the batched
    // products of the general path.
    const sigmaRows = new Float32Array(rowsN);
    for (let e = 0; e < T * s; e++) sigmaRows.fill(sigma[e % s]!, e * B, (e + 1) * B);
    // With a uniform σ the rows stay as they are and σ scales the (small) products instead.
    if (uniform == null) {
      const sigmaCol = tf.tensor2d(sigmaRows, [rowsN, 1]);
      D = D.map((d) => tf.mul(d, sigmaCol));
    }
    const su = uniform ?? 1;
    const scaleOut = (t: Tensor): Tensor => (su === 1 ? t : tf.mul(t, su));
    const R = rowsN;
    const grads: Record<string, () => Tensor> = { x0: () => tf.reshape(dx0, [B, n]) };
    for (let l = 0; l < L; l++) {
      const A = () => (l === 0 ? inputsAll : tf.concat(evals.map((rec) => rec.acts[l]!), 1));
      grads[`p${2 * l}`] = () => scaleOut(tf.matMul(transposeTall(A(), T * s), D[l]!));
      grads[`p${2 * l + 1}`] = () => tf.reshape(tf.matMul(tf.fill([1, R], su), D[l]!), [D[l]!.shape[1]!]);
    }
    if (U != null) {
      grads.u = () => {
        // du_k = Σ_i σ_i dẑ1_{k,i}·W1uᵀ (the input columns of the first layer).
        const w1u = tf.slice(vars[0]!, [n, 0], [m, vars[0]!.shape[1]!]);
        const du = tf.reshape(tf.matMul(D[0]!, scaleOut(tf.transpose(w1u))), [T, s, B, m]);
        const perStep = s === 1 ? tf.reshape(du, [T, B, m]) : tf.sum(du, 1);
        return uBatch === B ? perStep : tf.sum(perStep, 1, true);
      };
    }
    return grads;
  };

  const backwardsFunc = (dyIn: Tensor | Tensor[], saved: Tensor[]): Record<string, () => Tensor> => {
    layout(saved);
    const dy = Array.isArray(dyIn) ? dyIn[0]! : dyIn;
    if (chain) return chainBackward(dy);
    // Weights transposed once: dX = dZ·Wᵀ (plain products). First layer: only the state rows.
    const WT = Array.from({ length: L }, (_, l) => {
      const w = l === 0 && m > 0 ? tf.slice(vars[0]!, [0, 0], [n, vars[0]!.shape[1]!]) : vars[2 * l]!;
      return tf.reshape(tf.transpose(w), [1, w.shape[1]!, w.shape[0]!]);
    });
    // Layer outputs y_l = acts[l + 1] (l < L − 1) give σ'.
    const dzRows: Tensor[][] = Array.from({ length: L }, () => new Array<Tensor>(T * s));
    const backField = (g: Tensor, e: number): Tensor => {
      const rec = evals[e]!;
      for (let l = L - 1; l >= 0; l--) {
        const act = acts[l]!;
        let dz: Tensor;
        if (act === 'none') dz = g;
        else {
          const y = rec.acts[l + 1]!;
          dz =
            act === 'elu'
              ? (tf.engine().runKernel(tf.EluGrad, { dy: g, y }) as Tensor)
              : act === 'relu'
                ? tf.mul(g, tf.step(y))
                : activationBackward(act, g, rec.zs[l] ?? y, y, alpha);
        }
        dzRows[l]![e] = dz;
        g = tf.matMul(dz, WT[l]!);
      }
      return g;
    };
    const dyOut = output === 'all' ? stepSlices(dy) : null;
    const offset = includeInitial && output === 'all' ? 1 : 0;
    let lambda: Tensor = output === 'all' ? dyOut![T - 1 + offset]! : tf.reshape(dy, [1, B, n]);
    for (let k = T - 1; k >= 0; k--) {
      const dYs = new Array<Tensor | null>(s).fill(null);
      for (let i = s - 1; i >= 0; i--) {
        const weights = [tab.b[i]! * h];
        const terms: Tensor[] = [lambda];
        for (let l = i + 1; l < s; l++) {
          const c = (tab.a[l]?.[i] ?? 0) * h;
          if (c !== 0 && dYs[l] != null) {
            weights.push(c);
            terms.push(dYs[l]!);
          }
        }
        const dK = weightedSum(weights, terms) ?? tf.zerosLike(lambda);
        dYs[i] = backField(dK, k * s + i);
      }
      const parts = [lambda, ...(dYs.filter((t) => t != null) as Tensor[])];
      if (k > 0 && dyOut != null) parts.push(dyOut[k - 1 + offset]!);
      lambda = parts.length === 1 ? parts[0]! : tf.addN(parts);
    }
    if (dyOut != null && offset === 1) lambda = tf.add(lambda, dyOut[0]!);
    const dx0 = lambda;
    // Stacked rows for the batched weight gradients (order: step, stage — as evals).
    const R = T * s * B;
    const D = dzRows.map((rows) => tf.reshape(tf.concat(rows, 1), [R, rows[0]!.shape[2]!]));
    const grads: Record<string, () => Tensor> = { x0: () => tf.reshape(dx0, [B, n]) };
    for (let l = 0; l < L; l++) {
      const A = () => (l === 0 ? inputsAll : tf.concat(evals.map((rec) => rec.acts[l]!), 1));
      grads[`p${2 * l}`] = () => tf.matMul(transposeTall(A(), T * s), D[l]!);
      // Column sums as a plain product with a row of ones (the backend's Sum over the batch axis
      // transposes first, which is ~100× slower for tall matrices).
      grads[`p${2 * l + 1}`] = () => tf.reshape(tf.matMul(tf.ones([1, R]), D[l]!), [D[l]!.shape[1]!]);
    }
    if (U != null) {
      grads.u = () => {
        // du_k = Σ_i dz1_{k,i}·W1uᵀ (the input columns of the first layer).
        const w1u = tf.slice(vars[0]!, [n, 0], [m, vars[0]!.shape[1]!]);
        const du = tf.reshape(tf.matMul(D[0]!, tf.transpose(w1u)), [T, s, B, m]);
        const perStep = s === 1 ? tf.reshape(du, [T, B, m]) : tf.sum(du, 1);
        return uBatch === B ? perStep : tf.sum(perStep, 1, true);
      };
    }
    return grads;
  };

  return kernelFuncRunner()({ forwardFunc, backwardsFunc, inputs: named }) as Tensor;
}
