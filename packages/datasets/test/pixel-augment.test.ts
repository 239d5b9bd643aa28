import { Rng } from '@sii/linalg';
import { describe, expect, it } from 'vitest';
import {
  augmentImages,
  CIFAR10_NORMALIZATION,
  type CropFlipSpec,
  cifarCropFlip,
  cropFlipImage,
  drawCropFlip,
  pixelPermutation,
  pixelTask,
} from '../src/index.js';

// A 3 × 4 image with 2 channels, pixel-interleaved: value(r, c, ch) = 100·ch + 10·r + c.
const H = 3;
const W = 4;
const C = 2;
const image = Float32Array.from({ length: H * W * C }, (_, i) => {
  const ch = i % C;
  const p = (i - ch) / C;
  return 100 * ch + 10 * Math.floor(p / W) + (p % W);
});
const spec: CropFlipSpec = { height: H, width: W, channels: C, padding: 1, flipProbability: 0.5, fill: [-1, -2] };

/** Independent route: build the padded image explicitly, slice the crop, reverse each row when flipped. */
function expected(img: Float32Array, s: CropFlipSpec, top: number, left: number, flip: boolean): number[] {
  const PH = s.height + 2 * s.padding;
  const PW = s.width + 2 * s.padding;
  const padded: number[][][] = Array.from({ length: PH }, () => Array.from({ length: PW }, () => [...s.fill]));
  for (let r = 0; r < s.height; r++) {
    for (let c = 0; c < s.width; c++) {
      padded[r + s.padding][c + s.padding] = Array.from({ length: s.channels }, (_, ch) => img[(r * s.width + c) * s.channels + ch]);
    }
  }
  const rows = padded.slice(top, top + s.height).map((row) => row.slice(left, left + s.width));
  return (flip ? rows.map((row) => [...row].reverse()) : rows).flat(2);
}

describe('sCIFAR training augmentation (random crop with padding, horizontal flip)', () => {
  it('a fixed draw gives the hand-worked image', () => {
    const out = new Float32Array(image.length);
    // crop rows 0..2 and columns 2..5 of the padded 5 × 6 image, then mirror left-right
    cropFlipImage(image, 0, out, 0, spec, { top: 0, left: 2, flip: true });
    const ch0 = [
      [-1, -1, -1, -1],
      [-1, 3, 2, 1],
      [-1, 13, 12, 11],
    ];
    const ch1 = [
      [-2, -2, -2, -2],
      [-2, 103, 102, 101],
      [-2, 113, 112, 111],
    ];
    const want = ch0.flatMap((row, r) => row.flatMap((v, c) => [v, ch1[r][c]]));
    expect(Array.from(out)).toEqual(want);
    // the centre crop without flip is the identity
    cropFlipImage(image, 0, out, 0, spec, { top: 1, left: 1, flip: false });
    expect(Array.from(out)).toEqual(Array.from(image));
  });

  it('draws come from the rng in torchvision order (top, left, flip) and each image matches the padded crop', () => {
    const batch = new Float32Array(image.length * 6);
    for (let k = 0; k < 6; k++)
      batch.set(
        image.map((v) => v + 1000 * k),
        k * image.length,
      );
    const { x, draws } = augmentImages(batch, 6, spec, new Rng('aug-seed'));
    const rng = new Rng('aug-seed');
    draws.forEach((d, k) => {
      expect(d).toEqual({ top: rng.int(3), left: rng.int(3), flip: rng.uniform() < 0.5 });
      const img = batch.subarray(k * image.length, (k + 1) * image.length);
      expect(Array.from(x.subarray(k * image.length, (k + 1) * image.length))).toEqual(expected(img, spec, d.top, d.left, d.flip));
    });
    // same seed, same result; the input is not modified
    expect(Array.from(augmentImages(batch, 6, spec, new Rng('aug-seed')).x)).toEqual(Array.from(x));
    expect(batch[1]).toBe(100);
  });

  it('offsets cover 0..2·pad uniformly and about half the images are flipped', () => {
    const rng = new Rng(3);
    const counts = new Array(9).fill(0);
    let flips = 0;
    const n = 9000;
    for (let i = 0; i < n; i++) {
      const d = drawCropFlip(rng, { padding: 4, flipProbability: 0.5 });
      counts[d.top]++;
      if (d.flip) flips++;
    }
    for (const c of counts) expect(Math.abs(c - n / 9)).toBeLessThan(5 * Math.sqrt(n / 9)); // 5 sigma
    expect(Math.abs(flips - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
  });

  it('CIFAR spec: 32 × 32 × 3, pad 4, fill = normalized raw 0 per channel; bad specs are refused', () => {
    const s = cifarCropFlip(CIFAR10_NORMALIZATION);
    expect([s.height, s.width, s.channels, s.padding, s.flipProbability]).toEqual([32, 32, 3, 4, 0.5]);
    expect(s.fill[0]).toBeCloseTo(-0.4914 / 0.247, 12);
    expect(s.fill[2]).toBeCloseTo(-0.4465 / 0.2616, 12);
    expect(() => augmentImages(new Float32Array(5), 1, spec, new Rng(1))).toThrow(
      /augmentImages: x has 5 values, expected count \(1\) × 3·4·2/,
    );
    expect(() => augmentImages(image, 1, { ...spec, fill: [0] }, new Rng(1))).toThrow(/fill needs 2 entries, got 1/);
  });
});

describe('psMNIST permutation per run', () => {
  it('pixelTask draws the permutation from permutationSeed (default: seed), subsets stay on seed', () => {
    const a = pixelTask({
      dataset: 'mnist',
      view: 'permuted',
      trainSize: 20,
      testSize: 10,
      balanced: true,
      seed: 0,
      permutationSeed: '0/run/0',
    });
    const b = pixelTask({
      dataset: 'mnist',
      view: 'permuted',
      trainSize: 20,
      testSize: 10,
      balanced: true,
      seed: 0,
      permutationSeed: '0/run/1',
    });
    const again = pixelTask({
      dataset: 'mnist',
      view: 'permuted',
      trainSize: 20,
      testSize: 10,
      balanced: true,
      seed: 0,
      permutationSeed: '0/run/0',
    });
    expect(Array.from(a.permutation!)).toEqual(Array.from(pixelPermutation(784, '0/run/0')));
    expect(Array.from(again.permutation!)).toEqual(Array.from(a.permutation!));
    expect(Array.from(b.permutation!)).not.toEqual(Array.from(a.permutation!));
    expect(Array.from(b.train.y)).toEqual(Array.from(a.train.y)); // same examples
    const plain = pixelTask({ dataset: 'mnist', view: 'permuted', trainSize: 20, testSize: 10, balanced: true, seed: 7 });
    expect(Array.from(plain.permutation!)).toEqual(Array.from(pixelPermutation(784, 7)));
  });
});
