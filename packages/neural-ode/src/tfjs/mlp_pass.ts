/**
 * One evaluation of an MLP vector field on tfjs kernels and its backward pass, for the tfjs engine of
 * the fast rollout (rollout_op.ts). Field: a_0 = [y, u], z_l = a_l·W_l + b_l, a_{l+1} = σ_l(z_l),
 * f = a_L (σ_{L−1} = identity). The forward pass uses the backend's fused matMul + bias + activation
 * kernel (XNNPACK on WASM); the backward pass only plain, non-transposed products against weights
 * transposed once.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { ActivationName } from '@sii/mlp';
import { activate, activationBackward } from '../activations.js';
import type { MlpVectorField } from '../mlp.js';

/** Activations the fused matMul kernel applies itself (tfjs-core's fusable activation names). */
const FUSED: Partial<Record<ActivationName, string>> = { elu: 'elu', relu: 'relu', sigmoid: 'sigmoid', none: 'linear' };

/** Record of one field evaluation: the layer inputs a_0 … a_{L−1}, the pre-activations z_l where kept, the output. */
export interface Evaluation {
  acts: Tensor[];
  zs: Array<Tensor | null>;
  out: Tensor;
}

/** The activation of each of the L layers (the last one is linear). */
export function layerActivations(field: MlpVectorField): ActivationName[] {
  const L = field.spec.layers;
  return Array.from({ length: L }, (_, l) => (l === L - 1 ? 'none' : field.spec.activation));
}

/**
 * Whether an evaluation keeps the pre-activation z of a layer with this activation (the fused kernel
 * returns σ(z) only; the backward pass then computes σ' from the output).
 */
export function keepsPreActivation(act: ActivationName): boolean {
  return FUSED[act] === undefined;
}

/** y = act(a·w + bias) by the backend's fused kernel; a [1, B, in], w [1, in, out], bias [out]. */
function fusedLinear(a: Tensor, w: Tensor, bias: Tensor, activation: string): Tensor {
  return tf
    .engine()
    .runKernel(tf._FusedMatMul, { a, b: w, bias }, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 }) as Tensor;
}

/** The field's weights as [1, in, out] (the fused kernel's batched layout) and its biases. */
export function forwardWeights(field: MlpVectorField): { weights: Tensor[]; biases: Tensor[] } {
  const vars = field.variables;
  const L = field.spec.layers;
  return {
    weights: Array.from({ length: L }, (_, l) => tf.reshape(vars[2 * l], [1, ...vars[2 * l].shape])),
    biases: Array.from({ length: L }, (_, l) => vars[2 * l + 1] as Tensor),
  };
}

/** Evaluate the field at a_0 [1, B, n + m] (the state and the step's inputs, concatenated). */
export function evaluate(
  a0: Tensor,
  w: { weights: Tensor[]; biases: Tensor[] },
  acts: readonly ActivationName[],
  alpha: number,
): Evaluation {
  const rec: Evaluation = { acts: [], zs: [], out: a0 };
  let a = a0;
  acts.forEach((act, l) => {
    rec.acts.push(a);
    if (keepsPreActivation(act)) {
      const z = fusedLinear(a, w.weights[l], w.biases[l], 'linear');
      a = activate(act, z, alpha);
      rec.zs.push(z);
    } else {
      a = fusedLinear(a, w.weights[l], w.biases[l], FUSED[act]!);
      rec.zs.push(null);
    }
  });
  rec.out = a;
  return rec;
}

/**
 * The weights transposed once, [1, out, in], so that every backward product dX = dZ·Wᵀ is a plain one;
 * of the first layer only the n state rows (the inputs' rows get no adjoint).
 */
export function transposedWeights(field: MlpVectorField): Tensor[] {
  const vars = field.variables;
  const { states: n, inputs: m, layers: L } = field.spec;
  return Array.from({ length: L }, (_, l) => {
    const w = l === 0 && m > 0 ? tf.slice(vars[0], [0, 0], [n, vars[0].shape[1]!]) : vars[2 * l];
    return tf.reshape(tf.transpose(w), [1, w.shape[1]!, w.shape[0]]);
  });
}

/**
 * Backward pass of one evaluation: from the output gradient g [1, B, n], the pre-activation gradients
 * dz_l of every layer (written to `dz`) and the gradient with respect to the state, J_f(Y)ᵀ g.
 */
export function backward(
  g: Tensor,
  rec: Evaluation,
  WT: readonly Tensor[],
  acts: readonly ActivationName[],
  alpha: number,
  dz: Tensor[],
): Tensor {
  let d = g;
  for (let l = acts.length - 1; l >= 0; l--) {
    // The layer's output is the next layer's input (the last layer is linear: σ' = 1, y unused).
    const y = rec.acts[l + 1] ?? rec.out;
    dz[l] = activationBackward(acts[l], d, rec.zs[l] ?? y, y, alpha);
    d = tf.matMul(dz[l], WT[l]);
  }
  return d;
}
