/**
 * Training augmentation of sCIFAR-10 as in the paper's code: torchvision's RandomCrop(32, padding=4)
 * then RandomHorizontalFlip(p=0.5), both applied to the raw image before ToTensor/Normalize. The crop
 * pads with raw value 0 (black), which after normalization is −mean[c]/std[c] per channel.
 *
 * Works on sequence data in this package's pixel layout (H·W pixels in row-major order, C channels
 * interleaved per pixel; `groupSteps` / the 'row' layout only reshape it), so it needs the unpermuted
 * view. Draws per image, in this order, as torchvision does: crop top = int(2·pad + 1), crop left =
 * int(2·pad + 1), flip = uniform() < p.
 */
import type { Rng } from '@sii/linalg';
import type { Normalization } from './views.js';

export interface CropFlipSpec {
  height: number;
  width: number;
  channels: number;
  /** Zero-padding on every side before the crop back to height × width (torchvision `padding`). */
  padding: number;
  /** Probability of a horizontal flip (0.5). */
  flipProbability: number;
  /** Value of a padded pixel per channel (in the units of the data: normalized raw 0). */
  fill: readonly number[];
}

/** The random choices for one image: crop offsets into the padded image and the flip. */
export interface CropFlipDraw {
  top: number;
  left: number;
  flip: boolean;
}

/** The paper's sCIFAR-10 augmentation for data normalized with `norm` (32 × 32 × 3, pad 4, flip 0.5). */
export function cifarCropFlip(norm: Normalization): CropFlipSpec {
  if (norm.mean.length !== 3 || norm.std.length !== 3)
    throw new RangeError(`cifarCropFlip: normalization needs 3 channels, got ${norm.mean.length}`);
  return { height: 32, width: 32, channels: 3, padding: 4, flipProbability: 0.5, fill: norm.mean.map((m, c) => -m / norm.std[c]) };
}

function checkSpec(s: CropFlipSpec): void {
  for (const k of ['height', 'width', 'channels'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new RangeError(`crop/flip spec: ${k} must be a positive integer, got ${s[k]}`);
  }
  if (!Number.isInteger(s.padding) || s.padding < 0)
    throw new RangeError(`crop/flip spec: padding must be an integer >= 0, got ${s.padding}`);
  if (!(s.flipProbability >= 0 && s.flipProbability <= 1))
    throw new RangeError(`crop/flip spec: flipProbability must be in [0, 1], got ${s.flipProbability}`);
  if (s.fill.length !== s.channels) throw new RangeError(`crop/flip spec: fill needs ${s.channels} entries, got ${s.fill.length}`);
}

/** Draw one image's crop offsets (each 0..2·padding) and flip, in torchvision's order. */
export function drawCropFlip(rng: Rng, spec: Pick<CropFlipSpec, 'padding' | 'flipProbability'>): CropFlipDraw {
  const top = rng.int(2 * spec.padding + 1);
  const left = rng.int(2 * spec.padding + 1);
  return { top, left, flip: rng.uniform() < spec.flipProbability };
}

/**
 * Write the cropped (and flipped) image: out(r, c) = padded(top + r, left + c'), c' = W−1−c when
 * flipped, where padded(i, j) = image(i − pad, j − pad) inside the image and `fill` outside.
 */
export function cropFlipImage(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  spec: CropFlipSpec,
  d: CropFlipDraw,
): void {
  const { height: H, width: W, channels: C, padding: p } = spec;
  for (let r = 0; r < H; r++) {
    const sr = r + d.top - p;
    for (let c = 0; c < W; c++) {
      const sc = (d.flip ? W - 1 - c : c) + d.left - p;
      const o = dstOffset + (r * W + c) * C;
      if (sr >= 0 && sr < H && sc >= 0 && sc < W) {
        const i = srcOffset + (sr * W + sc) * C;
        for (let ch = 0; ch < C; ch++) dst[o + ch] = src[i + ch];
      } else {
        for (let ch = 0; ch < C; ch++) dst[o + ch] = spec.fill[ch];
      }
    }
  }
}

/** Augment `count` consecutive images of `x` (a new array) with one draw per image from `rng`. */
export function augmentImages(x: Float32Array, count: number, spec: CropFlipSpec, rng: Rng): { x: Float32Array; draws: CropFlipDraw[] } {
  checkSpec(spec);
  const size = spec.height * spec.width * spec.channels;
  if (!Number.isInteger(count) || count < 0 || x.length !== count * size) {
    throw new RangeError(
      `augmentImages: x has ${x.length} values, expected count (${count}) × ${spec.height}·${spec.width}·${spec.channels}`,
    );
  }
  const out = new Float32Array(x.length);
  const draws: CropFlipDraw[] = [];
  for (let i = 0; i < count; i++) {
    const d = drawCropFlip(rng, spec);
    cropFlipImage(x, i * size, out, i * size, spec, d);
    draws.push(d);
  }
  return { x: out, draws };
}
