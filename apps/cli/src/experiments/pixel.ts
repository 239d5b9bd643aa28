/**
 * Pixel-level classification (METHOD.md §7): encoder Linear(F → n) → input-driven neural ODE (one solver
 * step of size h per time step, u = encoded pixel(s), x_0 = 0) → decoder Linear(n → 64), ReLU,
 * Linear(64 → 10) at every step. Loss Σ_s w_s·CE(dec(x_s), y), w = linspace(0.1, 1, T)^4 (not
 * normalised, batch-mean CE); accuracy from the last step. Adam with the learning rate scaled
 * linearly 1 → 0.1 over the epochs (torch LinearLR, stepped per epoch).
 */
import { augmentImages, type Batch, batches, type CropFlipSpec, cifarCropFlip, pixelTask, type SequenceData } from '@sii/datasets';
import { Rng } from '@sii/linalg';
import { Adam, clipByGlobalNorm, fit, LinearLR, type Optimizer } from '@sii/train';
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { type ArmCheckpointing, decodeCurves, encodeCurves, makeCheckpoint } from './checkpoint.js';
import { buildOde, Linear, oneHot, stepWeights, weightedCrossEntropy } from './nn.js';
import { decodedCrossEntropy, decoderChunkSteps, linearRows } from './pixel_chunked.js';
import type { ArmResult, BaseExperimentConfig, EpochCallback, ExperimentTask, OdeTrainingConfig } from './types.js';

export type PixelDataset = 'smnist' | 'psmnist' | 'fashion' | 'scifar';
export const PIXEL_DATASETS: readonly PixelDataset[] = ['smnist', 'psmnist', 'fashion', 'scifar'];

export interface PixelConfig extends BaseExperimentConfig, OdeTrainingConfig {
  dataset: PixelDataset;
  /** Folder of the image files (Fashion-MNIST default /usr/share/datasets/fashion-mnist; CIFAR-10 required). */
  data: string | null;
  /** Consecutive pixels (of the possibly permuted sequence) fed per ODE step: 1 = the paper's view. */
  pixelsPerStep: number;
  /** Training / test subset sizes (class-balanced, seeded by the base seed); null = the full split. */
  trainSize: number | null;
  testSize: number | null;
  decoderHidden: number;
  /** Final learning-rate factor of the linear schedule (0.1). */
  lrEnd: number;
  /**
   * Split each batch into chunks of at most this many examples and accumulate their gradients
   * before the (single) optimizer step: the same update as the full batch, with the autodiff tape
   * of one chunk in memory (WASM memory is limited to 4 GB). null: no splitting.
   */
  microBatch: number | null;
  /**
   * Recomputation in the fast rollout's backward pass (`NeuralODE.checkpointEvery`): keep the state at
   * every k-th step and recompute one segment's activations at a time; 'auto' recomputes with
   * k = ⌈√T⌉ when the full tape would exceed 1 GiB of kernel memory; null keeps the full tape.
   * Memory against time only: the same numbers for every setting.
   */
  checkpointEvery: number | 'auto' | null;
  /**
   * sCIFAR-10 training augmentation as the paper's code: random crop 32 with padding 4, then a random
   * horizontal flip (p 0.5), drawn per image from the run seed and the epoch; test data untouched.
   */
  augment: boolean;
  /**
   * psMNIST pixel permutation: 'run' draws it from the run seed (one per run, shared by train and
   * test, as the paper's code); 'base' draws one from the base seed for every run.
   */
  permutationSeed: 'run' | 'base';
}

type PresetFields = Omit<PixelConfig, 'dataset' | 'data' | 'seed' | 'inits' | 'backend' | 'scale'>;

/** Presets; `pixelsPerStep` is per dataset family (MNIST 28 px = one row, CIFAR 32 px = one row). */
export function pixelPreset(scale: PixelConfig['scale'], dataset: PixelDataset): PresetFields {
  const row = dataset === 'scifar' ? 32 : 28;
  const field = {
    activation: 'elu' as const,
    solver: 'midpoint',
    h: 0.1,
    eps: -0.01,
    siiPreset: 'default' as const,
    decoderHidden: 64,
    lrEnd: 0.1,
    clip: null,
    augment: dataset === 'scifar',
    permutationSeed: 'run' as const,
    checkpointEvery: 'auto' as const,
  };
  if (scale === 'paper') {
    return {
      ...field,
      microBatch: 64,
      seeds: 3,
      epochs: 100,
      pixelsPerStep: 1,
      trainSize: null,
      testSize: null,
      states: 128,
      hidden: 256,
      layers: 3,
      batch: 512,
      lr: 1e-3,
    };
  }
  if (scale === 'laptop') {
    return {
      ...field,
      microBatch: null,
      seeds: 3,
      epochs: 40,
      pixelsPerStep: row,
      trainSize: 2000,
      testSize: 1000,
      states: 64,
      hidden: 128,
      layers: 3,
      batch: 64,
      lr: 1e-3,
    };
  }
  return {
    ...field,
    microBatch: null,
    seeds: 1,
    epochs: 2,
    pixelsPerStep: row,
    trainSize: 40,
    testSize: 20,
    states: 8,
    hidden: 16,
    layers: 2,
    batch: 20,
    lr: 1e-3,
  };
}

export interface PixelData {
  train: SequenceData;
  test: SequenceData;
  /** Steps T and features per step F after grouping pixels. */
  steps: number;
  features: number;
  /** The psMNIST permutation (null for the other data sets). */
  permutation: Int32Array | null;
  /** Training augmentation (sCIFAR-10 with `augment`), else null. */
  augment: CropFlipSpec | null;
}

/** Group k consecutive time steps into one: [N, T, F] → [N, T/k, k·F] (a reshape of row-major data). */
export function groupSteps(d: SequenceData, k: number): SequenceData {
  const [N, T, F] = d.shape;
  if (!Number.isInteger(k) || k < 1 || T % k !== 0) {
    throw new RangeError(`--pixels-per-step must be an integer dividing the sequence length ${T}, got ${k}`);
  }
  return { ...d, shape: [N, T / k, F * k] };
}

/**
 * The data of one run: subsets from the base seed (shared by every run), the psMNIST permutation from
 * the run seed (or the base seed with permutationSeed 'base'). Run folders written before these
 * options existed lack them and resume as they ran (fixed permutation, no augmentation).
 */
export function loadPixelData(c: PixelConfig, runSeed: string): PixelData {
  const dataset = c.dataset === 'scifar' ? 'cifar10' : c.dataset === 'fashion' ? 'fashion-mnist' : 'mnist';
  if (dataset === 'cifar10' && !c.data) {
    throw new Error(
      'sii pixel --dataset scifar needs --data <folder with the CIFAR-10 batches: the binary version data_batch_1.bin … test_batch.bin, or the python version data_batch_1 … test_batch (cifar-10-batches-py, as torchvision downloads it)>',
    );
  }
  const augment = c.augment ?? false;
  if (augment && c.dataset !== 'scifar') throw new RangeError(`--augment on applies to --dataset scifar only, got --dataset ${c.dataset}`);
  const task = pixelTask({
    dataset,
    view: c.dataset === 'psmnist' ? 'permuted' : 'sequential',
    ...(c.data ? { dir: c.data } : {}),
    seed: c.seed,
    permutationSeed: (c.permutationSeed ?? 'base') === 'run' ? runSeed : c.seed,
    ...(c.trainSize !== null ? { trainSize: c.trainSize } : {}),
    ...(c.testSize !== null ? { testSize: c.testSize } : {}),
    balanced: true,
  });
  const train = groupSteps(task.train, c.pixelsPerStep);
  const test = groupSteps(task.test, c.pixelsPerStep);
  return {
    train,
    test,
    steps: train.shape[1],
    features: train.shape[2],
    permutation: task.permutation,
    augment: augment ? cifarCropFlip(task.normalization) : null,
  };
}

/**
 * The training batches of one epoch: the seeded shuffle of `batches`, each image then augmented when
 * the data say so (draws from Rng(runSeed).fork('augment').fork(epoch), in batch order), so both
 * arms of a run see the same images.
 */
export function* pixelTrainBatches(d: PixelData, batchSize: number, runSeed: string, epoch: number): Generator<Batch> {
  const rng = d.augment ? new Rng(runSeed).fork('augment').fork(epoch) : null;
  for (const b of batches(d.train, { batchSize, seed: runSeed, epoch })) {
    yield rng && d.augment ? { ...b, x: augmentImages(b.x, b.y.length, d.augment, rng).x } : b;
  }
}

/** The model of one arm: encoder, ODE, decoder. */
export class PixelModel {
  readonly encoder: Linear;
  readonly dec1: Linear;
  readonly dec2: Linear;
  readonly field;
  readonly ode;
  readonly initialPoles?: { re: number; im: number }[];
  /**
   * Time steps per chunk of the decoder and loss in `loss` (memory only: the same loss and state
   * gradients, weight gradients to float32 rounding); null: ⌈65536 / batch⌉.
   */
  decoderChunk: number | null = null;
  constructor(
    readonly c: PixelConfig,
    features: number,
    readonly classes: number,
    init: ExperimentTask['init'],
    runSeed: string,
  ) {
    // Encoder and decoder: same streams (hence same weights) in both arms.
    const rng = new Rng(runSeed);
    this.encoder = new Linear(features, c.states, rng.fork('encoder'));
    this.dec1 = new Linear(c.states, c.decoderHidden, rng.fork('decoder1'));
    this.dec2 = new Linear(c.decoderHidden, classes, rng.fork('decoder2'));
    const built = buildOde(init, { ...c, inputs: c.states }, runSeed);
    this.field = built.field;
    this.ode = built.ode;
    this.ode.checkpointEvery = c.checkpointEvery;
    this.initialPoles = built.poles;
  }
  get variables() {
    return [...this.encoder.variables, ...this.field.variables, ...this.dec1.variables, ...this.dec2.variables];
  }
  /** Encoded inputs [T, B, n] of x [B, T, F]: x transposed first (F values per row, not n), then the encoder. */
  encode(x: Tensor3D): Tensor3D {
    const [B, T, F] = x.shape;
    const rows = tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, F]) as Tensor2D;
    return linearRows(rows, this.encoder, [T, B, this.c.states]) as Tensor3D;
  }
  /** States at every step: x [B, T, F] → [T, B, n]. */
  states(x: Tensor3D): Tensor3D {
    return this.ode.rollout(tf.zeros([x.shape[0], this.c.states]) as Tensor2D, this.encode(x));
  }
  /** Logits at every step: x [B, T, F] → [T, B, classes]. */
  logits(x: Tensor3D): Tensor3D {
    const [B, T] = x.shape;
    const n = this.c.states;
    const states = this.states(x); // [T, B, n]
    const hidden = tf.relu(this.dec1.apply(tf.reshape(states, [T * B, n]) as Tensor2D)) as Tensor2D;
    return tf.reshape(this.dec2.apply(hidden), [T, B, -1]) as Tensor3D;
  }
  /** Σ_s w_s·CE of the logits at every step, the decoder and loss run over chunks of time steps (see pixel_chunked.ts). */
  loss(x: Tensor3D, onehot: Tensor2D, w: Tensor): Scalar {
    return decodedCrossEntropy(this.states(x), onehot, w, this.dec1, this.dec2, decoderChunkSteps(this.decoderChunk, x.shape[0]));
  }
  dispose(): void {
    for (const l of [this.encoder, this.dec1, this.dec2]) l.dispose();
    this.field.dispose();
  }
}

/**
 * Σ_s w_s·mean_b CE at every step for integer labels [B] and step weights [T]: the decoder and the
 * cross-entropy over chunks of time steps with recomputation (pixel_chunked.ts), so that a paper-scale
 * batch never holds every step's logits. The one-hot targets and weights live in the caller's scope
 * (the gradient's, or a tidy).
 */
export function pixelLoss(model: PixelModel, x: Tensor3D, labels: Int32Array, w: Float32Array): Scalar {
  return model.loss(x, oneHot(labels, model.classes), tf.tensor1d(w));
}

/** The same loss from the full logits with nn.ts's hand-written gradient: the tested reference. */
export function pixelLossReference(model: PixelModel, x: Tensor3D, y: Tensor2D, w: Tensor): Scalar {
  return weightedCrossEntropy(model.logits(x), y, w);
}

/** Accuracy of the last step's prediction over a data set (batches of `batch`). */
export function pixelAccuracy(model: PixelModel, data: SequenceData, batch = 500): number {
  let correct = 0;
  for (const b of batches(data, { batchSize: batch, shuffle: false })) {
    const pred = tf.tidy(() => {
      const z = model.logits(tf.tensor3d(b.x, b.shape));
      const last = tf.reshape(tf.slice(z, [z.shape[0] - 1, 0, 0], [1, -1, -1]), [z.shape[1], z.shape[2]]);
      return tf.argMax(last, 1);
    });
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < b.y.length; i++) if (p[i] === b.y[i]) correct++;
  }
  return correct / data.shape[0];
}

/**
 * One optimizer step on a batch, accumulating the gradients of chunks of at most `micro` examples
 * (each chunk's batch-mean loss weighted by its share of the batch). Returns the batch loss.
 */
export function accumulatedStep(
  model: PixelModel,
  opt: Optimizer,
  x: Float32Array,
  labels: Int32Array,
  shape: [number, number, number],
  w: Float32Array,
  micro: number,
  clip: number | null,
): number {
  const [B, T, F] = shape;
  const vars = model.variables;
  let acc: Tensor[] | null = null;
  let loss = 0;
  for (let s = 0; s < B; s += micro) {
    const b = Math.min(micro, B - s);
    const xc = tf.tensor3d(x.subarray(s * T * F, (s + b) * T * F), [b, T, F]);
    const { value, grads } = tf.variableGrads(() => tf.mul(pixelLoss(model, xc, labels.subarray(s, s + b), w), b / B) as Scalar, vars);
    xc.dispose();
    loss += value.dataSync()[0];
    value.dispose();
    const list = vars.map((v) => grads[v.name]);
    if (acc === null) acc = list;
    else {
      const prev: Tensor[] = acc;
      acc = prev.map((a, i) => tf.add(a, list[i]));
      tf.dispose([...prev, ...list]);
    }
  }
  let final = acc!;
  if (clip !== null) {
    const clipped = clipByGlobalNorm(final, clip);
    tf.dispose([...final, clipped.norm]);
    final = clipped.grads;
  }
  opt.step(vars, final);
  tf.dispose(final);
  return loss;
}

export function runPixelTask(
  task: ExperimentTask<PixelConfig>,
  onEpoch?: EpochCallback,
  data?: PixelData,
  checkpointing?: ArmCheckpointing,
): ArmResult {
  const t0 = Date.now();
  const c = task.config;
  const d = data ?? loadPixelData(c, task.runSeed);
  const model = new PixelModel(c, d.features, d.train.classes, task.init, task.runSeed);
  const opt = new Adam({ learningRate: c.lr });
  const w = stepWeights(d.steps);
  const result: ArmResult = {
    kind: 'pixel',
    run: task.run,
    runSeed: task.runSeed,
    init: task.init,
    metrics: {},
    curves: { trainLoss: [], testAccuracy: [], lr: [] },
    diverged: null,
    epochsRun: 0,
    wallMs: 0,
    parameters: model.variables.reduce((s, v) => s + v.size, 0),
    ...(model.initialPoles ? { initialPoles: model.initialPoles.map((p) => [p.re, p.im] as [number, number]) } : {}),
  };
  const resume = checkpointing?.resume ?? null;
  if (resume) {
    result.curves = decodeCurves(resume.arm.curves);
    result.epochsRun = resume.epoch;
  }
  try {
    const micro = c.microBatch;
    const accumulate = (n: number) => micro !== null && n > micro;
    const fitted = fit({
      variables: model.variables,
      optimizer: opt,
      epochs: c.epochs,
      seed: task.runSeed,
      // the data package's seeded shuffle of epoch e − 1 (0-based there), sCIFAR images augmented;
      // tensors unless accumulated in chunks
      batches: function* (epoch) {
        for (const b of pixelTrainBatches(d, c.batch, task.runSeed, epoch - 1)) {
          yield accumulate(b.y.length) ? { b } : { b, x: tf.tensor3d(b.x, b.shape) };
        }
      },
      loss: ({ b, x }) => pixelLoss(model, x!, b.y, w),
      step: ({ b }) => (accumulate(b.y.length) ? accumulatedStep(model, opt, b.x, b.y, b.shape, w, micro!, c.clip) : undefined),
      disposeBatch: ({ x }) => x?.dispose(),
      weight: ({ b }) => b.y.length,
      ...(c.clip !== null ? { clipNorm: c.clip } : {}),
      schedule: new LinearLR({ startFactor: 1, endFactor: c.lrEnd, totalIters: Math.max(1, c.epochs) }),
      validate: () => ({ accuracy: pixelAccuracy(model, d.test) }),
      monitor: { metric: 'accuracy', mode: 'max' },
      divergence: {},
      onEpoch: ({ epoch, trainLoss, metrics, learningRate }) => {
        result.curves.trainLoss.push(trainLoss);
        result.curves.testAccuracy.push(metrics.accuracy);
        result.curves.lr.push(learningRate);
        result.epochsRun = epoch;
        onEpoch?.(epoch, metrics.accuracy, trainLoss);
      },
      ...(resume ? { state: resume.fit } : {}),
      ...(checkpointing
        ? { checkpoint: { every: 1, save: (s) => checkpointing.save(makeCheckpoint(task, s, { curves: encodeCurves(result.curves) })) } }
        : {}),
    });
    result.metrics.initialTestAccuracy = fitted.initial.accuracy;
    result.diverged = fitted.diverged ?? null;
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    result.diverged ??= { epoch: result.epochsRun + 1, reason: `error: ${result.error}` };
  } finally {
    opt.dispose();
    model.dispose();
  }
  const accs = result.curves.testAccuracy;
  result.metrics.testAccuracy = accs.length ? accs[accs.length - 1] : Number.NaN;
  const finiteAccs = accs.filter(Number.isFinite);
  result.metrics.bestTestAccuracy = finiteAccs.length ? Math.max(...finiteAccs) : Number.NaN;
  const losses = result.curves.trainLoss;
  result.metrics.trainLoss = losses.length ? losses[losses.length - 1] : Number.NaN;
  result.wallMs = Date.now() - t0;
  return result;
}
