/**
 * Stride-1 3-D convolutions on channels-last tensors [N, D, H, W, C] and training-mode BatchNorm as
 * tfjs ops on the SIMD kernels (assembly/conv_kernels.ts), for the latent-dynamics model's
 * encoder/decoder: `conv3dSimd` (convolution + bias), `batchNormActSimd` (BatchNorm with batch
 * statistics, then SiLU or nothing) and `convBnActSimd` (the three fused: one op forward, one
 * backward, instead of the im2col gather, a product and ~30 small tfjs kernels), plus the model's
 * data movement: `maxPool3d2Simd` and `depthToSpaceBiasSimd` (the strided transposed convolution's
 * reshuffle and bias), that convolution's product `matMulSimd`, and the decoder's GroupNorm + ReLU
 * (`groupNormReluSimd`). `convBnActSimd` computes its input gradient only when the engine asks for it.
 *
 * The convolution is direct on a zero-padded copy of the input; its input gradient is the same
 * convolution of the padded dy with the flipped, in/out-swapped kernel (padding k − 1 − p); the
 * kernel gradient sums xp[position + tap]·dy[position] over all positions in registers. BatchNorm
 * sums in float64; the forward pass writes only the activation, the backward pass recomputes x̂ and
 * SiLU′ from the saved pre-norm values in the pass that sums dγ and dβ. Tensors are read from and
 * written to tfjs-backend-wasm's heap directly where it is the backend (one copy each way).
 * Float32, auxiliary kernel instance (its arena is reset by every call; nothing stays in it between
 * the forward and the backward pass).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor5D } from '@tensorflow/tfjs-core';
import { auxKernels } from './aux_kernels.js';
import { type Arena, INIT_ZERO, type KernelExports } from './kernels.js';
import { saveShared } from './tfjs_heap.js';

export type Triple = readonly [number, number, number];
type Shape5 = readonly [number, number, number, number, number];

/** The convolution kernels' exports (assembly/conv_kernels.ts), byte pointers and float counts. */
interface ConvKernelExports {
  pad3d(x: number, N: number, D: number, H: number, W: number, C: number, pd: number, ph: number, pw: number, out: number): void;
  flipKernel(w: number, kd: number, kh: number, kw: number, Ci: number, Co: number, out: number): void;
  conv3dValid(
    xp: number,
    N: number,
    Dp: number,
    Hp: number,
    Wp: number,
    Ci: number,
    w: number,
    kd: number,
    kh: number,
    kw: number,
    Co: number,
    bias: number,
    y: number,
  ): void;
  conv3dFilterGrad(
    xp: number,
    N: number,
    Dp: number,
    Hp: number,
    Wp: number,
    Ci: number,
    dy: number,
    Co: number,
    kd: number,
    kh: number,
    kw: number,
    dw: number,
    rows: number,
  ): void;
  batchNormStats(z: number, M: number, C: number, eps: number, mean: number, variance: number, rstd: number, work: number): void;
  batchNormActForward(
    z: number,
    M: number,
    C: number,
    gamma: number,
    beta: number,
    mean: number,
    rstd: number,
    act: number,
    y: number,
  ): void;
  batchNormActBackward(
    dy: number,
    z: number,
    M: number,
    C: number,
    gamma: number,
    beta: number,
    mean: number,
    rstd: number,
    act: number,
    dgamma: number,
    dbeta: number,
    coef: number,
  ): void;
}

interface GroupNormKernelExports {
  groupNormStats(x: number, N: number, S: number, C: number, G: number, eps: number, mean: number, rstd: number): void;
  groupNormReluForward(
    x: number,
    N: number,
    S: number,
    C: number,
    G: number,
    gamma: number,
    beta: number,
    mean: number,
    rstd: number,
    work: number,
    y: number,
  ): void;
  groupNormReluBackward(
    dy: number,
    x: number,
    N: number,
    S: number,
    C: number,
    G: number,
    gamma: number,
    beta: number,
    mean: number,
    rstd: number,
    dgamma: number,
    dbeta: number,
    work: number,
    dx: number,
  ): void;
}

interface ReshuffleKernelExports {
  maxPool2(x: number, N: number, D: number, H: number, W: number, C: number, y: number, arg: number): void;
  scatterAdd(dy: number, arg: number, outputs: number, dx: number, count: number): void;
  depthToSpace(
    src: number,
    N: number,
    D: number,
    H: number,
    W: number,
    kd: number,
    kh: number,
    kw: number,
    C: number,
    bias: number,
    dst: number,
    inverse: number,
  ): void;
  columnSumsF32(a: number, M: number, C: number, out: number, work: number): void;
}

type Kernels = KernelExports & ConvKernelExports & GroupNormKernelExports & ReshuffleKernelExports;

/** Floats of slack after every buffer: the last partial channel block reads up to 7 floats past a row. */
const SLACK = 8;

const WHERE = 'conv3dSimd';

function kernels(): { k: Kernels; arena: Arena } {
  const { k, arena } = auxKernels(WHERE);
  arena.reset();
  return { k: k as Kernels, arena };
}

function alloc(arena: Arena, floats: number): number {
  return arena.alloc(floats + SLACK);
}

/** The parts of tfjs-backend-wasm's backend used to read and write tensors in its heap directly. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

function wasmHeap(): WasmHeap | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmHeap>;
  return typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? (b as WasmHeap) : null;
}

/**
 * A tensor's values into a new arena buffer: on the wasm backend straight from its heap (one copy,
 * no garbage; the view is used at once, before any allocation can move the heap), else dataSync.
 */
function put(arena: Arena, t: Tensor | Float32Array): number {
  const p = alloc(arena, t instanceof Float32Array ? t.length : t.size);
  const heap = t instanceof Float32Array || t.dtype !== 'float32' ? null : wasmHeap();
  if (t instanceof Float32Array) arena.write(p, t);
  else if (heap) arena.write(p, heap.typedArrayFromHeap(t));
  else arena.write(p, t.dataSync());
  return p;
}

/** A float32 tensor of `shape` holding the arena's floats at p: written straight into the wasm heap where it can be. */
function take(arena: Arena, p: number, shape: readonly number[]): Tensor {
  const n = size(shape);
  const heap = wasmHeap();
  if (!heap) return tf.tensor(arena.read(p, n), [...shape]);
  const info = heap.makeOutput([...shape], 'float32');
  heap.typedArrayFromHeap(info).set(arena.f32().subarray(p >>> 2, (p >>> 2) + n));
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Save what the backward pass reads: variables (which outlive the step) are referenced instead, the
 * other inputs and `extra` are saved sharing their memory (tfjs' own save copies each one on wasm).
 * Returns the function that rebuilds [...inputs, ...extra] from the saved tensors.
 */
function saveInputs(inputs: Tensor[], save: tf.GradSaveFunc, extra: Tensor[] = []): (saved: Tensor[]) => Tensor[] {
  const isVariable = inputs.map((t) => t instanceof tf.Variable);
  saveShared(save, [...inputs.filter((_, i) => !isVariable[i]), ...extra]);
  return (saved) => {
    let j = 0;
    const all = inputs.map((t, i) => (isVariable[i] ? t : saved[j++]));
    return [...all, ...saved.slice(j)];
  };
}

/** Sizes of a stride-1 convolution of x [N, D, H, W, Ci] with w [kd, kh, kw, Ci, Co] and padding `pad`. */
interface ConvGeometry {
  x: Shape5;
  kernel: Triple;
  pad: Triple;
  Ci: number;
  Co: number;
  /** padded input [N, Dp, Hp, Wp, Ci] */
  padded: Shape5;
  out: Shape5;
}

function geometry(xShape: readonly number[], wShape: readonly number[], pad: Triple): ConvGeometry {
  if (xShape.length !== 5) throw new RangeError(`${WHERE}: x must be [N, D, H, W, C], got shape [${xShape}]`);
  if (wShape.length !== 5) throw new RangeError(`${WHERE}: kernel must be [kd, kh, kw, Cin, Cout], got shape [${wShape}]`);
  const [N, D, H, W, Ci] = xShape as unknown as Shape5;
  const [kd, kh, kw, wi, Co] = wShape as unknown as Shape5;
  if (wi !== Ci) throw new RangeError(`${WHERE}: x has ${Ci} channels but the kernel expects ${wi}`);
  for (let i = 0; i < 3; i++) {
    if (!(Number.isInteger(pad[i]) && pad[i] >= 0 && pad[i] < wShape[i]))
      throw new RangeError(`${WHERE}: pad[${i}] must be an integer in [0, ${wShape[i] - 1}], got ${pad[i]}`);
  }
  const padded: Shape5 = [N, D + 2 * pad[0], H + 2 * pad[1], W + 2 * pad[2], Ci];
  const out: Shape5 = [N, padded[1] - kd + 1, padded[2] - kh + 1, padded[3] - kw + 1, Co];
  if (out[1] < 1 || out[2] < 1 || out[3] < 1)
    throw new RangeError(`${WHERE}: kernel [${kd}, ${kh}, ${kw}] larger than padded input [${padded}]`);
  return { x: [N, D, H, W, Ci], kernel: [kd, kh, kw], pad, Ci, Co, padded, out };
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Pad x (already in the arena) and return the padded copy's pointer. */
function padInto(k: Kernels, arena: Arena, px: number, shape: Shape5, pad: Triple): number {
  const [N, D, H, W, C] = shape;
  const out = alloc(arena, N * (D + 2 * pad[0]) * (H + 2 * pad[1]) * (W + 2 * pad[2]) * C);
  k.pad3d(px, N, D, H, W, C, pad[0], pad[1], pad[2], out);
  return out;
}

/** y = conv(x, w) (+ bias) into a new arena buffer; returns its pointer. */
function convForward(k: Kernels, arena: Arena, g: ConvGeometry, px: number, pw: number, pb: number): number {
  const pxp = padInto(k, arena, px, g.x, g.pad);
  const py = alloc(arena, size(g.out));
  const [N, Dp, Hp, Wp] = g.padded;
  k.conv3dValid(pxp, N, Dp, Hp, Wp, g.Ci, pw, g.kernel[0], g.kernel[1], g.kernel[2], g.Co, pb, py);
  return py;
}

/**
 * Arena pointers of dx (0 unless `withDx`), dw and db (0 without bias) of the convolution for dy at
 * pdy, x at px, w at pw.
 */
function convBackward(
  k: Kernels,
  arena: Arena,
  g: ConvGeometry,
  px: number,
  pw: number,
  pdy: number,
  withBias: boolean,
  withDx = true,
): { dx: number; dw: number; db: number } {
  const [kd, kh, kw] = g.kernel;
  const N = g.out[0];
  let dx = 0;
  if (withDx) {
    const back: Triple = [kd - 1 - g.pad[0], kh - 1 - g.pad[1], kw - 1 - g.pad[2]];
    const flipped = alloc(arena, kd * kh * kw * g.Ci * g.Co);
    k.flipKernel(pw, kd, kh, kw, g.Ci, g.Co, flipped);
    const pdyp = padInto(k, arena, pdy, g.out, back);
    dx = alloc(arena, size(g.x));
    const [Dq, Hq, Wq] = [g.out[1] + 2 * back[0], g.out[2] + 2 * back[1], g.out[3] + 2 * back[2]];
    k.conv3dValid(pdyp, N, Dq, Hq, Wq, g.Co, flipped, kd, kh, kw, g.Ci, 0, dx);
  }
  const pxp = padInto(k, arena, px, g.x, g.pad);
  const dw = alloc(arena, kd * kh * kw * g.Ci * g.Co);
  const [, Dp, Hp, Wp] = g.padded;
  k.conv3dFilterGrad(pxp, N, Dp, Hp, Wp, g.Ci, pdy, g.Co, kd, kh, kw, dw, alloc(arena, N * g.out[1] * g.out[2]));
  let db = 0;
  if (withBias) {
    db = alloc(arena, g.Co);
    k.zero(db, g.Co);
    k.colSum(pdy, g.Co, size(g.out) / g.Co, g.Co, db);
  }
  return { dx, dw, db };
}

/** Per-channel batch statistics of one training-mode BatchNorm call (biased variance, as torch normalises with). */
export interface BatchStats {
  mean: Float32Array;
  variance: Float32Array;
  /** rows the statistics were taken over (N·D·H·W) */
  count: number;
}

interface NormBuffers {
  mean: number;
  variance: number;
  rstd: number;
  y: number;
}

/** Training-mode BatchNorm of z [M, C] at pz (batch statistics), then SiLU (act) or nothing: arena pointers. */
function normForward(
  k: Kernels,
  arena: Arena,
  pz: number,
  M: number,
  C: number,
  pg: number,
  pbeta: number,
  eps: number,
  act: boolean,
): NormBuffers {
  const mean = alloc(arena, C);
  const variance = alloc(arena, C);
  const rstd = alloc(arena, C);
  k.batchNormStats(pz, M, C, eps, mean, variance, rstd, alloc(arena, 4 * C));
  const y = alloc(arena, M * C);
  k.batchNormActForward(pz, M, C, pg, pbeta, mean, rstd, act ? 1 : 0, y);
  return { mean, variance, rstd, y };
}

/**
 * Backward of normForward for dy at pdy (overwritten by dz), z at pz and the forward's statistics:
 * arena pointers of dgamma and dbeta (x̂ and the activation recomputed from z in the same pass).
 */
function normBackward(
  k: Kernels,
  arena: Arena,
  pdy: number,
  pz: number,
  M: number,
  C: number,
  pg: number,
  pbeta: number,
  stats: { mean: Float32Array; rstd: Float32Array },
  act: boolean,
): { dgamma: number; dbeta: number } {
  const dgamma = alloc(arena, C);
  const dbeta = alloc(arena, C);
  const mean = put(arena, stats.mean);
  const rstd = put(arena, stats.rstd);
  k.batchNormActBackward(pdy, pz, M, C, pg, pbeta, mean, rstd, act ? 1 : 0, dgamma, dbeta, alloc(arena, 9 * C));
  return { dgamma, dbeta };
}

function checkChannels(what: string, t: Tensor, C: number): void {
  if (!(t.rank === 1 && t.shape[0] === C))
    throw new RangeError(`${WHERE}: ${what} must be [${C}] (one per channel), got shape [${t.shape}]`);
}

/**
 * Stride-1 3-D convolution of x [N, D, H, W, Cin] with w [kd, kh, kw, Cin, Cout], zero padding `pad`
 * and bias [Cout] (null: none), differentiable in x, w and the bias.
 */
export function conv3dSimd(x: Tensor5D, w: Tensor5D, bias: Tensor | null, pad: Triple): Tensor5D {
  const g = geometry(x.shape, w.shape, pad);
  if (bias) checkChannels('bias', bias, g.Co);
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const inputs = args.slice(0, bias ? 3 : 2) as Tensor[];
    const restore = saveInputs(inputs.slice(0, 2), args[inputs.length] as tf.GradSaveFunc);
    const { k, arena } = kernels();
    const px = put(arena, inputs[0]);
    const pw = put(arena, inputs[1]);
    const pb = bias ? put(arena, inputs[2]) : 0;
    return {
      value: take(arena, convForward(k, arena, g, px, pw, pb), g.out),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sw] = restore(saved);
        const { k: k2, arena: a2 } = kernels();
        const qx = put(a2, sx);
        const qw = put(a2, sw);
        const r = convBackward(k2, a2, g, qx, qw, put(a2, dy), bias != null);
        const grads: Tensor[] = [take(a2, r.dx, g.x), take(a2, r.dw, w.shape)];
        if (bias) grads.push(take(a2, r.db, [g.Co]));
        return grads;
      },
    };
  });
  return (bias ? op(x, w, bias) : op(x, w)) as Tensor5D;
}

/** Batch statistics out of the arena. */
function statsOf(arena: Arena, nb: NormBuffers, C: number, M: number): BatchStats & { rstd: Float32Array } {
  return { mean: arena.read(nb.mean, C), variance: arena.read(nb.variance, C), rstd: arena.read(nb.rstd, C), count: M };
}

/**
 * Training-mode BatchNorm of x [..., C] with batch statistics over every axis but the last (torch
 * BatchNorm3d's training forward; eps as torch's 1e-5 by default), scale gamma and shift beta, then
 * SiLU (act 'silu') or nothing. `onStats` receives the batch mean and biased variance (for the running
 * averages). Differentiable in x, gamma and beta.
 */
export function batchNormActSimd(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  act: 'silu' | 'none',
  eps = 1e-5,
  onStats?: (s: BatchStats) => void,
): Tensor {
  const C = x.shape[x.rank - 1];
  checkChannels('gamma', gamma, C);
  checkChannels('beta', beta, C);
  const M = x.size / C;
  const silu = act === 'silu';
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const inputs = args.slice(0, 3) as Tensor[];
    const restore = saveInputs(inputs, args[3] as tf.GradSaveFunc);
    const { k, arena } = kernels();
    const nb = normForward(k, arena, put(arena, inputs[0]), M, C, put(arena, inputs[1]), put(arena, inputs[2]), eps, silu);
    const stats = statsOf(arena, nb, C, M);
    onStats?.(stats);
    return {
      value: take(arena, nb.y, x.shape),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sg, sb] = restore(saved);
        const { k: k2, arena: a2 } = kernels();
        const pdy = put(a2, dy);
        const r = normBackward(k2, a2, pdy, put(a2, sx), M, C, put(a2, sg), put(a2, sb), stats, silu);
        return [take(a2, pdy, x.shape), take(a2, r.dgamma, [C]), take(a2, r.dbeta, [C])];
      },
    };
  });
  return op(x, gamma, beta);
}

/** Gradient functions of an op, one per input, each called only if that input's gradient is needed. */
type LazyGrads = (dy: Tensor, saved: Tensor[]) => Array<() => Tensor>;

/** The engine's runner of custom-gradient ops (what tf.customGrad calls), with a gradient function per input. */
interface OpRunner {
  runKernelFunc(p: {
    forwardFunc: (backend: unknown, save: tf.GradSaveFunc) => Tensor;
    backwardsFunc: (dy: Tensor, saved: Tensor[]) => Record<string, () => Tensor>;
    inputs: Record<string, Tensor>;
  }): Tensor;
}

/**
 * An op like tf.customGrad whose input gradients are computed lazily: tfjs' engine asks only for the
 * gradients of inputs that depend on what is differentiated (tf.customGrad computes every input's
 * gradient first), so e.g. the first layer's input gradient (of the data) is never computed. Where
 * the engine's runner is not there, tf.customGrad with every gradient computed.
 */
function opWithLazyGrads(inputs: Tensor[], forward: (save: tf.GradSaveFunc) => { value: Tensor; grads: LazyGrads }): Tensor {
  const engine = tf.engine() as unknown as Partial<OpRunner>;
  let grads: LazyGrads | null = null;
  if (typeof engine.runKernelFunc !== 'function') {
    const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
      const r = forward(args[inputs.length] as tf.GradSaveFunc);
      return { value: r.value, gradFunc: (dy: Tensor, saved: Tensor[]) => r.grads(dy, saved).map((g) => g()) };
    }) as (...t: Tensor[]) => Tensor;
    return op(...inputs);
  }
  return engine.runKernelFunc({
    forwardFunc: (_backend, save) => {
      const r = forward(save);
      grads = r.grads;
      return r.value;
    },
    backwardsFunc: (dy, saved) => Object.fromEntries(grads!(dy, saved).map((g, i) => [String(i), g])),
    inputs: Object.fromEntries(inputs.map((t, i) => [String(i), t])),
  });
}

/**
 * act(BatchNorm(conv3d(x, w, pad) + bias)) in training mode as one op (the latent model's
 * Conv → BatchNorm3d → SiLU block): the convolution as {@link conv3dSimd}, the normalisation as
 * {@link batchNormActSimd}; the pre-norm values are kept for the backward pass. Differentiable in x,
 * w, bias, gamma and beta.
 */
export function convBnActSimd(
  x: Tensor5D,
  w: Tensor5D,
  bias: Tensor,
  gamma: Tensor,
  beta: Tensor,
  pad: Triple,
  act: 'silu' | 'none',
  eps = 1e-5,
  onStats?: (s: BatchStats) => void,
): Tensor5D {
  const g = geometry(x.shape, w.shape, pad);
  for (const [name, t] of [
    ['bias', bias],
    ['gamma', gamma],
    ['beta', beta],
  ] as const)
    checkChannels(name, t, g.Co);
  const M = size(g.out) / g.Co;
  const C = g.Co;
  const silu = act === 'silu';
  return opWithLazyGrads([x, w, bias, gamma, beta], (save) => {
    const { k, arena } = kernels();
    const pz = convForward(k, arena, g, put(arena, x), put(arena, w), put(arena, bias));
    const z = take(arena, pz, g.out);
    // The bias is not needed backward (its gradient is the column sums of dz).
    const restore = saveInputs([x, w, gamma, beta], save, [z]);
    const nb = normForward(k, arena, pz, M, C, put(arena, gamma), put(arena, beta), eps, silu);
    const stats = statsOf(arena, nb, C, M);
    onStats?.(stats);
    return {
      value: take(arena, nb.y, g.out),
      grads: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sw, sg, sbeta, sz] = restore(saved);
        // dw, db, dγ, dβ (small) from the first pass, as JavaScript copies; dx only when asked.
        let small: Float32Array[] | null = null;
        const run = (withDx: boolean): Tensor | null => {
          const { k: k2, arena: a2 } = kernels();
          const pdy = put(a2, dy);
          const r = normBackward(k2, a2, pdy, put(a2, sz), M, C, put(a2, sg), put(a2, sbeta), stats, silu);
          const c = convBackward(k2, a2, g, put(a2, sx), put(a2, sw), pdy, true, withDx);
          small = [a2.read(c.dw, size(w.shape)), a2.read(c.db, C), a2.read(r.dgamma, C), a2.read(r.dbeta, C)];
          return withDx ? take(a2, c.dx, g.x) : null;
        };
        const shapes = [w.shape, [C], [C], [C]];
        return [
          () => run(true)!,
          ...shapes.map((shape, i) => () => {
            if (!small) run(false);
            return tf.tensor(small![i], shape);
          }),
        ];
      },
    };
  }) as Tensor5D;
}

/**
 * Max pool over 2×2×2 windows (stride 2, floor) of channels-last x [N, D, H, W, C]; the gradient goes
 * to each window's first maximum (window order d, h, w), as the JavaScript reference (pool2) does.
 */
export function maxPool3d2Simd(x: Tensor5D): Tensor5D {
  const [N, D, H, W, C] = x.shape;
  const out: Shape5 = [N, D >> 1, H >> 1, W >> 1, C];
  if (x.rank !== 5 || out[1] < 1 || out[2] < 1 || out[3] < 1)
    throw new RangeError(`maxPool3d2Simd: x must be [N, D >= 2, H >= 2, W >= 2, C], got shape [${x.shape}]`);
  const outputs = size(out);
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const { k, arena } = kernels();
    const px = put(arena, args[0] as Tensor);
    const py = alloc(arena, outputs);
    const parg = alloc(arena, outputs);
    k.maxPool2(px, N, D, H, W, C, py, parg);
    const arg = new Int32Array(arena.f32().buffer.slice(parg, parg + 4 * outputs));
    return {
      value: take(arena, py, out),
      gradFunc: (dy: Tensor) => {
        const { k: k2, arena: a2 } = kernels();
        const pdy = put(a2, dy);
        const qarg = alloc(a2, outputs);
        new Int32Array(a2.f32().buffer, qarg, outputs).set(arg);
        const pdx = alloc(a2, x.size);
        k2.scatterAdd(pdy, qarg, outputs, pdx, x.size);
        return [take(a2, pdx, x.shape)];
      },
    };
  }) as (t: Tensor) => Tensor5D;
  return op(x);
}

/**
 * Depth-to-space with a bias: x [N, D, H, W, kd·kh·kw·C] (last axis ordered kd, kh, kw, C) →
 * [N, kd·D, kh·H, kw·W, C] + bias [C] (the strided transposed convolution's reshuffle and bias).
 * Gradient: the inverse reshuffle of dy and, for the bias, dy's sums over every position (float64).
 */
export function depthToSpaceBiasSimd(x: Tensor5D, kernel: Triple, bias: Tensor): Tensor5D {
  const [N, D, H, W, KC] = x.shape;
  const [kd, kh, kw] = kernel;
  const C = KC / (kd * kh * kw);
  if (x.rank !== 5 || !Number.isInteger(C))
    throw new RangeError(`depthToSpaceBiasSimd: x's last axis (${KC}) must be ${kd}·${kh}·${kw}·C, got shape [${x.shape}]`);
  checkChannels('bias', bias, C);
  const out: Shape5 = [N, D * kd, H * kh, W * kw, C];
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const { k, arena } = kernels();
    const px = put(arena, args[0] as Tensor);
    const pb = put(arena, args[1] as Tensor);
    const py = alloc(arena, x.size);
    k.depthToSpace(px, N, D, H, W, kd, kh, kw, C, pb, py, 0);
    return {
      value: take(arena, py, out),
      gradFunc: (dy: Tensor) => {
        const { k: k2, arena: a2 } = kernels();
        const pdy = put(a2, dy);
        const pdx = alloc(a2, x.size);
        k2.depthToSpace(pdy, N, D, H, W, kd, kh, kw, C, 0, pdx, 1);
        const pdb = alloc(a2, C);
        k2.columnSumsF32(pdy, x.size / C, C, pdb, alloc(a2, 2 * C));
        return [take(a2, pdx, x.shape), take(a2, pdb, [C])];
      },
    };
  }) as (a: Tensor, b: Tensor) => Tensor5D;
  return op(x, bias);
}

/**
 * x [R, K]·w [K, N] (the strided transposed convolution's product) on the SIMD kernels, differentiable
 * in both: forward `gemm`; dx = dy·wᵀ (w transposed first, then `gemm`) and dw = xᵀ·dy (`gemmTN`),
 * every sum in the order k = 0 … K−1 (tfjs' matMul on wasm takes a slow path for the transposed
 * products of its gradient).
 */
export function matMulSimd(x: Tensor, w: Tensor): Tensor {
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[0])
    throw new RangeError(`matMulSimd: expected x [R, K] and w [K, N], got [${x.shape}] and [${w.shape}]`);
  const [R, K] = x.shape as [number, number];
  const N = w.shape[1] as number;
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const inputs = args.slice(0, 2) as Tensor[];
    const restore = saveInputs(inputs, args[2] as tf.GradSaveFunc);
    const { k, arena } = kernels();
    const px = put(arena, inputs[0]);
    const pw = put(arena, inputs[1]);
    const py = alloc(arena, R * N);
    k.gemm(px, K, pw, py, N, R, K, N, INIT_ZERO, 0);
    return {
      value: take(arena, py, [R, N]),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sw] = restore(saved);
        const { k: k2, arena: a2 } = kernels();
        const qx = put(a2, sx);
        const qw = put(a2, sw);
        const qd = put(a2, dy);
        const wt = alloc(a2, K * N);
        k2.transpose(qw, wt, K, N);
        const dx = alloc(a2, R * K);
        k2.gemm(qd, N, wt, dx, K, R, N, K, INIT_ZERO, 0);
        const dw = alloc(a2, K * N);
        k2.zero(dw, K * N);
        k2.gemmTN(qx, K, qd, N, dw, R, K, N, alloc(a2, k2.gemmTNWork(K)));
        return [take(a2, dx, [R, K]), take(a2, dw, [K, N])];
      },
    };
  }) as (a: Tensor, b: Tensor) => Tensor;
  return op(x, w);
}

/** float64 values into a new arena buffer (2 floats each); returns its pointer. */
function putF64(arena: Arena, v: Float64Array): number {
  const p = alloc(arena, 2 * v.length);
  new Float64Array(arena.f32().buffer, p, v.length).set(v);
  return p;
}

/**
 * relu(γ·GroupNorm(x) + β) for x [N, ..., C] (the latent decoder's GroupNorm(G, C) and ReLU as one op):
 * statistics per sample and group of C/G channels over every position (mean, biased variance, eps),
 * x̂ = (x − mean)·r, r = 1/√(var + eps), computed in float64 and rounded once. Backward, per sample and
 * group with du = dy·[u > 0]: dγ = Σ du·x̂, dβ = Σ du, dx = r·(du·γ − mean(du·γ) − x̂·mean(du·γ·x̂)).
 * Differentiable in x, γ and β.
 */
export function groupNormReluSimd(x: Tensor, groups: number, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const WHO = 'groupNormReluSimd';
  if (x.rank < 2) throw new RangeError(`${WHO}: x must be [N, ..., C], got shape [${x.shape}]`);
  const N = x.shape[0];
  const C = x.shape[x.rank - 1];
  if (!(Number.isInteger(groups) && groups >= 1 && C % groups === 0))
    throw new RangeError(`${WHO}: channels (${C}) must be a multiple of groups (${groups})`);
  for (const [name, t] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const)
    if (!(t.rank === 1 && t.shape[0] === C))
      throw new RangeError(`${WHO}: ${name} must be [${C}] (one per channel), got shape [${t.shape}]`);
  if (!(eps > 0)) throw new RangeError(`${WHO}: eps must be > 0, got ${eps}`);
  const S = x.size / (N * C);
  const G = groups;
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const inputs = args.slice(0, 3) as Tensor[];
    const restore = saveInputs(inputs, args[3] as tf.GradSaveFunc);
    const { k, arena } = kernels();
    const px = put(arena, inputs[0]);
    const mean = alloc(arena, 2 * N * G);
    const rstd = alloc(arena, 2 * N * G);
    k.groupNormStats(px, N, S, C, G, eps, mean, rstd);
    const stats = [mean, rstd].map((p) => new Float64Array(arena.f32().buffer, p, N * G).slice());
    const py = alloc(arena, x.size);
    k.groupNormReluForward(px, N, S, C, G, put(arena, inputs[1]), put(arena, inputs[2]), mean, rstd, alloc(arena, 4 * C), py);
    return {
      value: take(arena, py, x.shape),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sg, sb] = restore(saved);
        const { k: k2, arena: a2 } = kernels();
        const qdy = put(a2, dy);
        const qx = put(a2, sx);
        const [qm, qr] = stats.map((v) => putF64(a2, v));
        const dg = alloc(a2, C);
        const db = alloc(a2, C);
        const dx = alloc(a2, x.size);
        k2.groupNormReluBackward(qdy, qx, N, S, C, G, put(a2, sg), put(a2, sb), qm, qr, dg, db, alloc(a2, 12 * C), dx);
        return [take(a2, dx, x.shape), take(a2, dg, [C]), take(a2, db, [C])];
      },
    };
  }) as (a: Tensor, b: Tensor, c: Tensor) => Tensor;
  return op(x, gamma, beta);
}
