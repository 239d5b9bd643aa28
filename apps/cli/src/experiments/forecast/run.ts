/** One arm of `sii forecast`: data, the authors' model, training on fit(), the authors' test metric. */
import type { ForecastSplit } from '@sii/datasets';
import { Rng } from '@sii/linalg';
import { Adam, ExponentialLR, fit, NAdam } from '@sii/train';
import * as tf from '@tensorflow/tfjs-core';
import { type ArmCheckpointing, makeCheckpoint, type RngPosition, rngPosition, setRngPosition } from '../checkpoint.js';
import type { ArmResult, EpochCallback, ExperimentTask } from '../types.js';
import { type ForecastConfig, presetDeviations, resolveProtocol } from './config.js';
import { disposeBatch, type ForecastBatch, loadForecastData, subsampleWindows, trainingBatches, windowBatch } from './data.js';
import { forecastTestMse } from './evaluate.js';
import { ForecastModel, forecastLoss } from './model.js';

export async function runForecastTask(
  task: ExperimentTask<ForecastConfig>,
  onEpoch?: EpochCallback,
  split?: ForecastSplit,
  checkpointing?: ArmCheckpointing,
): Promise<ArmResult> {
  const t0 = Date.now();
  const c = task.config;
  const data = split ?? (await loadForecastData(c));
  const train = subsampleWindows(data.train, c.maxTrainWindows);
  const test = subsampleWindows(data.test, c.maxTestWindows);
  const { steps: T, inputDim: m, targetDim: p } = train.shape;
  if (train.shape.samples === 0 || test.shape.samples === 0) {
    throw new RangeError(
      `${c.dataset}: ${train.shape.samples} training / ${test.shape.samples} test windows of ${T} steps; use a shorter --window or more data`,
    );
  }
  const h = c.h ?? train.dt;
  const proto = resolveProtocol(c);
  const model = new ForecastModel(
    {
      inputs: m,
      outputs: p,
      states: c.states,
      hidden: c.hidden,
      layers: c.layers,
      activation: c.activation,
      solver: c.solver,
      h,
      eps: c.eps,
      compensation: c.compensation,
    },
    task.init,
    task.runSeed,
  );
  const optimizer = c.optimizer === 'adam' ? new Adam({ learningRate: c.lr }) : new NAdam({ learningRate: c.lr });
  const noiseRng = new Rng(task.runSeed).fork('reparameterization');
  const evaluate = (epoch: number) => forecastTestMse(model, test, c.evalInitialState, new Rng(task.runSeed).fork(`prior/${epoch}`));
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
    parameters: model.parameterCount,
    extra: {
      protocol: presetDeviations(c).length === 0 ? 'authors' : 'authors, with the deviations listed',
      deviations: presetDeviations(c),
      h,
      lrDecay: proto.lrDecay,
      trainWindows: train.shape.samples,
      testWindows: test.shape.samples,
      window: T,
      dt: train.dt,
      inputNames: train.inputNames,
      targetNames: train.targetNames,
    },
    ...(model.initialPoles ? { initialPoles: model.initialPoles.map((q) => [q.re, q.im] as [number, number]) } : {}),
  };
  const resume = checkpointing?.resume ?? null;
  try {
    if (resume) setRngPosition(noiseRng, resume.arm.noise as RngPosition, 'arm.noise');
    // biome-ignore lint/suspicious/noFocusedTests: fit() is @sii/train's training loop, not a focused test
    const fitted = fit<ForecastBatch>({
      variables: model.variables,
      optimizer,
      epochs: c.epochs,
      seed: task.runSeed,
      batches: (_epoch, rng) => trainingBatches(train, c.batch, c.states, rng, noiseRng),
      loss: (b) => forecastLoss(model, b.u, b.y, b.eps, c.klWeight),
      disposeBatch,
      ...(c.clip !== null ? { clipNorm: c.clip } : {}),
      schedule: new ExponentialLR({ gamma: proto.lrDecay }),
      validate: (epoch) => ({ testMse: evaluate(epoch) }),
      monitor: { metric: 'testMse' },
      onEpoch: (info) => onEpoch?.(info.epoch, info.metrics.testMse ?? Number.NaN, info.trainLoss),
      ...(resume ? { state: resume.fit } : {}),
      ...(checkpointing
        ? { checkpoint: { every: 1, save: (s) => checkpointing.save(makeCheckpoint(task, s, { noise: rngPosition(noiseRng) })) } }
        : {}),
    });
    result.metrics.initialTestMse = fitted.initial.testMse ?? Number.NaN;
    result.curves.trainLoss = fitted.trainCurve;
    result.curves.testMse = fitted.valCurves.testMse ?? [];
    result.epochsRun = fitted.epochsRun;
    if (fitted.diverged) result.diverged = fitted.diverged;
    const curve = result.curves.testMse;
    const last = curve.at(-1);
    if (!result.diverged && last !== undefined && Number.isFinite(last)) {
      result.metrics.testMse = last;
      result.metrics.bestTestMse = Math.min(...curve);
      // The first test window, z0 from the prior as in the metric, for the figure.
      const b = windowBatch(
        test,
        [0],
        new Float32Array(c.states).map(() => new Rng(task.runSeed).fork('figure').normal()),
        c.states,
      );
      const pred = tf.tidy(() => model.forward(b.u, b.eps, c.evalInitialState === 'prior' ? 'prior' : 'posterior-mean').pred);
      result.extra!.sample = { measured: Array.from(b.y.dataSync()), predicted: Array.from(pred.dataSync()), steps: T, outputs: p };
      tf.dispose(pred);
      disposeBatch(b);
    } else {
      result.diverged ??= { epoch: result.epochsRun, reason: `test MSE ${last}` };
      result.metrics.testMse = Number.NaN;
      result.metrics.bestTestMse = Number.NaN;
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    result.diverged ??= { epoch: result.epochsRun + 1, reason: `error: ${result.error}` };
    result.metrics.testMse = Number.NaN;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  result.wallMs = Date.now() - t0;
  return result;
}
