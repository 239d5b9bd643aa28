/**
 * Fast rollout: a whole fixed-step rollout of an MLP vector field recorded on the tape as ONE
 * operation with a hand-written backward pass.
 *
 * The tape's per-op chain (one gradient closure per kernel, many small transposed products) is
 * replaced by
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
import type { NamedTensorMap, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { type ActivationName, activate, activationBackward } from './activations.js';
import { MlpVectorField } from './mlp.js';
import type { NeuralODE } from './neural_ode.js';
import { linearCombination, weightedSum } from './tableau.js';
import { assertFiniteTensor, assertTensor, show } from './validate.js';

export type FastRolloutOutput = 'all' | 'final';

export interface FastRolloutOptions {
  /**
   * 'all' (default): [x_1 … x_T] as [T, batch, n] (as `NeuralODE.rollout`); 'final': x_T as [batch, n]
   * (no stacking; the cheapest form for a loss on the final state).
   */
  output?: FastRolloutOutput;
  /** With output 'all', prepend x_0 (shape [T + 1, batch, n]); default false. */
  includeInitial?: boolean;
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

type KernelFuncRunner = (params: {
  forwardFunc: (backend: unknown, save: (tensors: Tensor[]) => void) => Tensor | Tensor[];
  backwardsFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => Record<string, () => Tensor>;
  inputs: NamedTensorMap;
  attrs?: Record<string, unknown>;
}) => Tensor | Tensor[];

function kernelFuncRunner(): KernelFuncRunner {
  const engine = tf.engine() as unknown as { runKernelFunc?: KernelFuncRunner };
  if (typeof engine.runKernelFunc !== 'function') {
    throw new Error('fastRollout: this tfjs-core has no engine.runKernelFunc (tfjs-core 4.22.0 is required)');
  }
  return engine.runKernelFunc.bind(engine);
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

  const tab = ode.tableau;
  const h = ode.h;
  const s = tab.b.length;
  const alpha = field.leakyReluAlpha;
  const vars = field.variables;
  const U = typeof inputs === 'number' || m === 0 ? null : inputs;
  const uBatch = U?.shape[1] ?? B;
  const acts = Array.from({ length: L }, (_, k): ActivationName => (k === L - 1 ? 'none' : activation));

  const named: NamedTensorMap = { x0 };
  if (U != null) named.u = U;
  vars.forEach((v, i) => {
    named[`p${i}`] = v;
  });

  // Layer-wise records of the forward pass, in the order (step k, stage i); kept for the backward
  // pass through the engine's save mechanism (disposed with the tape).
  let evals: Evaluation[] = [];

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
    // Save, in a fixed order, what the backward pass reads: per evaluation the layer inputs, the
    // layer outputs (for σ'), and the pre-activations of non-fused activations.
    const flat: Tensor[] = [];
    for (const rec of recs) {
      for (let l = 0; l < L; l++) {
        flat.push(rec.acts[l]!);
        if (rec.zs[l] != null) flat.push(rec.zs[l]!);
      }
    }
    save(flat);
    const result = output === 'all' ? tf.concat(xs, 0) : tf.reshape(x, [B, n]);
    return result;
  };

  const layout = (saved: Tensor[]): void => {
    // Rebuild the records from the saved (kept) clones.
    let p = 0;
    const recs: Evaluation[] = [];
    for (let e = 0; e < T * s; e++) {
      const rec: Evaluation = { acts: [], zs: [], out: saved[0]! };
      for (let l = 0; l < L; l++) {
        rec.acts.push(saved[p++]!);
        rec.zs.push(acts[l] !== 'none' && FUSED[acts[l]!] === undefined ? saved[p++]! : null);
      }
      recs.push(rec);
    }
    evals = recs;
  };

  const backwardsFunc = (dyIn: Tensor | Tensor[], saved: Tensor[]): Record<string, () => Tensor> => {
    layout(saved);
    const dy = Array.isArray(dyIn) ? dyIn[0]! : dyIn;
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
      const A = () => tf.concat(evals.map((rec) => rec.acts[l]!), 1);
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
