/**
 * 3-D convolutions on channels-last tensors [N, D, H, W, C] for the latent-dynamics model.
 *
 * - `conv3d`: stride 1, zero padding (p_d, p_h, p_w), kernel [kd, kh, kw, Cin, Cout] (tfjs layout),
 *   optional bias [Cout]. 'im2col' (default) gathers the kd·kh·kw shifted copies of the padded input
 *   into columns [M, K·Cin] (a JavaScript loop, see gather.ts) and multiplies by the kernel as a plain
 *   matMul; its gradient is hand-written (tf.customGrad): dX is the same im2col convolution of dY with
 *   the flipped, in/out-swapped kernel and padding k − 1 − p; dW = colsᵀ·dY with the transposed columns
 *   gathered from the saved x (every product untransposed with the small operand on the right, which
 *   XNNPACK packs on every call); db the row sums of dY as a rank-2 reduction.
 *   'native' uses tfjs' Conv3D kernel with the gradient registered in registerConvGradients().
 * - `convTranspose3dStrided`: torch ConvTranspose3d with stride = kernel and no padding (the
 *   authors' (1, 2, 2) up-sampling): one matMul [M, Cin]·[Cin, kd·kh·kw·Cout] (on the SIMD kernels with
 *   'simd') and a depth-to-space reshuffle (gather.ts); the patches do not overlap, so nothing is summed.
 * A stride-1 ConvTranspose3d with padding p equals conv3d with the flipped, in/out-swapped kernel and
 * padding k − 1 − p; the model stores that kernel directly (same parameter count, same init bound).
 */

import { auxKernelsAvailable, conv3dSimd, depthToSpaceBiasSimd, matMulSimd } from '@sii/neural-ode/internal';
import type { Tensor, Tensor2D, Tensor5D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { depthToSpace, depthToSpaceBias, im2colData } from './gather.js';

/**
 * 'simd': neural-ode's direct convolution on its WebAssembly SIMD kernels (and, in the model, the
 * fused Conv → BatchNorm → SiLU op); 'im2col': JS gather + matMul (the tested reference);
 * 'native': tfjs' Conv3D kernel.
 */
export type ConvImpl = 'im2col' | 'native' | 'simd';
export const CONV_IMPLS: readonly ConvImpl[] = ['im2col', 'native', 'simd'];

/** 'simd' where its kernels run (WebAssembly SIMD, a CPU backend), else 'im2col' (the same numbers to float32 rounding). */
export function resolveConvImpl(impl: ConvImpl): ConvImpl {
  if (impl !== 'simd') return impl;
  return auxKernelsAvailable() && ['wasm', 'cpu'].includes(tf.getBackend()) ? 'simd' : 'im2col';
}
export type Triple = readonly [number, number, number];

/** Plain matMul with a hand-written gradient whose products take explicitly transposed operands. */
export function dense(x: Tensor2D, w: Tensor2D): Tensor2D {
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [a, b, save] = [args[0] as Tensor2D, args[1] as Tensor2D, args[2] as tf.GradSaveFunc];
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sa, sb] = saved as [Tensor2D, Tensor2D];
        return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)];
      },
    };
  });
  return (f as unknown as (a: Tensor2D, b: Tensor2D) => Tensor2D)(x, w);
}

/** The parts of tfjs-backend-wasm's backend used to gather columns straight into its heap. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

function wasmHeap(x: Tensor): WasmHeap | null {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32') return null;
  const b = tf.backend() as unknown as Partial<WasmHeap>;
  return typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? (b as WasmHeap) : null;
}

/**
 * Columns of x as a tensor. On the wasm backend they are gathered from x's heap memory straight into
 * the output tensor's (no copies in or out, no garbage); elsewhere through JavaScript arrays.
 */
function gatherColumns(x: Tensor5D, kernel: Triple, pad: Triple, transposed: boolean): Tensor2D {
  const heap = wasmHeap(x);
  if (!heap) {
    const { data, rows, cols } = im2colData(x.dataSync() as Float32Array, x.shape, kernel, pad, transposed);
    return tf.tensor2d(data, [rows, cols]);
  }
  const [N, D, H, W, C] = x.shape;
  const M = N * (D + 2 * pad[0] - kernel[0] + 1) * (H + 2 * pad[1] - kernel[1] + 1) * (W + 2 * pad[2] - kernel[2] + 1);
  const KC = kernel[0] * kernel[1] * kernel[2] * C;
  const info = heap.makeOutput(transposed ? [KC, M] : [M, KC], 'float32');
  // Views taken after the allocation (a heap growth detaches earlier views).
  const out = heap.typedArrayFromHeap(info);
  im2colData(heap.typedArrayFromHeap(x), x.shape, kernel, pad, transposed, out);
  return tf.engine().makeTensorFromTensorInfo(info) as Tensor2D;
}

/** Columns [N·Do·Ho·Wo, kd·kh·kw·C] of a stride-1 convolution with padding `pad` (order: kd, kh, kw, C). */
export function im2col(x: Tensor5D, kernel: Triple, pad: Triple): Tensor2D {
  return gatherColumns(x, kernel, pad, false);
}

/** Transposed columns [kd·kh·kw·C, N·Do·Ho·Wo] (the kernel gradient's left operand). */
export function im2colT(x: Tensor5D, kernel: Triple, pad: Triple): Tensor2D {
  return gatherColumns(x, kernel, pad, true);
}

/** Kernel [kd, kh, kw, Cin, Cout] → flipped in space with in/out swapped: [kd, kh, kw, Cout, Cin]. */
export function flipKernel(w: Tensor5D): Tensor5D {
  return tf.tidy(() => tf.transpose(tf.reverse(w, [0, 1, 2]), [0, 1, 2, 4, 3]) as Tensor5D);
}

function checkConv(x: Tensor, w: Tensor, pad: Triple, bias?: Tensor): void {
  if (x.rank !== 5) throw new RangeError(`conv3d: x must be [N, D, H, W, C], got shape [${x.shape}]`);
  if (w.rank !== 5) throw new RangeError(`conv3d: kernel must be [kd, kh, kw, Cin, Cout], got shape [${w.shape}]`);
  if (x.shape[4] !== w.shape[3]) throw new RangeError(`conv3d: x has ${x.shape[4]} channels but the kernel expects ${w.shape[3]}`);
  for (let i = 0; i < 3; i++) {
    if (!(Number.isInteger(pad[i]) && pad[i] >= 0 && pad[i] < w.shape[i]))
      throw new RangeError(`conv3d: pad[${i}] must be an integer in [0, ${w.shape[i] - 1}], got ${pad[i]}`);
  }
  if (bias && !(bias.rank === 1 && bias.shape[0] === w.shape[4]))
    throw new RangeError(`conv3d: bias must be [${w.shape[4]}] (one per output channel), got shape [${bias.shape}]`);
}

function outShape(x: Tensor5D, w: Tensor5D, pad: Triple): [number, number, number, number, number] {
  const [N, D, H, W] = x.shape;
  const [kd, kh, kw, , Co] = w.shape;
  return [N, D + 2 * pad[0] - kd + 1, H + 2 * pad[1] - kh + 1, W + 2 * pad[2] - kw + 1, Co];
}

/** im2col convolution value [M, Cout] (+ bias) as one plain matMul; the columns are freed at once. */
function convIm2col2d(x: Tensor5D, w: Tensor5D, pad: Triple, bias?: Tensor): Tensor2D {
  const [kd, kh, kw, Ci, Co] = w.shape;
  const cols = im2col(x, [kd, kh, kw], pad);
  const y = tf.tidy(() => {
    const p = tf.matMul(cols, tf.reshape(w, [kd * kh * kw * Ci, Co]) as Tensor2D);
    return (bias ? tf.add(p, bias) : p) as Tensor2D;
  });
  cols.dispose();
  return y;
}

/**
 * One customGrad per padding and bias use (customGrad passes tensors only, so the padding is closed
 * over). Gradient, every product a plain matMul whose right operand is the small one (XNNPACK packs
 * the right operand on every call): dX is the im2col convolution of dY with the flipped, in/out-swapped
 * kernel and padding k − 1 − p; dW = colsᵀ·dY with the transposed columns rebuilt from the saved x;
 * db = the column sums of dY [M, Cout] (a rank-2 reduction: tfjs-wasm's rank-5 Sum is slow).
 */
const gradConvs = new Map<string, (...t: Tensor[]) => Tensor5D>();
function convIm2colGrad(pad: Triple, withBias: boolean): (...t: Tensor[]) => Tensor5D {
  const key = `${pad.join(',')}:${withBias}`;
  let f = gradConvs.get(key);
  if (!f) {
    f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
      const x = args[0] as Tensor5D;
      const w = args[1] as Tensor5D;
      const bias = withBias ? (args[2] as Tensor) : undefined;
      const save = args[withBias ? 3 : 2] as tf.GradSaveFunc;
      const ys = outShape(x, w, pad);
      const y2 = convIm2col2d(x, w, pad, bias);
      save([x, w]);
      return {
        value: tf.reshape(y2, ys) as Tensor5D,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [sx, sw] = saved as [Tensor5D, Tensor5D];
          const [kd, kh, kw, Ci, Co] = sw.shape;
          const back: Triple = [kd - 1 - pad[0], kh - 1 - pad[1], kw - 1 - pad[2]];
          const flipped = flipKernel(sw);
          const dx = tf.reshape(convIm2col2d(dy as Tensor5D, flipped, back), sx.shape);
          flipped.dispose();
          const dy2 = tf.reshape(dy, [-1, Co]) as Tensor2D;
          const colsT = im2colT(sx, [kd, kh, kw], pad);
          const dw = tf.reshape(tf.matMul(colsT, dy2), [kd, kh, kw, Ci, Co]);
          colsT.dispose();
          return withBias ? [dx, dw, tf.sum(dy2, 0)] : [dx, dw];
        },
      };
    });
    gradConvs.set(key, f);
  }
  return f;
}

/** Whether a gradient tape is recording (tf.grads / variableGrads in progress). */
function recordingGradients(): boolean {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number } }).state;
  return state.gradientDepth > 0;
}

/** x [N, D, H, W, C] + bias [C] as a rank-2 add (its gradient then sums [M, C] over rows, not a rank-5 Sum). */
export function addChannelBias(x: Tensor5D, bias: Tensor): Tensor5D {
  const C = x.shape[4];
  return tf.reshape(tf.add(tf.reshape(x, [-1, C]), bias), x.shape) as Tensor5D;
}

/**
 * Stride-1 3-D convolution of x [N, D, H, W, Cin] with kernel [kd, kh, kw, Cin, Cout] and zero
 * padding `pad`, plus an optional bias [Cout]. 'native' (tfjs' Conv3D) needs 'same' padding,
 * pad = (k − 1) / 2 on every axis.
 */
export function conv3d(x: Tensor5D, w: Tensor5D, pad: Triple, impl: ConvImpl = 'im2col', bias?: Tensor): Tensor5D {
  checkConv(x, w, pad, bias);
  if (impl === 'native') {
    if (![0, 1, 2].every((i) => 2 * pad[i] === w.shape[i] - 1))
      throw new RangeError(`conv3d: impl 'native' needs 'same' padding (k − 1)/2, got pad [${pad}] for kernel [${w.shape.slice(0, 3)}]`);
    const y = tf.conv3d(x, w, [1, 1, 1], 'same');
    return bias ? addChannelBias(y, bias) : y;
  }
  if (impl === 'simd') return conv3dSimd(x, w, bias ?? null, pad);
  if (impl !== 'im2col') throw new RangeError(`conv3d: impl must be one of ${CONV_IMPLS.join(', ')}, got ${JSON.stringify(impl)}`);
  if (!recordingGradients()) {
    // Evaluation: no customGrad bookkeeping.
    return tf.reshape(convIm2col2d(x, w, pad, bias), outShape(x, w, pad)) as Tensor5D;
  }
  return bias ? convIm2colGrad(pad, true)(x, w, bias) : convIm2colGrad(pad, false)(x, w);
}

/**
 * Gradient of tfjs' Conv3D kernel (stride 1, no dilation), which tfjs-core's Node build does not
 * register: dW through Conv3DBackpropFilterV2; dX as the Conv3D of dY with the flipped, in/out-swapped
 * kernel ('same' padding, stride 1). tfjs-backend-wasm 4.22's Conv3DBackpropInputV2 returned wrong
 * values in our tests (even for a 1×1×1 kernel), so it is not used.
 */
export function registerConvGradients(): void {
  if (tf.getGradient(tf.Conv3D) != null) return;
  tf.registerGradient({
    kernelName: tf.Conv3D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [Tensor5D, Tensor5D];
      const g = (Array.isArray(dy) ? dy[0] : dy) as Tensor5D;
      const pad = attrs.pad as 'same' | 'valid';
      return {
        x: () => tf.conv3d(g, flipKernel(filter), [1, 1, 1], pad),
        filter: () =>
          tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy: g }, { strides: [1, 1, 1], pad, filterShape: filter.shape }) as Tensor,
      };
    },
  });
}

/**
 * torch ConvTranspose3d with stride = kernel, no padding: x [N, D, H, W, Cin], kernel
 * [Cin, kd·kh·kw·Cout] (column order kd, kh, kw, Cout) → [N, kd·D, kh·H, kw·W, Cout], plus an
 * optional bias [Cout] added inside the reshuffle.
 */
export function convTranspose3dStrided(x: Tensor5D, w: Tensor2D, kernel: Triple, bias?: Tensor, impl: ConvImpl = 'im2col'): Tensor5D {
  const [N, D, H, W, Ci] = x.shape;
  const [kd, kh, kw] = kernel;
  const Co = w.shape[1] / (kd * kh * kw);
  if (w.shape[0] !== Ci || !Number.isInteger(Co))
    throw new RangeError(`convTranspose3dStrided: kernel must be [${Ci}, ${kd * kh * kw}·Cout], got [${w.shape}]`);
  const x2 = tf.reshape(x, [N * D * H * W, Ci]) as Tensor2D;
  const y = tf.reshape(impl === 'simd' ? matMulSimd(x2, w) : dense(x2, w), [N, D, H, W, kd * kh * kw * Co]);
  // With a bias: the reshuffle and the bias in one op (its gradient sums dy; on the SIMD kernels with impl 'simd').
  if (bias && impl === 'simd') return depthToSpaceBiasSimd(y as Tensor5D, kernel, bias);
  return (bias ? depthToSpaceBias(y, kernel, Co, bias) : depthToSpace(y, kernel, Co)) as Tensor5D;
}
