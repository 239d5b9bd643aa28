/**
 * The authors' test metrics (their latent_dynamics/base_latent.py test_step and utils.py), per batch
 * of sequences and averaged over batches weighted by batch size (Lightning's epoch mean):
 * NMSE = mean((pred − gt)²) / mean(gt²), pixel accuracy = share of values with |pred − gt| <= 0.025.
 */
import type { LatentDataset } from '@sii/datasets';
import * as tf from '@tensorflow/tfjs-core';
import { frameTensor } from './data.js';
import type { ConvLatentModel } from './model.js';

export const PIXEL_THRESHOLD = 0.025;

export interface BatchMetrics {
  nmse: number;
  pixelAccuracy: number;
  mse: number;
}

/** Metrics of one batch from predicted and true values (float64 sums). */
export function batchMetrics(pred: ArrayLike<number>, truth: ArrayLike<number>): BatchMetrics {
  if (pred.length !== truth.length || pred.length === 0)
    throw new RangeError(`pred and truth must have the same non-zero length, got ${pred.length} and ${truth.length}`);
  let se = 0;
  let sq = 0;
  let ok = 0;
  for (let i = 0; i < pred.length; i++) {
    const e = pred[i] - truth[i];
    se += e * e;
    sq += truth[i] * truth[i];
    if (Math.abs(e) <= PIXEL_THRESHOLD) ok++;
  }
  const mse = se / pred.length;
  return { mse, nmse: mse / (sq / pred.length), pixelAccuracy: ok / pred.length };
}

/** Evaluation-mode metrics over the first `steps` predicted frames of every sequence of `ds`, in batches of `batch`. */
export function evaluateLatent(model: ConvLatentModel, ds: LatentDataset, inputFrames: number, steps: number, batch: number): BatchMetrics {
  const sum = { nmse: 0, pixelAccuracy: 0, mse: 0 };
  for (let s = 0; s < ds.count; s += batch) {
    const idx = Array.from({ length: Math.min(batch, ds.count - s) }, (_, k) => s + k);
    const [p, t] = tf.tidy(() => {
      const pred = model.predict(frameTensor(ds, idx, 0, inputFrames), steps, false);
      return [pred.dataSync(), frameTensor(ds, idx, inputFrames, steps).dataSync()];
    });
    const m = batchMetrics(p, t);
    sum.nmse += m.nmse * idx.length;
    sum.pixelAccuracy += m.pixelAccuracy * idx.length;
    sum.mse += m.mse * idx.length;
  }
  return { nmse: sum.nmse / ds.count, pixelAccuracy: sum.pixelAccuracy / ds.count, mse: sum.mse / ds.count };
}
