/**
 * The authors' test metric: MSE over every test window, step and output (their validation_step on
 * the test loader: per-batch mean, averaged over batches weighted by batch size, which is the
 * overall mean), with z0 drawn from the prior N(0, I) (their model in eval mode). The draws come from
 * a seeded stream, so an evaluation is reproducible.
 */
import type { ForecastDataset } from '@sii/datasets';
import type { Rng } from '@sii/linalg';
import * as tf from '@tensorflow/tfjs-core';
import { normalArray } from '../nn.js';
import type { EvalInitialState } from './config.js';
import { disposeBatch, windowBatch } from './data.js';
import type { ForecastModel } from './model.js';

export function forecastTestMse(model: ForecastModel, d: ForecastDataset, mode: EvalInitialState, priorRng: Rng, batch = 512): number {
  const { samples: N, steps: T, targetDim: p } = d.shape;
  const n = model.spec.states;
  let sum = 0;
  for (let s = 0; s < N; s += batch) {
    const idx = Array.from({ length: Math.min(batch, N - s) }, (_, k) => s + k);
    const b = windowBatch(d, idx, normalArray(priorRng, idx.length * n), n);
    try {
      const sq = tf.tidy(() =>
        tf.sum(tf.squaredDifference(model.forward(b.u, b.eps, mode === 'prior' ? 'prior' : 'posterior-mean').pred, b.y)),
      );
      sum += sq.dataSync()[0];
      sq.dispose();
    } finally {
      disposeBatch(b);
    }
  }
  return sum / (N * T * p);
}
