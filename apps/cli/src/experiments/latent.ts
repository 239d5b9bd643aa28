/**
 * Latent dynamics from pixels, the authors' protocol (their latent_dynamics/, configs/latent_dynamics):
 * a convolutional encoder maps the first 10 frames to a grid of latent states, one latent ODE per
 * cell rolls them forward (one midpoint step of h = 0.1 per frame), a transposed-convolution decoder
 * with a sigmoid draws every predicted frame (latent/model.ts). Loss: squared error summed over the
 * predicted frames, mean over the rest; Adam 1e-4 with LinearLR 1 → 0.1 over the epochs, batch 32,
 * 100 epochs; trained on 60 predicted frames, tested on 240; NMSE = MSE / mean(gt²) and pixel
 * accuracy (|error| <= 0.025) per batch (latent/metrics.ts). The laptop preset scales it down and
 * `latentDeviations` names every value that differs from the paper's.
 */

import type { LatentDataset } from '@sii/datasets';
import { generateLatentDataset } from '@sii/datasets';
import { Adam, fit, LinearLR } from '@sii/train';
import type { Scalar, Tensor5D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type ArmCheckpointing,
  assignVariableValues,
  makeCheckpoint,
  type RngPosition,
  rngPosition,
  setRngPosition,
  variableValues,
} from './checkpoint.js';
import { disposeBatch, frameTensor, type LatentBatch, latentBatches } from './latent/data.js';
import { evaluateLatent } from './latent/metrics.js';
import { ConvLatentModel, latentLoss } from './latent/model.js';
import { type ConvImpl, registerConvGradients } from './layers/index.js';
import type { ArmResult, BaseExperimentConfig, EpochCallback, ExperimentTask, OdeTrainingConfig } from './types.js';

export type LatentSystem = 'mass-spring' | 'pendulum' | 'double-pendulum' | 'molecules';
export const LATENT_SYSTEM_NAMES: readonly LatentSystem[] = ['mass-spring', 'pendulum', 'double-pendulum', 'molecules'];
/** Our name → @sii/datasets' system ('molecules' is the 16-particle Lennard-Jones gas). */
const DATASET_SYSTEM = {
  'mass-spring': 'mass-spring',
  pendulum: 'pendulum',
  'double-pendulum': 'double-pendulum',
  molecules: 'lennard-jones',
} as const;

export interface LatentConfig extends BaseExperimentConfig, OdeTrainingConfig {
  system: LatentSystem;
  /** Name of the protocol: 'authors' (their code's model, loss, optimizer and metrics). */
  protocol: 'authors';
  trainSequences: number;
  testSequences: number;
  /** Frame height = width in pixels (32 in the paper; a multiple of 8, the latent grid is S/8 × S/8). */
  frameSize: number;
  inputFrames: number;
  /** Predicted frames in training (60) and in the per-epoch validation. */
  horizon: number;
  /** Predicted frames at test (240). */
  longHorizon: number;
  /** Dropout in the convolution blocks (authors: 0.2 for molecules, 0 otherwise). */
  dropout: number;
  /** Final factor of the linear learning-rate schedule (torch LinearLR end_factor 0.1, per epoch). */
  lrEnd: number;
  /**
   * 3-D convolution implementation: 'simd' (direct convolution, fused Conv → BatchNorm → SiLU in
   * training, on WebAssembly SIMD; 'im2col' where those kernels do not run), 'im2col' (JS gather +
   * matMul, the tested reference) or 'native' (tfjs Conv3D). The same numbers to float32 rounding.
   */
  convImpl: ConvImpl;
  /**
   * Opt-in deviation (not in the authors' code): a curriculum on the training rollout length, epoch e
   * (0-based) trains on round(horizonStart + (horizon − horizonStart)·min(1, e / rampEpochs)) frames.
   * horizonStart = horizon or rampEpochs = 0: the full horizon throughout (the authors).
   */
  horizonStart: number;
  rampEpochs: number;
  /**
   * Opt-in deviation: weight of an auxiliary term MSE(decode(z0), last conditioning frame). 0: off (the authors).
   */
  reconWeight: number;
}

type PresetFields = Omit<LatentConfig, 'system' | 'seed' | 'inits' | 'backend' | 'scale'>;

/** Training rollout length in epoch `epoch` (0-based) under the curriculum of `c`. */
export function trainHorizon(c: Pick<LatentConfig, 'horizon' | 'horizonStart' | 'rampEpochs'>, epoch: number): number {
  const start = Math.min(c.horizon, Math.max(1, c.horizonStart));
  if (c.rampEpochs <= 0 || start >= c.horizon) return c.horizon;
  return Math.round(start + (c.horizon - start) * Math.min(1, epoch / c.rampEpochs));
}

/** The authors' configuration (configs/latent_dynamics/*.json; data sizes from tf_converter_hdf5.py). */
export function paperLatentPreset(system: LatentSystem = 'mass-spring'): PresetFields {
  return {
    protocol: 'authors',
    seeds: 3,
    epochs: 100,
    trainSequences: 40000,
    testSequences: 20000,
    frameSize: 32,
    inputFrames: 10,
    horizon: 60,
    longHorizon: 240,
    states: 128,
    hidden: 136,
    layers: 3,
    activation: 'silu',
    solver: 'midpoint',
    h: 0.1,
    eps: -0.01,
    // No activation-slope compensation, as the authors' code.
    compensation: 'none',
    dropout: system === 'molecules' ? 0.2 : 0,
    batch: 32,
    lr: 1e-4,
    lrEnd: 0.1,
    clip: null,
    convImpl: 'simd',
    horizonStart: 60,
    rampEpochs: 0,
    reconWeight: 0,
  };
}

export function latentPreset(scale: LatentConfig['scale'], system: LatentSystem = 'mass-spring'): PresetFields {
  const paper = paperLatentPreset(system);
  if (scale === 'paper') return paper;
  if (scale === 'laptop') {
    // Sized for 3 seeds × 2 inits in well under 15 minutes on 2 shared cores: 32 optimizer steps of
    // 8 sequences × 10 predicted 16×16 frames per run.
    return {
      ...paper,
      epochs: 4,
      trainSequences: 64,
      testSequences: 16,
      frameSize: 16,
      horizon: 10,
      longHorizon: 40,
      states: 16,
      hidden: 24,
      batch: 8,
      lr: 1e-3,
      horizonStart: 10,
    };
  }
  return {
    ...paper,
    seeds: 1,
    epochs: 1,
    trainSequences: 4,
    testSequences: 2,
    frameSize: 8,
    inputFrames: 8,
    horizon: 3,
    longHorizon: 6,
    states: 16,
    hidden: 16,
    batch: 2,
    horizonStart: 3,
  };
}

/** Why each laptop value differs from the paper's. */
const REASONS: Record<string, string> = {
  epochs: 'compute budget (2 shared cores)',
  trainSequences: 'compute budget; sequences are simulated per run',
  testSequences: 'compute budget',
  frameSize: 'compute: decoder cost grows with pixels (grid S/8)',
  inputFrames: 'the encoder needs >= 8 frames',
  horizon: 'compute: decoder cost grows with predicted frames (test horizon kept at 4× the training horizon as 240/60)',
  longHorizon: 'compute (4× the training horizon, as 240/60)',
  states: 'compute: channels n and n/2 of every convolution',
  hidden: 'scaled with the latent size (H = n + 8 as 136 = 128 + 8)',
  batch: 'more optimizer steps for the same compute',
  lr: 'a few dozen optimizer steps instead of the paper’s 125 000 (40 000 sequences / 32 × 100 epochs)',
  seeds: 'smoke test',
  dropout: 'set by --dropout',
  convImpl: 'implementation only (same numbers to float32 rounding)',
};

/** Every configuration value that differs from the authors' (paper) value, with the reason. */
export function latentDeviations(c: LatentConfig): { key: string; ours: unknown; paper: unknown; why: string }[] {
  const paper = paperLatentPreset(c.system) as unknown as Record<string, unknown>;
  const ours = c as unknown as Record<string, unknown>;
  const out: { key: string; ours: unknown; paper: unknown; why: string }[] = [];
  for (const key of Object.keys(paper)) {
    if (key === 'seeds' || key === 'convImpl') continue;
    if (JSON.stringify(ours[key]) === JSON.stringify(paper[key])) continue;
    if (key === 'horizonStart' && c.horizonStart >= c.horizon) continue;
    const why =
      key === 'horizonStart' || key === 'rampEpochs'
        ? 'opt-in curriculum (not in the authors’ code)'
        : key === 'reconWeight'
          ? 'opt-in auxiliary loss (not in the authors’ code)'
          : (REASONS[key] ?? 'set on the command line');
    out.push({ key, ours: ours[key], paper: paper[key], why });
  }
  return out;
}

/** Sizes the authors' architecture cannot take, named by flag (checked before any run starts). */
export function checkLatentConfig(c: LatentConfig): void {
  if (!(Number.isInteger(c.frameSize) && c.frameSize >= 8 && c.frameSize % 8 === 0))
    throw new RangeError(`--frame-size must be a multiple of 8 (three halvings to the latent grid), got ${c.frameSize}`);
  if (!(Number.isInteger(c.inputFrames) && c.inputFrames >= 8))
    throw new RangeError(`--input-frames must be >= 8 (three poolings of 2 over time), got ${c.inputFrames}`);
  if (!(Number.isInteger(c.states) && c.states >= 8 && c.states % 8 === 0))
    throw new RangeError(`--states must be a multiple of 8 (GroupNorm(8, n), n/2 channels), got ${c.states}`);
  if (c.longHorizon < c.horizon) throw new RangeError(`--long-horizon (${c.longHorizon}) must be >= --horizon (${c.horizon})`);
}

export interface LatentData {
  train: LatentDataset;
  test: LatentDataset;
}

export function loadLatentData(c: LatentConfig): LatentData {
  if (!(c.system in DATASET_SYSTEM))
    throw new RangeError(`--system must be one of ${LATENT_SYSTEM_NAMES.join(', ')}, got ${JSON.stringify(c.system)}`);
  if (c.longHorizon < c.horizon) throw new RangeError(`--long-horizon (${c.longHorizon}) must be >= --horizon (${c.horizon})`);
  const base = { system: DATASET_SYSTEM[c.system], inputFrames: c.inputFrames, height: c.frameSize, width: c.frameSize };
  return {
    train: generateLatentDataset({ ...base, count: c.trainSequences, targetFrames: c.horizon, seed: `${c.seed}/train` }),
    test: generateLatentDataset({ ...base, count: c.testSequences, targetFrames: c.longHorizon, seed: `${c.seed}/test` }),
  };
}

export function buildLatentModel(c: LatentConfig, init: ExperimentTask['init'], runSeed: string): ConvLatentModel {
  return new ConvLatentModel({ ...c, inputs: 0, convImpl: c.convImpl }, init, runSeed);
}

/** Training loss of one batch: the authors' loss over `steps` frames (+ the opt-in auxiliary term). */
export function latentBatchLoss(model: ConvLatentModel, c: LatentConfig, b: LatentBatch, steps: number): Scalar {
  return tf.tidy(() => {
    const z0 = model.encode(b.inputs, true);
    const pred = model.decode(model.ode.rollout(z0, steps), b.size, true);
    const truth = steps === b.targets.shape[1] ? b.targets : (tf.slice(b.targets, [0, 0, 0, 0, 0], [-1, steps, -1, -1, -1]) as Tensor5D);
    const loss = latentLoss(pred, truth);
    if (c.reconWeight === 0) return loss;
    // Opt-in: decode(z0) ≈ the last conditioning frame.
    const last = tf.slice(b.inputs, [0, c.inputFrames - 1, 0, 0, 0], [-1, 1, -1, -1, -1]) as Tensor5D;
    const rec = model.decode(tf.expandDims(z0, 0), b.size, true);
    return tf.add(loss, tf.mul(c.reconWeight, tf.mean(tf.squaredDifference(rec, last)))) as Scalar;
  });
}

/** Frames of test sequence 0 at `indices` (predicted frame index), as uint8 RGB [k, H, W, 3], base64. */
function stripFrames(
  model: ConvLatentModel,
  c: LatentConfig,
  ds: LatentDataset,
  indices: readonly number[],
): { predicted: string; truth: string } {
  const D = ds.height * ds.width * 3;
  const Hmax = Math.max(...indices) + 1;
  const p = tf.tidy(() => model.predict(frameTensor(ds, [0], 0, c.inputFrames), Hmax, false).dataSync());
  const toBytes = (src: ArrayLike<number>, offset: (k: number) => number) => {
    const out = new Uint8Array(indices.length * D);
    indices.forEach((_, k) => {
      for (let j = 0; j < D; j++) out[k * D + j] = Math.round(255 * Math.min(1, Math.max(0, src[offset(k) + j])));
    });
    return Buffer.from(out).toString('base64');
  };
  return {
    predicted: toBytes(p, (k) => indices[k] * D),
    truth: toBytes(ds.images, (k) => (c.inputFrames + indices[k]) * D),
  };
}

export function stripIndices(longHorizon: number, count = 8): number[] {
  const k = Math.min(count, longHorizon);
  return Array.from({ length: k }, (_, i) => (k === 1 ? 0 : Math.round((i * (longHorizon - 1)) / (k - 1))));
}

export function runLatentTask(
  task: ExperimentTask<LatentConfig>,
  onEpoch?: EpochCallback,
  data?: LatentData,
  checkpointing?: ArmCheckpointing,
): ArmResult {
  const t0 = Date.now();
  const c = task.config;
  registerConvGradients();
  const d = data ?? loadLatentData(c);
  const model = buildLatentModel(c, task.init, task.runSeed);
  const optimizer = new Adam({ learningRate: c.lr });
  const horizons = [c.horizon, c.longHorizon];
  const result: ArmResult = {
    kind: 'latent',
    run: task.run,
    runSeed: task.runSeed,
    init: task.init,
    metrics: {},
    curves: { trainLoss: [], testNmse: [] },
    diverged: null,
    epochsRun: 0,
    wallMs: 0,
    parameters: model.parameterCount,
    extra: { frameSize: d.train.height, grid: model.grid, horizons, protocol: c.protocol, deviations: latentDeviations(c) },
    ...(model.initialPoles ? { initialPoles: model.initialPoles.map((q) => [q.re, q.im] as [number, number]) } : {}),
  };
  const resume = checkpointing?.resume ?? null;
  try {
    if (resume) {
      assignVariableValues(model.buffers, resume.arm.buffers, 'arm.buffers');
      setRngPosition(model.dropoutRng, resume.arm.dropout as RngPosition, 'arm.dropout');
    }
    const fitted = fit<LatentBatch>({
      variables: model.variables,
      optimizer,
      epochs: c.epochs,
      seed: `${task.runSeed}/batches`,
      batches: (epoch, rng) => latentBatches(d.train, c.inputFrames, trainHorizon(c, epoch - 1), c.batch, rng),
      loss: (b, epoch) => latentBatchLoss(model, c, b, trainHorizon(c, epoch - 1)),
      disposeBatch,
      ...(c.clip !== null ? { clipNorm: c.clip } : {}),
      schedule: new LinearLR({ startFactor: 1, endFactor: c.lrEnd, totalIters: c.epochs }),
      validate: () => ({ loss: evaluateLatent(model, d.test, c.inputFrames, c.horizon, c.batch).nmse }),
      divergence: {},
      onEpoch: (info) => {
        onEpoch?.(info.epoch, info.metrics.loss ?? Number.NaN, info.trainLoss);
      },
      ...(resume ? { state: resume.fit } : {}),
      ...(checkpointing
        ? {
            checkpoint: {
              every: 1,
              save: (s) =>
                checkpointing.save(
                  makeCheckpoint(task, s, { buffers: variableValues(model.buffers), dropout: rngPosition(model.dropoutRng) }),
                ),
            },
          }
        : {}),
    });
    result.curves.trainLoss = fitted.trainCurve;
    result.curves.testNmse = fitted.valCurves.loss ?? [];
    result.extra!.initialNmse = fitted.initial.loss;
    result.epochsRun = fitted.epochsRun;
    if (fitted.diverged) result.diverged = fitted.diverged;
    if (!result.diverged) {
      const short = evaluateLatent(model, d.test, c.inputFrames, c.horizon, c.batch);
      const long = evaluateLatent(model, d.test, c.inputFrames, c.longHorizon, c.batch);
      result.metrics = {
        nmse: long.nmse,
        pixelAccuracy: long.pixelAccuracy,
        nmseShort: short.nmse,
        pixelAccuracyShort: short.pixelAccuracy,
      };
      if (task.run === 0) {
        const indices = stripIndices(c.longHorizon);
        result.extra!.strip = { indices, height: d.test.height, width: d.test.width, ...stripFrames(model, c, d.test, indices) };
      }
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    result.diverged ??= { epoch: result.epochsRun + 1, reason: `error: ${result.error}` };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  for (const k of ['nmse', 'pixelAccuracy', 'nmseShort', 'pixelAccuracyShort']) result.metrics[k] ??= Number.NaN;
  result.wallMs = Date.now() - t0;
  return result;
}
