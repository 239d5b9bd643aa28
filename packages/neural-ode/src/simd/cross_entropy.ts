/**
 * The weighted softmax cross-entropy of a sequence classifier (the pixel experiment's loss) on the
 * SIMD kernels: loss = Σ_s w_s · mean_b CE(z[s, b, :], y_b) over logits z [T, B, C], labels y [B] and
 * step weights w [T], with its gradient w_s/B · (softmax − onehot) computed in the same pass over the
 * logits (assembly/mlp_kernels.ts: weightedCrossEntropy). A tfjs op with a custom gradient, on the
 * auxiliary kernel instance (aux_kernels.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import { auxKernels, auxKernelsAvailable } from './aux_kernels.js';
import { Arena, type KernelExports } from './kernels.js';

/** Whether {@link weightedCrossEntropySimd} runs here (WebAssembly SIMD available). */
export function crossEntropySimdAvailable(): boolean {
  return auxKernelsAvailable();
}

/**
 * Loss and gradient on the kernels, from host arrays: returns Σ_s weights[s]·Σ_b CE (float64 sum of
 * the rows) and grad [T·B·C] = weights[s]·(softmax − onehot). `k` defaults to this thread's instance
 * (tests pass one build).
 */
export function crossEntropyKernel(
  logits: Float32Array,
  labels: Int32Array,
  weights: Float32Array,
  shape: readonly [number, number, number],
  k?: KernelExports,
): { loss: number; grad: Float32Array } {
  const [T, B, C] = shape;
  const { k: kern, arena } = k ? { k, arena: new Arena(k) } : auxKernels('weightedCrossEntropySimd');
  arena.reset();
  const z = arena.alloc(T * B * C);
  const y = arena.alloc(B);
  const w = arena.alloc(T);
  const g = arena.alloc(T * B * C);
  arena.write(z, logits);
  new Int32Array(kern.memory.buffer, y, B).set(labels);
  arena.write(w, weights);
  const loss = kern.weightedCrossEntropy(z, y, w, g, T, B, C);
  return { loss, grad: arena.read(g, T * B * C) };
}

function checkArgs(logits: Tensor, labels: Int32Array, weights: ArrayLike<number>): [number, number, number] {
  const where = 'weightedCrossEntropySimd';
  if (logits.rank !== 3) throw new RangeError(`${where}: logits must be [T, B, C], got shape [${logits.shape.join(', ')}]`);
  const [T, B, C] = logits.shape as [number, number, number];
  if (labels.length !== B) throw new RangeError(`${where}: labels must have one entry per batch row (${B}), got ${labels.length}`);
  for (let b = 0; b < B; b++) {
    const l = labels[b];
    if (!(l >= 0 && l < C)) throw new RangeError(`${where}: labels[${b}] must be a class index in [0, ${C}), got ${l}`);
  }
  if (weights.length !== T) throw new RangeError(`${where}: weights must have one entry per step (${T}), got ${weights.length}`);
  return [T, B, C];
}

/**
 * Σ_s weights[s] · mean_b CE(logits[s, b, :], labels[b]) for logits [T, B, C] (float32, differentiable),
 * integer labels [B] and step weights [T] (host arrays). The gradient with respect to the logits is
 * weights[s]/B · (softmax − onehot), computed with the loss.
 */
export function weightedCrossEntropySimd(logits: Tensor3D, labels: Int32Array, weights: ArrayLike<number>): Scalar {
  const [T, B, C] = checkArgs(logits, labels, weights);
  const scaled = Float32Array.from(weights, (x) => x / B);
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [z, save] = [args[0] as Tensor, args[1] as tf.GradSaveFunc];
    const { loss, grad } = crossEntropyKernel(z.dataSync() as Float32Array, labels, scaled, [T, B, C]);
    const g = tf.tensor3d(grad, [T, B, C]);
    save([g]);
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: Tensor, saved: Tensor[]) => [tf.mul(saved[0], dy)],
    };
  });
  return f(logits);
}
