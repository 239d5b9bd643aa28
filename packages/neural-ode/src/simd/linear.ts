/**
 * A dense layer y = x·W + b as one tfjs op on the SIMD kernels (the rollout's products: `gemm`
 * forward, dx = dy·Wᵀ with W transposed first, dW = xᵀ·dy by `gemmTN`, db by `colSum`), for layers
 * applied to many rows at once (a decoder over every state of a rollout): forward and backward of a
 * 4096×128×128 layer took ~30% less CPU time than tfjs' matMul with its registered gradient (XNNPACK
 * and explicit transposes). Float32, row-major; auxiliary kernel instance.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { auxKernels } from './aux_kernels.js';
import { INIT_BIAS, INIT_ZERO } from './kernels.js';

const WHERE = 'linearSimd';

function floats(t: Tensor): Float32Array {
  const v = t.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/** Forward: y [R, N] = x [R, K]·W [K, N] + b [N]. */
export function linearForward(x: Float32Array, w: Float32Array, b: Float32Array, R: number, K: number, N: number): Float32Array {
  const { k, arena } = auxKernels(WHERE);
  arena.reset();
  const px = arena.alloc(R * K);
  const pw = arena.alloc(K * N);
  const pb = arena.alloc(N);
  const py = arena.alloc(R * N);
  arena.write(px, x);
  arena.write(pw, w);
  arena.write(pb, b);
  k.gemm(px, K, pw, py, N, R, K, N, INIT_BIAS, pb);
  return arena.read(py, R * N);
}

/** Backward: dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_rows dy. */
export function linearBackward(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  R: number,
  K: number,
  N: number,
): { dx: Float32Array; dw: Float32Array; db: Float32Array } {
  const { k, arena } = auxKernels(WHERE);
  arena.reset();
  const px = arena.alloc(R * K);
  const pw = arena.alloc(K * N);
  const pwt = arena.alloc(K * N);
  const pd = arena.alloc(R * N);
  const pdx = arena.alloc(R * K);
  const pdw = arena.alloc(K * N);
  const pdb = arena.alloc(N);
  const work = arena.alloc(k.gemmTNWork(K));
  arena.write(px, x);
  arena.write(pw, w);
  arena.write(pd, dy);
  k.transpose(pw, pwt, K, N);
  k.gemm(pd, N, pwt, pdx, K, R, N, K, INIT_ZERO, 0);
  k.zero(pdw, K * N);
  k.gemmTN(px, K, pd, N, pdw, R, K, N, work);
  k.zero(pdb, N);
  k.colSum(pd, N, R, N, pdb);
  return { dx: arena.read(pdx, R * K), dw: arena.read(pdw, K * N), db: arena.read(pdb, N) };
}

/** y = x·W + b for x [R, K], W [K, N], b [N], differentiable in all three. */
export function linearSimd(x: Tensor2D, w: Tensor2D, b: Tensor): Tensor2D {
  const [R, K] = x.shape;
  if (w.rank !== 2 || w.shape[0] !== K) throw new RangeError(`${WHERE}: w must be [${K}, N], got [${w.shape.join(', ')}]`);
  const N = w.shape[1];
  if (b.rank !== 1 || b.shape[0] !== N) throw new RangeError(`${WHERE}: b must be [${N}], got [${b.shape.join(', ')}]`);
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const xs = floats(args[0] as Tensor);
    const ws = floats(args[1] as Tensor);
    const y = linearForward(xs, ws, floats(args[2] as Tensor), R, K, N);
    return {
      value: tf.tensor2d(y, [R, N]),
      gradFunc: (dy: Tensor) => {
        const g = linearBackward(xs, ws, floats(dy), R, K, N);
        return [tf.tensor2d(g.dx, [R, K]), tf.tensor2d(g.dw, [K, N]), tf.tensor1d(g.db)];
      },
    };
  });
  return op(x, w, b) as Tensor2D;
}
