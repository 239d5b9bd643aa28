/**
 * LayerNorm over the last axis (torch.nn.LayerNorm: biased variance, ε inside the root) as one tfjs
 * op on the SIMD kernels (assembly/mlp_kernels.ts: layerNormForward/Backward): two passes over each
 * row forward, two backward, instead of some thirty tfjs kernels over the whole matrix. Auxiliary
 * kernel instance; x̂ and 1/σ are kept on the host between the passes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { auxKernels } from './aux_kernels.js';

const WHERE = 'layerNormSimd';

function floats(t: Tensor): Float32Array {
  const v = t.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/** Activations the op can apply after the normalisation (their derivative needs only σ(z)). */
const AFTER = { none: 0, relu: 2, tanh: 4 } as const;
export type LayerNormActivation = keyof typeof AFTER;

/**
 * y = σ(x̂·γ + β) with x̂ = (x − mean)/√(var + eps) per row of x [R, H]; γ, β [H]; σ none (default),
 * ReLU or tanh (fused: their derivatives are read from y alone).
 */
export function layerNormSimd(x: Tensor2D, gamma: Tensor, beta: Tensor, eps: number, activation: LayerNormActivation = 'none'): Tensor2D {
  const [R, H] = x.shape;
  if (!Object.hasOwn(AFTER, activation)) {
    throw new RangeError(`${WHERE}: activation must be one of ${Object.keys(AFTER).join(', ')}, got ${JSON.stringify(activation)}`);
  }
  const kind = AFTER[activation];
  for (const [name, t] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== H) throw new RangeError(`${WHERE}: ${name} must be [${H}], got [${t.shape.join(', ')}]`);
  }
  if (!(eps > 0)) throw new RangeError(`${WHERE}: eps must be > 0, got ${eps}`);
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const gs = floats(args[1] as Tensor);
    const { k, arena } = auxKernels(WHERE);
    arena.reset();
    const px = arena.alloc(R * H);
    const pg = arena.alloc(H);
    const pb = arena.alloc(H);
    const py = arena.alloc(R * H);
    const ph = arena.alloc(R * H);
    const pr = arena.alloc(R);
    arena.write(px, floats(args[0] as Tensor));
    arena.write(pg, gs);
    arena.write(pb, floats(args[2] as Tensor));
    k.layerNormForward(px, pg, pb, py, ph, pr, R, H, eps);
    if (kind !== 0) k.activate(kind, py, py, R * H, 0);
    const xhat = arena.read(ph, R * H);
    const rstd = arena.read(pr, R);
    const y = arena.read(py, R * H);
    return {
      value: tf.tensor2d(y, [R, H]),
      gradFunc: (dy: Tensor) => {
        const b = auxKernels(WHERE);
        b.arena.reset();
        const pd = b.arena.alloc(R * H);
        const qh = b.arena.alloc(R * H);
        const qr = b.arena.alloc(R);
        const qg = b.arena.alloc(H);
        const pdx = b.arena.alloc(R * H);
        const pdg = b.arena.alloc(H);
        const pdb = b.arena.alloc(H);
        b.arena.write(pd, floats(dy));
        if (kind !== 0) {
          // dy ⊙ σ′: ReLU's and tanh's derivatives from y = σ(z) (y > 0 ⇔ z > 0; 1 − y²)
          const qy = b.arena.alloc(R * H);
          b.arena.write(qy, y);
          b.k.activationBackward(kind, pd, qy, qy, R * H, 0);
        }
        b.arena.write(qh, xhat);
        b.arena.write(qr, rstd);
        b.arena.write(qg, gs);
        b.k.zero(pdg, H);
        b.k.zero(pdb, H);
        b.k.layerNormBackward(pd, qh, qr, qg, pdx, pdg, pdb, R, H);
        return [tf.tensor2d(b.arena.read(pdx, R * H), [R, H]), tf.tensor1d(b.arena.read(pdg, H)), tf.tensor1d(b.arena.read(pdb, H))];
      },
    };
  });
  return op(x, gamma, beta) as Tensor2D;
}
