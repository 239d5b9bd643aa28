/** Sequence views of image data sets (sMNIST, psMNIST, sCIFAR-10, row-by-row), subsets and mini-batches. */
import { Rng } from '@sii/linalg';
import type { ImageSet } from './images.js';

/** Per-channel normalization applied to x/255: (x/255 − mean[c]) / std[c]. */
export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

/** MNIST: the usual (0.1307, 0.3081) used by the paper. */
export const MNIST_NORMALIZATION: Normalization = { mean: [0.1307], std: [0.3081] };
/** Fashion-MNIST training-set pixel mean/std. */
export const FASHION_MNIST_NORMALIZATION: Normalization = { mean: [0.286], std: [0.353] };
/** CIFAR-10 training-set per-channel (R, G, B) pixel mean/std, as used by the paper's code. */
export const CIFAR10_NORMALIZATION: Normalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
};

/** Default normalization for a data set name ('mnist', 'fashion-mnist', 'cifar10'). */
export function defaultNormalization(name: string): Normalization {
  if (name === 'mnist') return MNIST_NORMALIZATION;
  if (name === 'fashion-mnist') return FASHION_MNIST_NORMALIZATION;
  if (name === 'cifar10') return CIFAR10_NORMALIZATION;
  throw new RangeError(`no default normalization for data set '${name}'; pass opts.normalization`);
}

/** Per-channel mean and population std of x/255 over all images (float64). */
export function channelStats(set: ImageSet): Normalization {
  const hw = set.height * set.width;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < set.channels; c++) {
    const hist = new Float64Array(256);
    for (let i = 0; i < set.count; i++) {
      const o = (i * set.channels + c) * hw;
      for (let k = 0; k < hw; k++) hist[set.images[o + k]] += 1;
    }
    const n = set.count * hw;
    let s = 0;
    for (let v = 0; v < 256; v++) s += hist[v] * (v / 255);
    const mu = s / n;
    let s2 = 0;
    for (let v = 0; v < 256; v++) s2 += hist[v] * (v / 255 - mu) ** 2;
    mean.push(mu);
    std.push(Math.sqrt(s2 / n));
  }
  return { mean, std };
}

/** Sequences for classification: x [N, T, F] row-major float32, y [N] class labels. */
export interface SequenceData {
  x: Float32Array;
  y: Int32Array;
  /** [N, T, F]. */
  shape: [number, number, number];
  classes: number;
}

export type SequenceLayout = 'pixel' | 'row';

export interface SequenceOptions {
  /**
   * 'pixel' (default): T = H·W steps of F = C features (channels interleaved per pixel).
   * 'row': T = H steps of F = W·C features (one image row per step, pixels interleaved as above).
   */
  layout?: SequenceLayout;
  /** Permutation of the H·W pixel positions: step t reads pixel permutation[t] (psMNIST). */
  permutation?: Int32Array | null;
  /** Defaults to defaultNormalization(set.name). */
  normalization?: Normalization;
  /** Only these image indices, in this order. */
  indices?: Int32Array;
}

/** Build the sequence view of (a subset of) an image set. */
export function toSequences(set: ImageSet, opts: SequenceOptions = {}): SequenceData {
  const layout = opts.layout ?? 'pixel';
  if (layout !== 'pixel' && layout !== 'row') throw new RangeError(`layout must be 'pixel' or 'row', got ${layout}`);
  const { height: H, width: W, channels: C } = set;
  const hw = H * W;
  const norm = opts.normalization ?? defaultNormalization(set.name);
  if (norm.mean.length !== C || norm.std.length !== C) {
    throw new RangeError(`normalization must have ${C} channel entries, got mean ${norm.mean.length} / std ${norm.std.length}`);
  }
  norm.std.forEach((s, c) => {
    if (!(s > 0)) throw new RangeError(`normalization.std[${c}] must be > 0, got ${s}`);
  });
  const perm = opts.permutation ?? null;
  if (perm) checkPermutation(perm, hw);
  const indices = opts.indices ?? null;
  if (indices) {
    for (let i = 0; i < indices.length; i++) {
      if (!(indices[i] >= 0 && indices[i] < set.count)) {
        throw new RangeError(`indices[${i}] = ${indices[i]} is outside 0..${set.count - 1}`);
      }
    }
  }
  const n = indices ? indices.length : set.count;
  // lookup table per channel: byte -> normalized float
  const lut = new Float32Array(256 * C);
  for (let c = 0; c < C; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - norm.mean[c]) / norm.std[c];
  }
  // source pixel for each step position p = 0..hw-1 (same order for both layouts; row just reshapes)
  const src = new Int32Array(hw);
  for (let p = 0; p < hw; p++) src[p] = perm ? perm[p] : p;
  const x = new Float32Array(n * hw * C);
  const y = new Int32Array(n);
  const imgBytes = hw * C;
  for (let i = 0; i < n; i++) {
    const idx = indices ? indices[i] : i;
    y[i] = set.labels[idx];
    const io = idx * imgBytes;
    const xo = i * imgBytes;
    if (C === 1) {
      for (let p = 0; p < hw; p++) x[xo + p] = lut[set.images[io + src[p]]];
    } else {
      for (let p = 0; p < hw; p++) {
        for (let c = 0; c < C; c++) x[xo + p * C + c] = lut[c * 256 + set.images[io + c * hw + src[p]]];
      }
    }
  }
  const shape: [number, number, number] = layout === 'pixel' ? [n, hw, C] : [n, H, W * C];
  return { x, y, shape, classes: set.classes };
}

function checkPermutation(perm: Int32Array, n: number): void {
  if (perm.length !== n) throw new RangeError(`permutation has length ${perm.length}, expected ${n}`);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = perm[i];
    if (!(v >= 0 && v < n) || seen[v]) throw new RangeError(`permutation is not a permutation of 0..${n - 1} (entry ${i} = ${v})`);
    seen[v] = 1;
  }
}

export type Seed = number | string;

/** The seeded pixel permutation of psMNIST: Rng(seed).fork('pixel-permutation').permutation(length). */
export function pixelPermutation(length: number, seed: Seed): Int32Array {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`length must be a positive integer, got ${length}`);
  return new Rng(seed).fork('pixel-permutation').permutation(length);
}

export interface SubsetOptions {
  seed: Seed;
  /** Equal count per class (size must then be a multiple of the class count). Default false. */
  balanced?: boolean;
  /** Number of classes (default: 1 + max label). */
  classes?: number;
}

/**
 * Seeded subset of `size` indices into `labels`, returned in ascending order. Uniform without
 * replacement, or class-balanced (size / classes of each class).
 */
export function subsetIndices(labels: ArrayLike<number>, size: number, opts: SubsetOptions): Int32Array {
  const n = labels.length;
  if (!Number.isInteger(size) || size < 1 || size > n) {
    throw new RangeError(`size must be an integer in 1..${n} (the number of examples), got ${size}`);
  }
  const rng = new Rng(opts.seed).fork('subset');
  let out: Int32Array;
  if (!opts.balanced) {
    out = rng.permutation(n).slice(0, size);
  } else {
    let classes = opts.classes ?? 0;
    if (opts.classes === undefined) for (let i = 0; i < n; i++) classes = Math.max(classes, labels[i] + 1);
    if (size % classes !== 0) {
      throw new RangeError(`balanced subset: size (${size}) must be a multiple of the class count (${classes})`);
    }
    const per = size / classes;
    const byClass: number[][] = Array.from({ length: classes }, () => []);
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      if (!(l >= 0 && l < classes)) throw new RangeError(`label ${l} at index ${i} is outside 0..${classes - 1}`);
      byClass[l].push(i);
    }
    out = new Int32Array(size);
    let k = 0;
    byClass.forEach((members, c) => {
      if (members.length < per) {
        throw new RangeError(`balanced subset: class ${c} has ${members.length} examples, ${per} requested`);
      }
      const p = rng.permutation(members.length);
      for (let j = 0; j < per; j++) out[k++] = members[p[j]];
    });
  }
  return out.sort();
}

export interface Batch {
  x: Float32Array;
  y: Int32Array;
  /** [B, T, F]. */
  shape: [number, number, number];
  /** Indices of these examples in the source data. */
  indices: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle seed; the order of epoch e is Rng(seed).fork('batches').fork(e).permutation(N). */
  seed?: Seed;
  epoch?: number;
  /** Default true; false keeps the stored order. */
  shuffle?: boolean;
  /** Drop a last incomplete batch (default false). */
  dropLast?: boolean;
}

/** Mini-batches of a sequence data set, seeded shuffled order per epoch. */
export function* batches(data: SequenceData, opts: BatchOptions): Generator<Batch> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const [n, T, F] = data.shape;
  const epoch = opts.epoch ?? 0;
  if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
  let order: Int32Array;
  if (opts.shuffle === false) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  } else {
    if (opts.seed === undefined) throw new TypeError('batches: opts.seed is required when shuffling');
    order = new Rng(opts.seed).fork('batches').fork(epoch).permutation(n);
  }
  const stride = T * F;
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    if (b < batchSize && opts.dropLast) return;
    const indices = order.slice(start, start + b);
    const x = new Float32Array(b * stride);
    const y = new Int32Array(b);
    for (let j = 0; j < b; j++) {
      const i = indices[j];
      x.set(data.x.subarray(i * stride, (i + 1) * stride), j * stride);
      y[j] = data.y[i];
    }
    yield { x, y, shape: [b, T, F], indices };
  }
}
