/**
 * Multivariate forecasting with an input-driven latent ODE (spec §7): a variational initial state
 * from the first K samples of outputs and inputs (MLP encoder → mean and log-variance,
 * reparameterisation z_0 = μ + σ·ε), the latent ODE dz/dt = f(z, u) (SiLU MLP, one midpoint step of
 * h = the sampling time per sample, u held over the step), a linear decoder y = z·C + d at every
 * sample. Loss: MSE over all samples and outputs + β·KL(N(μ, σ²) ‖ N(0, I)) (summed over the latent
 * states, averaged over the batch). Test: z_0 = μ, MSE in standardized units.
 */
import {
  type ForecastDataset,
  type ForecastSplit,
  generateCascadedTanks,
  generateDuffing,
  loadActivity,
  loadAirQuality,
  loadEngine,
} from '@sii/datasets';
import { Rng } from '@sii/linalg';
import { Adam, trainStep } from '@sii/train';
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { buildOde, Linear, normalArray } from './nn.js';
import type { ArmResult, BaseExperimentConfig, EpochCallback, ExperimentTask, OdeTrainingConfig } from './types.js';

export type ForecastName = 'tanks' | 'duffing' | 'airquality' | 'activity' | 'engine';
export const FORECAST_DATASETS: readonly ForecastName[] = ['tanks', 'duffing', 'airquality', 'activity', 'engine'];
const FILE_DATASETS: Record<string, string> = {
  airquality: 'AirQualityUCI.csv (UCI data set 360)',
  activity: 'ConfLongDemo_JSI.txt (UCI data set 196)',
  engine: 'a LiU-ICE engine CSV with a header row (e.g. wltp_NF.csv)',
};

export interface ForecastConfig extends BaseExperimentConfig, Omit<OdeTrainingConfig, 'h'> {
  dataset: ForecastName;
  /** File of the UCI / engine data sets (required for them). */
  data: string | null;
  /** Window length in samples (null: the data set's default: tanks/duffing 64, air quality 300, activity 10, engine 400). */
  window: number | null;
  /** Distance between window starts (training and test windows). */
  stride: number;
  /** Use at most this many training windows, evenly spaced (null: all). */
  maxTrainWindows: number | null;
  /** Samples of outputs + inputs the encoder sees (null: min(10, ⌊T/4⌋)). */
  encoderSteps: number | null;
  encoderHidden: number;
  /** Solver step (null: the sampling time dt of the data set). */
  h: number | null;
  /** Weight β of the KL term. */
  klWeight: number;
}

type PresetFields = Omit<ForecastConfig, 'dataset' | 'data' | 'seed' | 'inits' | 'backend' | 'scale'>;

export function forecastPreset(scale: ForecastConfig['scale']): PresetFields {
  const common = { window: null, encoderSteps: null, encoderHidden: 64, activation: 'silu' as const, solver: 'midpoint', h: null, eps: -0.01, siiPreset: 'default' as const, klWeight: 1e-3, lr: 1e-3, clip: 1 };
  if (scale === 'paper') return { ...common, seeds: 3, epochs: 100, stride: 1, maxTrainWindows: null, states: 32, hidden: 128, layers: 3, batch: 64 };
  if (scale === 'laptop') return { ...common, seeds: 3, epochs: 60, stride: 4, maxTrainWindows: 256, states: 32, hidden: 128, layers: 3, batch: 32, lr: 3e-3 };
  return { ...common, window: 16, seeds: 1, epochs: 2, stride: 16, maxTrainWindows: 16, states: 4, hidden: 8, layers: 2, batch: 8, encoderSteps: 4 };
}

/** Load (or simulate) the forecasting split; file data sets need `data`. */
export function loadForecastData(c: ForecastConfig): ForecastSplit {
  const w = c.window ?? undefined;
  const opts = { ...(w !== undefined ? { window: w } : {}), stride: c.stride, seed: c.seed };
  if (c.dataset === 'tanks') return generateCascadedTanks(opts);
  if (c.dataset === 'duffing') return generateDuffing(opts);
  if (!c.data) {
    throw new Error(`sii forecast --dataset ${c.dataset} needs --data <path of ${FILE_DATASETS[c.dataset] ?? 'the data file'}>; the built-in systems tanks and duffing need no file`);
  }
  if (c.dataset === 'airquality') return loadAirQuality({ path: c.data, ...opts });
  if (c.dataset === 'activity') return loadActivity({ path: c.data, ...opts });
  if (c.dataset === 'engine') return loadEngine({ path: c.data, ...opts });
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
    origins[2 * k] = d.origins[2 * i]!;
    origins[2 * k + 1] = d.origins[2 * i + 1]!;
  }
  return { ...d, inputs, targets, origins, shape: { ...d.shape, samples: max } };
}

export function resolveEncoderSteps(c: ForecastConfig, T: number): number {
  const K = c.encoderSteps ?? Math.max(1, Math.min(10, Math.floor(T / 4)));
  if (!Number.isInteger(K) || K < 1 || K > T) throw new RangeError(`--encoder-steps must be an integer in [1, window = ${T}], got ${K}`);
  return K;
}

export class ForecastModel {
  readonly enc1: Linear;
  readonly enc2: Linear;
  readonly dec: Linear;
  readonly field;
  readonly ode;
  readonly initialPoles?: { re: number; im: number }[];
  constructor(
    readonly c: ForecastConfig,
    readonly m: number,
    readonly p: number,
    readonly K: number,
    readonly h: number,
    init: ExperimentTask['init'],
    runSeed: string,
  ) {
    const rng = new Rng(runSeed);
    this.enc1 = new Linear(K * (m + p), c.encoderHidden, rng.fork('encoder1'));
    this.enc2 = new Linear(c.encoderHidden, 2 * c.states, rng.fork('encoder2'));
    this.dec = new Linear(c.states, p, rng.fork('decoder'));
    const built = buildOde(init, { ...c, inputs: m, h }, runSeed);
    this.field = built.field;
    this.ode = built.ode;
    this.initialPoles = built.poles;
  }
  get variables() {
    return [...this.enc1.variables, ...this.enc2.variables, ...this.field.variables, ...this.dec.variables];
  }
  /**
   * u [B, T, m], y [B, T, p] (only the first K samples of y are read), eps [B, n] (null: z_0 = μ)
   * → predictions [B, T, p] and the batch-mean KL divergence.
   */
  forward(u: Tensor3D, y: Tensor3D, eps: Tensor2D | null): { pred: Tensor3D; kl: Scalar } {
    const [B, T] = u.shape;
    const { m, p, K } = this;
    const n = this.c.states;
    const first = tf.reshape(tf.concat([tf.slice(y, [0, 0, 0], [B, K, p]), tf.slice(u, [0, 0, 0], [B, K, m])], 2), [B, K * (m + p)]) as Tensor2D;
    const out = this.enc2.apply(tf.relu(this.enc1.apply(first)) as Tensor2D);
    const mu = tf.slice(out, [0, 0], [B, n]) as Tensor2D;
    const logvar = tf.slice(out, [0, n], [B, n]) as Tensor2D;
    const z0 = eps ? (tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as Tensor2D) : mu;
    // KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²)
    const kl = tf.mean(tf.mul(tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(logvar, 1)), 1), 0.5)) as Scalar;
    const states =
      T > 1
        ? this.ode.rollout(z0, tf.slice(tf.transpose(u, [1, 0, 2]), [0, 0, 0], [T - 1, B, m]) as Tensor3D, { includeInitial: true })
        : (tf.reshape(z0, [1, B, n]) as Tensor3D);
    const pred = tf.transpose(tf.reshape(this.dec.apply(tf.reshape(states, [T * B, n]) as Tensor2D), [T, B, p]), [1, 0, 2]) as Tensor3D;
    return { pred, kl };
  }
  dispose(): void {
    for (const l of [this.enc1, this.enc2, this.dec]) l.dispose();
    this.field.dispose();
  }
}

function windowTensors(d: ForecastDataset, idx: ArrayLike<number>): [Tensor3D, Tensor3D] {
  const { steps: T, inputDim: m, targetDim: p } = d.shape;
  const B = idx.length;
  const u = new Float32Array(B * T * m);
  const y = new Float32Array(B * T * p);
  for (let b = 0; b < B; b++) {
    const i = idx[b]!;
    u.set(d.inputs.subarray(i * T * m, (i + 1) * T * m), b * T * m);
    y.set(d.targets.subarray(i * T * p, (i + 1) * T * p), b * T * p);
  }
  return [tf.tensor3d(u, [B, T, m]), tf.tensor3d(y, [B, T, p])];
}

/** Test MSE with z_0 = μ: over every sample, and over the samples after the encoder's K. */
export function forecastMse(model: ForecastModel, d: ForecastDataset, batch = 256): { all: number; afterEncoder: number } {
  const { samples: N, steps: T, targetDim: p } = d.shape;
  let all = 0;
  let after = 0;
  for (let s = 0; s < N; s += batch) {
    const idx = Array.from({ length: Math.min(batch, N - s) }, (_, k) => s + k);
    const [a, b] = tf.tidy(() => {
      const [u, y] = windowTensors(d, idx);
      const sq = tf.squaredDifference(model.forward(u, y, null).pred, y);
      return [tf.sum(sq), tf.sum(tf.slice(sq, [0, model.K, 0], [-1, -1, -1]))];
    });
    all += a.dataSync()[0]!;
    after += T > model.K ? b.dataSync()[0]! : 0;
    a.dispose();
    b.dispose();
  }
  return { all: all / (N * T * p), afterEncoder: T > model.K ? after / (N * (T - model.K) * p) : Number.NaN };
}

export function runForecastTask(task: ExperimentTask<ForecastConfig>, onEpoch?: EpochCallback, split?: ForecastSplit): ArmResult {
  const t0 = Date.now();
  const c = task.config;
  const data = split ?? loadForecastData(c);
  const train = subsampleWindows(data.train, c.maxTrainWindows);
  const test = data.test;
  const { steps: T, inputDim: m, targetDim: p } = train.shape;
  if (T < 2) throw new RangeError(`--window must be >= 2, got ${T}`);
  const K = resolveEncoderSteps(c, T);
  const h = c.h ?? train.dt;
  const model = new ForecastModel(c, m, p, K, h, task.init, task.runSeed);
  const opt = new Adam({ learningRate: c.lr });
  const rng = new Rng(task.runSeed);
  const orderRng = rng.fork('batches');
  const noiseRng = rng.fork('reparameterization');
  const N = train.shape.samples;
  const result: ArmResult = {
    kind: 'forecast',
    run: task.run,
    runSeed: task.runSeed,
    init: task.init,
    metrics: {},
    curves: { trainLoss: [], testMse: [] },
    diverged: null,
    epochsRun: 0,
    wallMs: 0,
    parameters: model.variables.reduce((s, v) => s + v.size, 0),
    extra: { h, encoderSteps: K, trainWindows: N, testWindows: test.shape.samples, window: T, dt: train.dt, inputNames: train.inputNames, targetNames: train.targetNames },
    ...(model.initialPoles ? { initialPoles: model.initialPoles.map((q) => [q.re, q.im] as [number, number]) } : {}),
  };
  try {
    result.metrics.initialTestMse = forecastMse(model, test).all;
    for (let epoch = 0; epoch < c.epochs && !result.diverged; epoch++) {
      const order = orderRng.permutation(N);
      let sum = 0;
      let count = 0;
      for (let s = 0; s < N; s += c.batch) {
        const idx = order.subarray(s, Math.min(N, s + c.batch));
        const B = idx.length;
        const [u, y] = windowTensors(train, idx);
        const eps = tf.tensor2d(normalArray(noiseRng, B * c.states), [B, c.states]);
        try {
          const { loss, gradNorm, skipped } = trainStep(
            () =>
              tf.tidy(() => {
                const { pred, kl } = model.forward(u, y, eps);
                return tf.add(tf.mean(tf.squaredDifference(pred, y)), tf.mul(kl, c.klWeight)) as Scalar;
              }),
            opt,
            { variables: model.variables, nonFinite: 'skip', ...(c.clip !== null ? { clipNorm: c.clip } : {}) },
          );
          if (skipped) {
            result.diverged = { epoch: epoch + 1, reason: Number.isFinite(loss) ? `gradient norm ${gradNorm}` : `training loss ${loss}` };
            break;
          }
          sum += loss * B;
          count += B;
        } finally {
          tf.dispose([u, y, eps] as Tensor[]);
        }
      }
      const trainLoss = sum / Math.max(1, count);
      const mse = result.diverged ? Number.NaN : forecastMse(model, test).all;
      result.curves.trainLoss!.push(trainLoss);
      result.curves.testMse!.push(mse);
      result.epochsRun = epoch + 1;
      if (!result.diverged && !Number.isFinite(mse)) result.diverged = { epoch: epoch + 1, reason: `test MSE ${mse}` };
      onEpoch?.(epoch + 1, mse, trainLoss);
    }
    if (!result.diverged) {
      const final = forecastMse(model, test);
      result.metrics.testMse = final.all;
      result.metrics.testMseAfterEncoder = final.afterEncoder;
      // Predictions on the first test window, for the figure.
      const [u, y] = windowTensors(test, [0]);
      const pred = tf.tidy(() => model.forward(u, y, null).pred);
      result.extra!.sample = { measured: Array.from(y.dataSync()), predicted: Array.from(pred.dataSync()), steps: T, outputs: p };
      tf.dispose([u, y, pred]);
    } else {
      result.metrics.testMse = Number.NaN;
      result.metrics.testMseAfterEncoder = Number.NaN;
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    result.diverged ??= { epoch: result.epochsRun + 1, reason: `error: ${result.error}` };
    result.metrics.testMse = Number.NaN;
  } finally {
    opt.dispose();
    model.dispose();
  }
  result.wallMs = Date.now() - t0;
  return result;
}
