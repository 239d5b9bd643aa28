/** The data side of `sii pixel`: psMNIST permutation per run, sCIFAR augmentation, CIFAR folder errors. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batches, cropFlipImage, drawCropFlip, pixelPermutation } from '@sii/datasets';
import { Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import { pixelDeviations } from '../src/experiments/definitions.js';
import { loadPixelData, type PixelConfig, pixelPreset, pixelTrainBatches } from '../src/experiments/pixel.js';

const cifarDir = join(import.meta.dirname, '..', '..', '..', 'packages', 'datasets', 'test', 'fixtures', 'pixel-cifar10');
const base = { seed: 0, inits: ['sii' as const, 'baseline' as const], backend: 'wasm' as const, scale: 'tiny' as const };
const psmnist: PixelConfig = { ...pixelPreset('tiny', 'psmnist'), ...base, dataset: 'psmnist', data: null, pixelsPerStep: 1 };
const scifar: PixelConfig = {
  ...pixelPreset('tiny', 'scifar'),
  ...base,
  dataset: 'scifar',
  data: cifarDir,
  trainSize: null,
  testSize: null,
};

describe('psMNIST permutation', () => {
  it("is drawn per run from the run seed by default, reproducibly; 'base' keeps one for all runs", () => {
    expect(psmnist.permutationSeed).toBe('run');
    const r0 = loadPixelData(psmnist, '0/run/0');
    const r1 = loadPixelData(psmnist, '0/run/1');
    const again = loadPixelData(psmnist, '0/run/0');
    expect(Array.from(r0.permutation!)).toEqual(Array.from(pixelPermutation(784, '0/run/0')));
    expect(Array.from(again.permutation!)).toEqual(Array.from(r0.permutation!));
    expect(Buffer.from(again.train.x.buffer).equals(Buffer.from(r0.train.x.buffer))).toBe(true);
    expect(Array.from(r1.permutation!)).not.toEqual(Array.from(r0.permutation!));
    // same examples (subsets come from the base seed), other pixel order
    expect(Array.from(r1.train.y)).toEqual(Array.from(r0.train.y));
    const seq = loadPixelData({ ...psmnist, dataset: 'smnist' }, '0/run/0');
    const perm = r1.permutation!;
    for (const t of [0, 300, 783]) expect(r1.train.x[t]).toBe(seq.train.x[perm[t]]);
    const fixed = [
      loadPixelData({ ...psmnist, permutationSeed: 'base' }, '0/run/0'),
      loadPixelData({ ...psmnist, permutationSeed: 'base' }, '0/run/1'),
    ];
    for (const d of fixed) expect(Array.from(d.permutation!)).toEqual(Array.from(pixelPermutation(784, 0)));
  });
});

describe('sCIFAR training augmentation', () => {
  it('on by default for scifar: each training image is cropped/flipped with draws from the run seed and epoch', () => {
    expect(scifar.augment).toBe(true);
    expect(pixelPreset('paper', 'scifar').augment).toBe(true);
    expect(pixelPreset('laptop', 'smnist').augment).toBe(false);
    const d = loadPixelData(scifar, '0/run/0');
    expect(d.train.shape).toEqual([10, 32, 96]); // one image row per step at tiny scale: same memory as 1024 × 3
    for (const epoch of [0, 1]) {
      const rng = new Rng('0/run/0').fork('augment').fork(epoch);
      const plain = [...batches(d.train, { batchSize: 4, seed: '0/run/0', epoch })];
      const aug = [...pixelTrainBatches(d, 4, '0/run/0', epoch)];
      expect(aug.map((b) => Array.from(b.indices))).toEqual(plain.map((b) => Array.from(b.indices)));
      let changed = 0;
      plain.forEach((b, k) => {
        for (let i = 0; i < b.y.length; i++) {
          const draw = drawCropFlip(rng, d.augment!);
          const want = new Float32Array(3072);
          cropFlipImage(b.x, i * 3072, want, 0, d.augment!, draw);
          const got = aug[k].x.subarray(i * 3072, (i + 1) * 3072);
          expect(Buffer.from(got.slice().buffer).equals(Buffer.from(want.buffer))).toBe(true);
          if (!(draw.top === 4 && draw.left === 4 && !draw.flip)) changed++;
        }
      });
      expect(changed).toBeGreaterThan(0);
    }
    // both arms of a run see the same images; another run other ones; test data are never augmented
    const a = [...pixelTrainBatches(d, 4, '0/run/0', 0)];
    const b = [...pixelTrainBatches(loadPixelData(scifar, '0/run/0'), 4, '0/run/0', 0)];
    expect(a.map((x) => Array.from(x.x))).toEqual(b.map((x) => Array.from(x.x)));
    const off = loadPixelData({ ...scifar, augment: false }, '0/run/0');
    expect(off.augment).toBeNull();
    expect(Buffer.from(off.test.x.buffer).equals(Buffer.from(d.test.x.buffer))).toBe(true);
    const offBatches = [...pixelTrainBatches(off, 4, '0/run/0', 0)];
    expect(offBatches.map((x) => Array.from(x.x))).toEqual(
      [...batches(off.train, { batchSize: 4, seed: '0/run/0', epoch: 0 })].map((x) => Array.from(x.x)),
    );
  });

  it('bad data folders and misuse give clear errors', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sii-pixel-data-'));
    expect(() => loadPixelData({ ...scifar, data: empty }, 'r')).toThrow(
      /neither accepted format: the binary version .* or the python version that torchvision downloads/,
    );
    expect(() => loadPixelData({ ...scifar, data: null }, 'r')).toThrow(
      /--dataset scifar needs --data .*data_batch_1\.bin.*cifar-10-batches-py/,
    );
    expect(() => loadPixelData({ ...psmnist, augment: true }, 'r')).toThrow(
      /--augment on applies to --dataset scifar only, got --dataset psmnist/,
    );
  });
});

describe('pixel report: differences from the paper', () => {
  it('the laptop preset lists exactly the values it scales down, with the reason; the paper preset none', () => {
    const laptop: PixelConfig = { ...pixelPreset('laptop', 'psmnist'), ...base, scale: 'laptop', dataset: 'psmnist', data: null };
    const list = pixelDeviations(laptop);
    // laptop vs paper preset, by hand: 28 px/step vs 1, 2000/1000 vs all, n 64 vs 128, H 128 vs 256, batch 64 vs 512, 40 vs 100 epochs
    expect(list.map((l) => l.split(' ')[0])).toEqual(['pixelsPerStep', 'trainSize', 'testSize', 'states', 'hidden', 'batch', 'epochs']);
    expect(list[0]).toBe(
      'pixelsPerStep 28 (paper 1; laptop preset: one image row per ODE step: a 28× (MNIST) or 32× (CIFAR) shorter rollout, for minutes instead of days on a CPU)',
    );
    expect(list[1]).toMatch(/^trainSize 2000 \(paper none; laptop preset: class-balanced subset/);
    const paper: PixelConfig = { ...pixelPreset('paper', 'scifar'), ...base, scale: 'paper', dataset: 'scifar', data: cifarDir };
    expect(pixelDeviations(paper)).toEqual([]);
    expect(pixelDeviations({ ...paper, augment: false, lr: 3e-3 })).toEqual([
      'lr 0.003 (paper 0.001; set by flag)',
      'augment false (paper true; set by flag)',
    ]);
  });
});
