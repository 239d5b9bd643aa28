/** Data of `sii forecast`: the authors' loaders by default, windows subsampled by the presets, batches. */
import {
  type ForecastDataset,
  type ForecastSplit,
  generateCascadedTanks,
  generateDuffing,
  loadActivityAuthors,
  loadAirQualityFile,
  loadEngine,
} from '@sii/datasets';
import type { Rng } from '@sii/linalg';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { normalArray } from '../nn.js';
import { FILE_DATASETS, FORECAST_DATASETS, type ForecastConfig, resolveProtocol } from './config.js';

/** Load (or simulate) the split with the authors' windows, strides, segments and split. */
export async function loadForecastData(c: ForecastConfig): Promise<ForecastSplit> {
  const p = resolveProtocol(c);
  if (c.dataset === 'tanks' || c.dataset === 'duffing') {
    const opts = { window: p.window, stride: p.trainStride, seed: c.seed };
    return c.dataset === 'tanks' ? generateCascadedTanks(opts) : generateDuffing(opts);
  }
  if (!c.data) {
    throw new Error(
      `sii forecast --dataset ${c.dataset} needs --data <path of ${FILE_DATASETS[c.dataset] ?? 'the data file'}>; the built-in systems tanks and duffing need no file`,
    );
  }
  const common = { path: c.data, window: p.window, dataSeed: c.dataSeed, trainStride: p.trainStride, testStride: c.testStride };
  if (c.dataset === 'engine') return loadEngine({ ...common, segmentLength: p.segmentLength ?? 800 });
  if (c.dataset === 'airquality') return loadAirQualityFile({ ...common, segmentLength: p.segmentLength ?? 800 });
  if (c.dataset === 'activity') return loadActivityAuthors({ path: c.data, window: p.window, dataSeed: c.dataSeed });
  throw new RangeError(`--dataset must be one of ${FORECAST_DATASETS.join(', ')}, got ${JSON.stringify(c.dataset)}`);
}

/** Evenly spaced subset of at most `max` windows (deterministic). */
export function subsampleWindows(d: ForecastDataset, max: number | null): ForecastDataset {
  const N = d.shape.samples;
  if (max === null || N <= max) return d;
  const { steps: T, inputDim: m, targetDim: p } = d.shape;
  const inputs = new Float32Array(max * T * m);
  const targets = new Float32Array(max * T * p);
  const origins = new Int32Array(2 * max);
  for (let k = 0; k < max; k++) {
    const i = Math.floor((k * N) / max);
    inputs.set(d.inputs.subarray(i * T * m, (i + 1) * T * m), k * T * m);
    targets.set(d.targets.subarray(i * T * p, (i + 1) * T * p), k * T * p);
    origins[2 * k] = d.origins[2 * i];
    origins[2 * k + 1] = d.origins[2 * i + 1];
  }
  return { ...d, inputs, targets, origins, shape: { ...d.shape, samples: max } };
}

export interface ForecastBatch {
  /** Inputs, time-major [T, B, m]. */
  u: Tensor3D;
  /** Targets, time-major [T, B, p]. */
  y: Tensor3D;
  /** ε [B, n]: reparameterisation noise in training, the prior draw z0 in evaluation. */
  eps: Tensor2D;
}

/** Windows `idx` of `d` as time-major tensors (the authors' collate stacks along dim 1). */
export function windowBatch(d: ForecastDataset, idx: ArrayLike<number>, eps: Float32Array, states: number): ForecastBatch {
  const { steps: T, inputDim: m, targetDim: p } = d.shape;
  const B = idx.length;
  const u = new Float32Array(T * B * m);
  const y = new Float32Array(T * B * p);
  for (let b = 0; b < B; b++) {
    const i = idx[b];
    for (let t = 0; t < T; t++) {
      u.set(d.inputs.subarray((i * T + t) * m, (i * T + t + 1) * m), (t * B + b) * m);
      y.set(d.targets.subarray((i * T + t) * p, (i * T + t + 1) * p), (t * B + b) * p);
    }
  }
  return { u: tf.tensor3d(u, [T, B, m]), y: tf.tensor3d(y, [T, B, p]), eps: tf.tensor2d(eps, [B, states]) };
}

/** Shuffled batches of one epoch (the authors' DataLoader(shuffle=True), last batch partial). */
export function* trainingBatches(
  d: ForecastDataset,
  batch: number,
  states: number,
  orderRng: Rng,
  noiseRng: Rng,
): Generator<ForecastBatch> {
  const N = d.shape.samples;
  const order = orderRng.permutation(N);
  for (let s = 0; s < N; s += batch) {
    const idx = order.subarray(s, Math.min(N, s + batch));
    yield windowBatch(d, idx, normalArray(noiseRng, idx.length * states), states);
  }
}

export function disposeBatch(b: ForecastBatch): void {
  tf.dispose([b.u, b.y, b.eps]);
}
