/**
 * The tfjs engine of the fast rollout: a whole fixed-step rollout of an MLP vector field on tfjs
 * kernels, recorded on the tape as ONE operation with a hand-written backward pass (the engine 'auto'
 * picks for softplus and for layers wider than the SIMD kernels suit; see fast_rollout.ts).
 *
 * - Forward, outside the tape: every field evaluation by fused matMul + bias + activation kernels
 *   (mlp_pass.ts), the explicit Runge–Kutta step x_{k+1} = x_k + h Σ b_i K_i,
 *   Y_i = x_k + h Σ_{j<i} a_ij K_j, K_i = f(Y_i, u_k).
 * - Backward, the adjoint of that step:
 *     dK_i = h b_i λ + Σ_{l>i} h a_li dY_l,  dY_i = J_f(Y_i)ᵀ dK_i,  λ_k = λ_{k+1} + Σ_i dY_i,
 *   with plain (non-transposed) products against weights transposed once.
 * - Weight gradients batched over all steps and stages: dW_l = A_lᵀ·D_l with A_l the layer inputs and
 *   D_l the pre-activation gradients of every evaluation stacked along the batch axis (one product per
 *   layer instead of T·s small ones), db_l = column sums of D_l.
 * Gradients are produced lazily: a variable that is not differentiated costs nothing, and the gradient
 * with respect to the inputs u is computed only when asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { kernelFuncRunner } from '../kernel_func.js';
import { type RolloutProblem, tapeInputs } from '../rollout_args.js';
import { linearCombination, weightedSum } from '../tensor_step.js';
import {
  backward,
  type Evaluation,
  evaluate,
  forwardWeights,
  keepsPreActivation,
  layerActivations,
  transposedWeights,
} from './mlp_pass.js';

/**
 * Aᵀ for a tall [R, c] matrix with R = blocks·B: transposing B-row blocks first and then the block
 * axis keeps both passes cache-friendly (a single large 2-D transpose is ~10× slower on WASM).
 */
function transposeTall(a: Tensor, blocks: number): Tensor {
  const [R, c] = [a.shape[a.rank - 2], a.shape[a.rank - 1]];
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
  return Array.from({ length: T }, (_, k) => tf.tensor(values.subarray(k * size, (k + 1) * size), [1, ...rest], 'float32'));
}

export function tfjsRolloutOp(problem: RolloutProblem): Tensor {
  const { field, tableau: tab, h, x0, u: U, steps: T, output, includeInitial } = problem;
  const { states: n, inputs: m, layers: L } = field.spec;
  const s = tab.b.length;
  const alpha = field.leakyReluAlpha;
  const vars = field.variables;
  const acts = layerActivations(field);
  const B = x0.shape[0];
  const uBatch = U?.shape[1] ?? B;

  // Save, in a fixed order, what the backward pass reads: the first layer's inputs of all evaluations
  // as ONE tensor [1, T·s·B, n + m] (only the weight gradient reads them), then per evaluation the
  // hidden layer outputs (layer inputs 1 … L−1, for σ' and the weight gradients) and the kept
  // pre-activations. (Every saved tensor costs a clone kernel.)
  const saveList = (recs: Evaluation[]): Tensor[] => {
    const flat: Tensor[] = [
      recs.length === 1
        ? recs[0].acts[0]
        : tf.concat(
            recs.map((r) => r.acts[0]),
            1,
          ),
    ];
    for (const rec of recs) {
      for (let l = 0; l < L; l++) {
        if (l > 0) flat.push(rec.acts[l]);
        if (rec.zs[l] != null) flat.push(rec.zs[l]!);
      }
    }
    return flat;
  };

  /** The records of the T·s evaluations (order: step, stage), rebuilt from the saved tensors. */
  const layout = (saved: Tensor[]): { inputsAll: Tensor; evals: Evaluation[] } => {
    const inputsAll = saved[0];
    let p = 1;
    const evals: Evaluation[] = [];
    for (let e = 0; e < T * s; e++) {
      const rec: Evaluation = { acts: [], zs: [], out: inputsAll };
      for (let l = 0; l < L; l++) {
        rec.acts.push(l === 0 ? inputsAll : saved[p++]);
        rec.zs.push(keepsPreActivation(acts[l]) ? saved[p++] : null);
      }
      evals.push(rec);
    }
    return { inputsAll, evals };
  };

  const forwardFunc = (_backend: unknown, save: (tensors: Tensor[]) => void): Tensor => {
    const w = forwardWeights(field);
    const us = U == null ? [] : stepSlices(uBatch === B ? U : tf.tile(U, [1, B, 1]));
    const recs: Evaluation[] = [];
    let x: Tensor = tf.reshape(x0, [1, B, n]);
    const xs: Tensor[] = includeInitial ? [x] : [];
    for (let k = 0; k < T; k++) {
      const ks: Tensor[] = [];
      for (let i = 0; i < s; i++) {
        const row = tab.a[i] ?? [];
        const y =
          i === 0
            ? x
            : linearCombination(
                x,
                row.slice(0, i).map((c) => c * h),
                ks,
              );
        const rec = evaluate(m > 0 ? tf.concat([y, us[k]], 2) : y, w, acts, alpha);
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
    return output === 'all' ? tf.concat(xs, 0) : tf.reshape(x, [B, n]);
  };

  const backwardsFunc = (dyIn: Tensor | Tensor[], saved: Tensor[]): Record<string, () => Tensor> => {
    const { inputsAll, evals } = layout(saved);
    const dy = Array.isArray(dyIn) ? dyIn[0] : dyIn;
    const WT = transposedWeights(field);
    // dz rows of every layer and evaluation, stacked below for the batched weight gradients.
    const dzRows: Tensor[][] = Array.from({ length: L }, () => new Array<Tensor>(T * s));
    const dz = new Array<Tensor>(L);
    const dyOut = output === 'all' ? stepSlices(dy) : null;
    const offset = includeInitial ? 1 : 0;
    let lambda: Tensor = dyOut != null ? dyOut[T - 1 + offset] : tf.reshape(dy, [1, B, n]);
    for (let k = T - 1; k >= 0; k--) {
      const dYs = new Array<Tensor | null>(s).fill(null);
      for (let i = s - 1; i >= 0; i--) {
        const weights = [tab.b[i] * h];
        const terms: Tensor[] = [lambda];
        for (let l = i + 1; l < s; l++) {
          const c = (tab.a[l]?.[i] ?? 0) * h;
          if (c !== 0 && dYs[l] != null) {
            weights.push(c);
            terms.push(dYs[l]!);
          }
        }
        const dK = weightedSum(weights, terms) ?? tf.zerosLike(lambda);
        dYs[i] = backward(dK, evals[k * s + i], WT, acts, alpha, dz);
        for (let l = 0; l < L; l++) dzRows[l][k * s + i] = dz[l];
      }
      const parts = [lambda, ...(dYs.filter((t) => t != null) as Tensor[])];
      if (k > 0 && dyOut != null) parts.push(dyOut[k - 1 + offset]);
      lambda = parts.length === 1 ? parts[0] : tf.addN(parts);
    }
    if (dyOut != null && offset === 1) lambda = tf.add(lambda, dyOut[0]);
    const dx0 = lambda;
    const R = T * s * B;
    const D = dzRows.map((rows) => tf.reshape(tf.concat(rows, 1), [R, rows[0].shape[2]!]));
    const grads: Record<string, () => Tensor> = { x0: () => tf.reshape(dx0, [B, n]) };
    for (let l = 0; l < L; l++) {
      const A = () =>
        l === 0
          ? inputsAll
          : tf.concat(
              evals.map((rec) => rec.acts[l]),
              1,
            );
      grads[`p${2 * l}`] = () => tf.matMul(transposeTall(A(), T * s), D[l]);
      // Column sums as a plain product with a row of ones (the backend's Sum over the batch axis
      // transposes first, which is ~100× slower for tall matrices).
      grads[`p${2 * l + 1}`] = () => tf.reshape(tf.matMul(tf.ones([1, R]), D[l]), [D[l].shape[1]!]);
    }
    if (U != null) {
      grads.u = () => {
        // du_k = Σ_i dz1_{k,i}·W1uᵀ (the input columns of the first layer).
        const w1u = tf.slice(vars[0], [n, 0], [m, vars[0].shape[1]!]);
        const du = tf.reshape(tf.matMul(D[0], tf.transpose(w1u)), [T, s, B, m]);
        const perStep = s === 1 ? tf.reshape(du, [T, B, m]) : tf.sum(du, 1);
        return uBatch === B ? perStep : tf.sum(perStep, 1, true);
      };
    }
    return grads;
  };

  return kernelFuncRunner()({ forwardFunc, backwardsFunc, inputs: tapeInputs(problem) }) as Tensor;
}
