/** Frames of the simulated sequences as tensors, and the shuffled mini-batches of an epoch. */
import type { LatentDataset } from '@sii/datasets';
import type { Rng } from '@sii/linalg';
import type { Tensor5D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

/** Frames [start, start + count) of the sequences `idx` as [B, count, H, W, 3]. */
export function frameTensor(ds: LatentDataset, idx: ArrayLike<number>, start: number, count: number): Tensor5D {
  if (start + count > ds.frames)
    throw new RangeError(`frames [${start}, ${start + count}) exceed the ${ds.frames} frames of each sequence`);
  const D = ds.height * ds.width * 3;
  const T = ds.frames;
  const out = new Float32Array(idx.length * count * D);
  for (let b = 0; b < idx.length; b++) {
    const i = idx[b];
    out.set(ds.images.subarray((i * T + start) * D, (i * T + start + count) * D), b * count * D);
  }
  return tf.tensor5d(out, [idx.length, count, ds.height, ds.width, 3]);
}

export interface LatentBatch {
  /** Conditioning frames [B, F, S, S, 3]. */
  inputs: Tensor5D;
  /** Target frames [B, T, S, S, 3]. */
  targets: Tensor5D;
  size: number;
}

/**
 * One epoch of shuffled batches (torch DataLoader(shuffle=True): a fresh permutation per epoch, the
 * last batch smaller), `steps` target frames each; tensors are made lazily, one batch at a time.
 */
export function* latentBatches(ds: LatentDataset, inputFrames: number, steps: number, batch: number, rng: Rng): Generator<LatentBatch> {
  const order = rng.permutation(ds.count);
  for (let s = 0; s < ds.count; s += batch) {
    const idx = order.subarray(s, Math.min(ds.count, s + batch));
    yield { inputs: frameTensor(ds, idx, 0, inputFrames), targets: frameTensor(ds, idx, inputFrames, steps), size: idx.length };
  }
}

export function disposeBatch(b: LatentBatch): void {
  tf.dispose([b.inputs, b.targets]);
}
