/** One-call set-up of the pixel-level classification tasks (sMNIST, psMNIST, sCIFAR-10, …). */
import { type ImageSet, loadCifar10, loadFashionMnist, loadMnist, type Split } from './images.js';
import {
  defaultNormalization,
  type Normalization,
  pixelPermutation,
  type Seed,
  type SequenceData,
  subsetIndices,
  toSequences,
} from './views.js';

export type PixelDatasetName = 'mnist' | 'fashion-mnist' | 'cifar10';
/** sequential: one pixel per step; permuted: same with a seeded pixel permutation; row: one row per step. */
export type PixelView = 'sequential' | 'permuted' | 'row';

export interface PixelTaskOptions {
  dataset: PixelDatasetName;
  view?: PixelView;
  /** Folder with the data files: required for cifar10, optional otherwise. */
  dir?: string;
  /** Seed for the subsets, and for the permutation unless `permutationSeed` is given (default 0). */
  seed?: Seed;
  /** Seed of the pixel permutation (view 'permuted'); the paper's code draws one per run. Default: `seed`. */
  permutationSeed?: Seed;
  /** Seeded subset sizes (default: the whole split). */
  trainSize?: number;
  testSize?: number;
  /** Class-balanced subsets (default false). */
  balanced?: boolean;
  normalization?: Normalization;
}

export interface PixelTask {
  dataset: PixelDatasetName;
  view: PixelView;
  train: SequenceData;
  test: SequenceData;
  /** The pixel permutation shared by train and test (view 'permuted'), else null. */
  permutation: Int32Array | null;
  normalization: Normalization;
}

/** Load the raw image set of a named data set. */
export function loadImageSet(dataset: PixelDatasetName, split: Split, dir?: string): ImageSet {
  switch (dataset) {
    case 'mnist':
      return loadMnist(split, dir === undefined ? {} : { dir });
    case 'fashion-mnist':
      return loadFashionMnist(split, dir === undefined ? {} : { dir });
    case 'cifar10':
      if (dir === undefined)
        throw new TypeError(
          "pixelTask: dataset 'cifar10' needs opts.dir (folder with the CIFAR-10 batches: binary data_batch_1.bin … test_batch.bin, or the python pickles data_batch_1 … test_batch that torchvision downloads)",
        );
      return loadCifar10(split, { dir });
    default:
      throw new RangeError(`dataset must be 'mnist', 'fashion-mnist' or 'cifar10', got ${String(dataset)}`);
  }
}

/**
 * Train and test sequences of one pixel-level task. Example: psMNIST with 2,000 / 1,000 examples:
 * `pixelTask({ dataset: 'mnist', view: 'permuted', trainSize: 2000, testSize: 1000, seed: 1 })`.
 */
export function pixelTask(opts: PixelTaskOptions): PixelTask {
  const view = opts.view ?? 'sequential';
  if (view !== 'sequential' && view !== 'permuted' && view !== 'row') {
    throw new RangeError(`view must be 'sequential', 'permuted' or 'row', got ${String(view)}`);
  }
  if (opts.dataset !== 'mnist' && opts.dataset !== 'fashion-mnist' && opts.dataset !== 'cifar10') {
    throw new RangeError(`dataset must be 'mnist', 'fashion-mnist' or 'cifar10', got ${String(opts.dataset)}`);
  }
  const seed = opts.seed ?? 0;
  const normalization = opts.normalization ?? defaultNormalization(opts.dataset);
  const trainSet = loadImageSet(opts.dataset, 'train', opts.dir);
  const testSet = loadImageSet(opts.dataset, 'test', opts.dir);
  const permutation = view === 'permuted' ? pixelPermutation(trainSet.height * trainSet.width, opts.permutationSeed ?? seed) : null;
  const layout = view === 'row' ? 'row' : 'pixel';
  const pick = (set: ImageSet, size: number | undefined, stream: string) =>
    size === undefined
      ? undefined
      : subsetIndices(set.labels, size, { seed: `${seed}/${stream}`, balanced: opts.balanced ?? false, classes: set.classes });
  const trainIdx = pick(trainSet, opts.trainSize, 'train');
  const testIdx = pick(testSet, opts.testSize, 'test');
  const train = toSequences(trainSet, { layout, permutation, normalization, ...(trainIdx ? { indices: trainIdx } : {}) });
  const test = toSequences(testSet, { layout, permutation, normalization, ...(testIdx ? { indices: testIdx } : {}) });
  return { dataset: opts.dataset, view, train, test, permutation, normalization };
}
