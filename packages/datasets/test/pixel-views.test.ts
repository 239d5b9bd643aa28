import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import {
  batches,
  CIFAR10_NORMALIZATION,
  loadCifar10,
  loadFashionMnist,
  parseCifarBatch,
  pixelPermutation,
  pixelTask,
  subsetIndices,
  toSequences,
} from '../src/index.js';

const fashionDir = join(import.meta.dirname, 'fixtures', 'pixel-fashion');
const cifarDir = join(import.meta.dirname, 'fixtures', 'pixel-cifar10');
const tmp = mkdtempSync(join(tmpdir(), 'sii-pixel-views-'));

// CIFAR fixture formula (scripts/make-fixtures.mjs): record k has label k % 10 and
// byte(ch, r, c) = (11k + 5ch + 3r + 2c) % 256; train = 5 files × 2 records, test = 3 records (k = 10..12)
const cifarByte = (k: number, ch: number, r: number, c: number) => (11 * k + 5 * ch + 3 * r + 2 * c) % 256;

describe('CIFAR-10 binary loader', () => {
  it('reads all five training batches in order and the test batch', () => {
    const train = loadCifar10('train', { dir: cifarDir });
    expect([train.count, train.height, train.width, train.channels]).toEqual([10, 32, 32, 3]);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const [k, ch, r, c] of [
      [0, 0, 0, 0],
      [3, 1, 5, 7],
      [9, 2, 31, 31],
    ] as const) {
      expect(train.images[k * 3072 + ch * 1024 + r * 32 + c]).toBe(cifarByte(k, ch, r, c));
    }
    const test = loadCifar10('test', { dir: cifarDir });
    expect(test.count).toBe(3);
    expect(Array.from(test.labels)).toEqual([0, 1, 2]);
    expect(test.images[2 * 3072 + 2 * 1024 + 4 * 32 + 9]).toBe(cifarByte(12, 2, 4, 9));
  });

  it('sequential view interleaves R, G, B per pixel: 1024 × 3, per-channel normalization', () => {
    const test = loadCifar10('test', { dir: cifarDir });
    const seq = toSequences(test);
    expect(seq.shape).toEqual([3, 1024, 3]);
    const { mean, std } = CIFAR10_NORMALIZATION;
    for (const [k, r, c] of [
      [0, 0, 0],
      [1, 10, 20],
      [2, 31, 31],
    ] as const) {
      for (let ch = 0; ch < 3; ch++) {
        const expected = (cifarByte(10 + k, ch, r, c) / 255 - mean[ch]) / std[ch];
        expect(seq.x[(k * 1024 + r * 32 + c) * 3 + ch]).toBeCloseTo(expected, 6);
      }
    }
    const rows = toSequences(test, { layout: 'row' });
    expect(rows.shape).toEqual([3, 32, 96]);
    expect(Array.from(rows.x)).toEqual(Array.from(seq.x)); // same memory order, other shape
  });

  it('a truncated record or a bad label gives a clear error', () => {
    const bytes = readFileSync(join(cifarDir, 'data_batch_1.bin'));
    const dir = join(tmp, 'cifar-cut');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'test_batch.bin'), bytes.subarray(0, 3073 + 1000));
    expect(() => loadCifar10('test', { dir })).toThrow(
      /cifar-cut\/test_batch\.bin: truncated CIFAR-10 batch: 4073 bytes is 1 whole records of 3073 bytes plus 1000 bytes of a truncated record 1/,
    );
    const bad = Buffer.from(bytes);
    bad[3073] = 10;
    expect(() => parseCifarBatch(bad, 'x.bin')).toThrow(/x\.bin: record 1 \(byte offset 3073\) has label 10, expected 0\.\.9/);
    expect(() => loadCifar10('train', { dir })).toThrow(/CIFAR-10: .*cifar-cut holds the train batches in neither accepted format/);
    expect(() => loadCifar10('train', { dir, files: ['data_batch_1.bin'] })).toThrow(/cannot read CIFAR-10 batch .*data_batch_1\.bin/);
    expect(() => pixelTask({ dataset: 'cifar10' })).toThrow(/needs opts\.dir/);
  });
});

describe('sequence views', () => {
  const set = loadFashionMnist('train', { dir: fashionDir });
  const norm = { mean: [0.5], std: [0.25] };
  const pix = (i: number, p: number) => (7 * i + 3 * Math.floor(p / 28) + (p % 28)) % 256;

  it('sequential: step t = pixel t in row-major order', () => {
    const s = toSequences(set, { normalization: norm });
    expect(s.shape).toEqual([30, 784, 1]);
    for (const [i, t] of [
      [0, 0],
      [4, 100],
      [29, 783],
    ] as const) {
      expect(s.x[i * 784 + t]).toBeCloseTo((pix(i, t) / 255 - 0.5) / 0.25, 6);
    }
    expect(Array.from(s.y)).toEqual(Array.from(set.labels));
  });

  it('permuted: step t reads pixel perm[t]; row view is 28 × 28', () => {
    const perm = pixelPermutation(784, 11);
    expect(Array.from(perm).sort((a, b) => a - b)).toEqual(Array.from({ length: 784 }, (_, i) => i));
    const s = toSequences(set, { normalization: norm, permutation: perm });
    for (const [i, t] of [
      [1, 0],
      [7, 391],
      [29, 783],
    ] as const) {
      expect(s.x[i * 784 + t]).toBeCloseTo((pix(i, perm[t]) / 255 - 0.5) / 0.25, 6);
    }
    const r = toSequences(set, { normalization: norm, layout: 'row' });
    expect(r.shape).toEqual([30, 28, 28]);
    expect(r.x[3 * 784 + 5 * 28 + 9]).toBeCloseTo((pix(3, 5 * 28 + 9) / 255 - 0.5) / 0.25, 6);
  });

  it('the permutation is a function of the seed alone (shared by train and test)', () => {
    expect(Buffer.from(pixelPermutation(784, 'a').buffer)).toEqual(Buffer.from(pixelPermutation(784, 'a').buffer));
    expect(Array.from(pixelPermutation(784, 'a'))).not.toEqual(Array.from(pixelPermutation(784, 'b')));
    expect(Array.from(pixelPermutation(784, 5))).toEqual(Array.from(new Rng(5).fork('pixel-permutation').permutation(784)));
    const task = pixelTask({ dataset: 'fashion-mnist', dir: fashionDir, view: 'permuted', seed: 5 });
    const plain = pixelTask({ dataset: 'fashion-mnist', dir: fashionDir, view: 'sequential', seed: 5 });
    const perm = task.permutation as Int32Array;
    for (const split of ['train', 'test'] as const) {
      const n = task[split].shape[0];
      for (let i = 0; i < n; i += 3) {
        for (let t = 0; t < 784; t += 37) expect(task[split].x[i * 784 + t]).toBe(plain[split].x[i * 784 + perm[t]]);
      }
    }
  });

  it('validates options', () => {
    expect(() => toSequences(set, { permutation: new Int32Array(783) })).toThrow(/permutation has length 783, expected 784/);
    const dup = new Int32Array(784);
    expect(() => toSequences(set, { permutation: dup })).toThrow(/not a permutation/);
    expect(() => toSequences(set, { normalization: { mean: [0, 0], std: [1, 1] } })).toThrow(/1 channel entries/);
    expect(() => toSequences(set, { normalization: { mean: [0], std: [0] } })).toThrow(/std\[0\] must be > 0, got 0/);
    expect(() => toSequences(set, { indices: Int32Array.of(0, 30) })).toThrow(/indices\[1\] = 30 is outside 0\.\.29/);
    expect(() => toSequences({ ...set, name: 'other' })).toThrow(/no default normalization for data set 'other'/);
    expect(() => pixelTask({ dataset: 'svhn' as 'mnist' })).toThrow(/dataset must be 'mnist', 'fashion-mnist' or 'cifar10', got svhn/);
    expect(() => pixelTask({ dataset: 'mnist', view: 'diagonal' as 'row' })).toThrow(/view must be/);
  });
});

describe('subsets', () => {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 10);

  it('uniform: distinct sorted indices, reproducible per seed', () => {
    const a = subsetIndices(labels, 200, { seed: 1 });
    expect(a.length).toBe(200);
    expect(new Set(a).size).toBe(200);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThan(a[i - 1]);
    expect(Array.from(subsetIndices(labels, 200, { seed: 1 }))).toEqual(Array.from(a));
    expect(Array.from(subsetIndices(labels, 200, { seed: 2 }))).not.toEqual(Array.from(a));
  });

  it('balanced: size / classes per class', () => {
    const a = subsetIndices(labels, 250, { seed: 1, balanced: true });
    const counts = new Array(10).fill(0);
    for (const i of a) counts[labels[i]]++;
    expect(counts).toEqual(new Array(10).fill(25));
    expect(() => subsetIndices(labels, 255, { seed: 1, balanced: true })).toThrow(
      /size \(255\) must be a multiple of the class count \(10\)/,
    );
    expect(() => subsetIndices(labels, 1001, { seed: 1 })).toThrow(/size must be an integer in 1\.\.1000/);
    expect(() => subsetIndices(labels.subarray(0, 30), 30, { seed: 1, balanced: true, classes: 15 })).toThrow(
      /class 10 has 0 examples, 2 requested/,
    );
  });
});

describe('mini-batches', () => {
  const set = loadFashionMnist('train', { dir: fashionDir });
  const data = toSequences(set);

  it('one epoch visits every example once, batch contents match the data', () => {
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const b of batches(data, { batchSize: 8, seed: 4 })) {
      sizes.push(b.shape[0]);
      expect(b.shape.slice(1)).toEqual([784, 1]);
      b.indices.forEach((i, j) => {
        seen.push(i);
        expect(b.y[j]).toBe(data.y[i]);
        expect(Array.from(b.x.subarray(j * 784, (j + 1) * 784))).toEqual(Array.from(data.x.subarray(i * 784, (i + 1) * 784)));
      });
    }
    expect(sizes).toEqual([8, 8, 8, 6]);
    expect(seen.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('same seed and epoch reproduce bytes; another epoch reorders; dropLast; no shuffle', () => {
    const order = (seed: number, epoch: number) => [...batches(data, { batchSize: 8, seed, epoch })].flatMap((b) => Array.from(b.indices));
    expect(order(4, 2)).toEqual(order(4, 2));
    expect(order(4, 2)).not.toEqual(order(4, 3));
    const first = batches(data, { batchSize: 8, seed: 4, epoch: 2 }).next().value;
    const again = batches(data, { batchSize: 8, seed: 4, epoch: 2 }).next().value;
    expect(Buffer.from(first!.x.buffer)).toEqual(Buffer.from(again!.x.buffer));
    expect([...batches(data, { batchSize: 8, seed: 4, dropLast: true })].length).toBe(3);
    const plain = [...batches(data, { batchSize: 16, shuffle: false })].flatMap((b) => Array.from(b.indices));
    expect(plain).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(() => batches(data, { batchSize: 0, seed: 1 }).next()).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => batches(data, { batchSize: 4 }).next()).toThrow(/opts\.seed is required/);
  });

  it('pixelTask with the same seed reproduces the bytes of both splits', () => {
    const a = pixelTask({ dataset: 'fashion-mnist', dir: fashionDir, view: 'permuted', seed: 9, trainSize: 20, testSize: 5 });
    const b = pixelTask({ dataset: 'fashion-mnist', dir: fashionDir, view: 'permuted', seed: 9, trainSize: 20, testSize: 5 });
    const c = pixelTask({ dataset: 'fashion-mnist', dir: fashionDir, view: 'permuted', seed: 10, trainSize: 20, testSize: 5 });
    expect(Buffer.from(a.train.x.buffer)).toEqual(Buffer.from(b.train.x.buffer));
    expect(Buffer.from(a.test.x.buffer)).toEqual(Buffer.from(b.test.x.buffer));
    expect(Buffer.from(a.train.x.buffer)).not.toEqual(Buffer.from(c.train.x.buffer));
  });
});
