/**
 * fit(): the one training loop. An epoch is one pass over the batches the caller yields for it (drawn
 * with the run's seeded generator), each batch one {@link trainStep}; the epoch's training loss is the
 * mean of its batch losses; validation runs before training (epoch 0) and after every epoch. Optional:
 * a learning-rate schedule stepped once per epoch, divergence detection, early stopping, progress
 * callbacks, checkpoints, and a JSON-serialisable state from which a run resumes with the same numbers.
 * A batch whose loss or gradient norm is NaN or infinite applies no update (trainStep's nonFinite
 * 'skip'); with `divergence` it ends the run as diverged, naming the batch.
 *
 * A loss given as `rollout` (the mean squared error of a neural ODE's rollout) lets the step run
 * whole in @sii/neural-ode's SIMD module where it applies (RolloutStep, engine 'auto'); the
 * variables and the optimizer are brought up to date before every callback, every checkpoint and at
 * the end, so that what a caller observes is what the tfjs path would show.
 */
import type { NeuralODE } from '@sii/neural-ode';
import type { Scalar, Variable } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@sii/linalg';
import type { OptimizerState, StatefulOptimizer } from './optimizers.js';
import type { LrSchedule } from './schedules.js';
import { type RolloutBatch, RolloutStep, STEP_ENGINES, type StepEngine } from './rollout_step.js';
import { checkInt, checkPositive, show } from './show.js';
import { trainStep } from './step.js';

export interface Divergence {
  epoch: number;
  reason: string;
}

export interface FitOptions<B> {
  /** The variables to train (their values are part of the state). */
  variables: readonly Variable[];
  /** Adam, NAdam, SGD, or any optimizer with getState/setState. */
  optimizer: StatefulOptimizer;
  /** Total number of epochs (a resumed run continues up to this epoch). */
  epochs: number;
  /**
   * The batches of epoch `epoch` (1-based), drawn with `rng`: the run's generator for batch orders
   * (`new Rng(seed).fork('batches')`), one stream across epochs. Consumed lazily, one batch per step.
   */
  batches: (epoch: number, rng: Rng) => Iterable<B>;
  /** The loss of one batch (called inside the gradient tape). Give this or `rollout`. */
  loss?: (batch: B, epoch: number) => Scalar;
  /**
   * The loss as the mean squared error of `ode`'s rollout from a batch's x_0 with its inputs against
   * its target (on every state, output 'all', default, or the final one): instead of `loss`. Its
   * steps run on `stepEngine`.
   */
  rollout?: { ode: NeuralODE; output?: 'all' | 'final'; batch: (batch: B) => RolloutBatch };
  /**
   * What takes the steps of a `rollout` loss: 'auto' (default) the whole step in the SIMD module
   * where it applies (see RolloutStep), else the tfjs path; 'simd' the module (an error where it
   * cannot); 'tfjs' the tfjs path, the reference.
   */
  stepEngine?: StepEngine;
  /**
   * A batch's own step (e.g. gradient accumulation over chunks): takes the optimizer step itself and
   * returns the batch loss, or undefined to take the standard step (trainStep of `loss`, `clipNorm`).
   */
  step?: (batch: B, epoch: number) => number | undefined;
  /** Weight of a batch in the epoch's training loss (default 1: the mean of the batch losses). */
  weight?: (batch: B) => number;
  /** Release a batch's tensors after its step. */
  disposeBatch?: (batch: B) => void;
  /** Clip the global gradient norm to this value (torch clip_grad_norm_). */
  clipNorm?: number;
  /** Learning rate of epoch e = the optimizer's learning rate at the start × schedule.factor(e − 1). */
  schedule?: LrSchedule;
  /** Metrics after epoch `epoch`; epoch 0 is before training. */
  validate?: (epoch: number) => Record<string, number>;
  /**
   * The value that defines the best epoch, early stopping and (mode 'min') the divergence limit:
   * a metric of `validate` (default 'loss'), or 'train' (the epoch's training loss; the default
   * without `validate`). Mode 'min' (default) or 'max'.
   */
  monitor?: { metric: string; mode?: 'min' | 'max' };
  /** Stop when the monitored value has not improved by more than minDelta (default 0) for `patience` epochs. */
  earlyStop?: { patience: number; minDelta?: number };
  /**
   * Stop with a reason when a batch loss or the monitored value is not finite or (mode 'min')
   * exceeds factor × reference, the reference being the monitored value at epoch 0 (the first batch
   * loss without `validate`), floored at 1e-12. Default factor: Infinity (only non-finite values stop).
   */
  divergence?: { factor?: number };
  /** Seed of the batch-order generator. */
  seed: number | string;
  /** After every epoch; return 'stop' to end the run there. */
  onEpoch?: (info: EpochInfo) => void | 'stop';
  onBatch?: (info: BatchInfo) => void;
  /** Save the state after every `every` epochs. */
  checkpoint?: { every: number; save: (state: FitState) => void };
  /** Resume from this state (written by an earlier run with the same options). */
  state?: FitState;
}

export interface BatchInfo {
  epoch: number;
  /** 1-based index of the batch in its epoch. */
  batch: number;
  loss: number;
  /** Global gradient norm before clipping (NaN for a batch taken by options.step). */
  gradNorm: number;
}

export interface EpochInfo {
  epoch: number;
  /** Mean of the epoch's batch losses. */
  trainLoss: number;
  /** The validation metrics after the epoch (NaN when the epoch diverged in training). */
  metrics: Record<string, number>;
  learningRate: number;
  batches: number;
  best: { epoch: number; value: number };
  diverged?: Divergence;
}

/** A number as JSON keeps it (NaN and ±Infinity as strings). */
export type StateNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** Everything a run needs to continue, as plain JSON-serialisable data. */
export interface FitState {
  format: 'sii-fit-state';
  version: 1;
  /** Epochs completed. */
  epoch: number;
  /** Base learning rate (before the schedule). */
  learningRate: number;
  optimizer: OptimizerState;
  /** State words of the batch-order generator. */
  rng: number[];
  variables: { shape: number[]; values: number[] }[];
  initial: Record<string, StateNumber>;
  trainCurve: StateNumber[];
  valCurves: Record<string, StateNumber[]>;
  best: { epoch: number; value: StateNumber };
  /** Epochs since the last improvement. */
  badEpochs: number;
  /** Divergence reference (null until known). */
  reference: StateNumber | null;
  diverged?: Divergence;
  stopped?: Divergence;
}

export interface FitResult {
  /** Epochs completed (including those of a resumed state). */
  epochsRun: number;
  /** Validation metrics at epoch 0. */
  initial: Record<string, number>;
  /** Mean training loss of epochs 1..epochsRun. */
  trainCurve: number[];
  /** Each validation metric after epochs 1..epochsRun. */
  valCurves: Record<string, number[]>;
  /** Best epoch of the monitored value (epoch −1 and ±Infinity when none improved). */
  best: { epoch: number; value: number };
  diverged?: Divergence;
  /** Why the run ended early without diverging (early stop, callback). */
  stopped?: Divergence;
  state: FitState;
}

const enc = (x: number): StateNumber => (Number.isFinite(x) ? x : (String(x) as StateNumber));
const dec = (x: StateNumber): number => (typeof x === 'number' ? x : Number(x));
const encRec = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, enc(v)]));
const decRec = (r: Record<string, StateNumber>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, dec(v)]));

function checkOptions<B>(o: FitOptions<B>): void {
  const w = 'fit';
  if (o == null || typeof o !== 'object') throw new TypeError(`${w}: options must be an object, got ${show(o)}`);
  if (!Array.isArray(o.variables) || o.variables.length === 0 || !o.variables.every((v) => v instanceof tf.Variable)) {
    throw new TypeError(`${w}: options.variables must be a non-empty array of tf.Variable, got ${show(o.variables)}`);
  }
  const opt = o.optimizer as Partial<StatefulOptimizer> | undefined;
  if (opt == null || typeof opt.step !== 'function' || typeof opt.getState !== 'function' || typeof opt.setState !== 'function') {
    throw new TypeError(
      `${w}: options.optimizer must be an optimizer with step, getState and setState (Adam, NAdam, SGD), got ${show(opt)}`,
    );
  }
  checkInt(w, 'options.epochs', o.epochs, 0);
  if (typeof o.batches !== 'function') throw new TypeError(`${w}: options.batches must be a function, got ${show(o.batches)}`);
  if ((o.loss === undefined) === (o.rollout === undefined)) {
    throw new TypeError(`${w}: give exactly one of options.loss and options.rollout, got ${o.loss === undefined ? 'neither' : 'both'}`);
  }
  if (o.rollout !== undefined && (o.rollout?.ode == null || typeof o.rollout.batch !== 'function')) {
    throw new TypeError(`${w}: options.rollout must be { ode, output?, batch: (batch) => { x0, inputs, target } }, got ${show(o.rollout)}`);
  }
  if (o.stepEngine !== undefined && !STEP_ENGINES.includes(o.stepEngine)) {
    throw new RangeError(`${w}: options.stepEngine must be one of ${STEP_ENGINES.join(', ')}, got ${show(o.stepEngine)}`);
  }
  if (o.stepEngine !== undefined && o.rollout === undefined) {
    throw new RangeError(`${w}: options.stepEngine ${show(o.stepEngine)} needs options.rollout (a loss function always runs on tfjs)`);
  }
  for (const k of ['loss', 'step', 'weight', 'disposeBatch', 'validate', 'onEpoch', 'onBatch'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new TypeError(`${w}: options.${k} must be a function, got ${show(o[k])}`);
  }
  if (typeof o.seed !== 'string' && !Number.isSafeInteger(o.seed)) {
    throw new RangeError(`${w}: options.seed must be a safe integer or a string, got ${show(o.seed)}`);
  }
  if (o.clipNorm !== undefined) checkPositive(w, 'options.clipNorm', o.clipNorm);
  if (o.monitor !== undefined) {
    if (typeof o.monitor.metric !== 'string')
      throw new TypeError(`${w}: options.monitor.metric must be a string, got ${show(o.monitor.metric)}`);
    if (o.monitor.mode !== undefined && o.monitor.mode !== 'min' && o.monitor.mode !== 'max') {
      throw new RangeError(`${w}: options.monitor.mode must be 'min' or 'max', got ${show(o.monitor.mode)}`);
    }
    if (o.validate === undefined && o.monitor.metric !== 'train') {
      throw new RangeError(`${w}: options.monitor.metric ${show(o.monitor.metric)} needs options.validate (without it only 'train')`);
    }
  }
  if (o.earlyStop !== undefined) {
    checkInt(w, 'options.earlyStop.patience', o.earlyStop.patience, 1);
    if (o.earlyStop.minDelta !== undefined) checkPositive(w, 'options.earlyStop.minDelta', o.earlyStop.minDelta, true);
  }
  if (o.divergence?.factor !== undefined && !(o.divergence.factor > 0)) {
    throw new RangeError(`${w}: options.divergence.factor must be > 0, got ${show(o.divergence.factor)}`);
  }
  if (o.checkpoint !== undefined) {
    checkInt(w, 'options.checkpoint.every', o.checkpoint.every, 1);
    if (typeof o.checkpoint.save !== 'function')
      throw new TypeError(`${w}: options.checkpoint.save must be a function, got ${show(o.checkpoint.save)}`);
  }
  if (o.state !== undefined && (o.state?.format !== 'sii-fit-state' || o.state.version !== 1)) {
    throw new TypeError(`${w}: options.state must be a FitState (format 'sii-fit-state', version 1), got ${show(o.state)}`);
  }
}

/** The loop as a generator that yields each epoch's onEpoch return value and receives it resolved. */
function* loop<B>(o: FitOptions<B>, isAsync: boolean): Generator<unknown, FitResult, unknown> {
  checkOptions(o);
  // A rollout loss: its steps on the SIMD module where it applies (RolloutStep), which may hold
  // steps the variables and the optimizer do not have yet until `sync`.
  const fused = o.rollout
    ? new RolloutStep({
        ode: o.rollout.ode,
        optimizer: o.optimizer,
        variables: o.variables,
        output: o.rollout.output ?? 'all',
        engine: o.stepEngine ?? 'auto',
        ...(o.clipNorm !== undefined ? { clipNorm: o.clipNorm } : {}),
      })
    : null;
  try {
    return yield* epochs(o, isAsync, fused);
  } finally {
    // whatever ends the run (an error too), the variables and the optimizer get every step taken
    fused?.dispose();
  }
}

function* epochs<B>(o: FitOptions<B>, isAsync: boolean, fused: RolloutStep | null): Generator<unknown, FitResult, unknown> {
  const vars = o.variables;
  const metric = o.monitor?.metric ?? (o.validate ? 'loss' : 'train');
  const mode = o.monitor?.mode ?? 'min';
  const minDelta = o.earlyStop?.minDelta ?? 0;
  const factor = o.divergence?.factor ?? Number.POSITIVE_INFINITY;
  const better = (v: number, best: number) => (mode === 'min' ? v < best - minDelta : v > best + minDelta);

  let epoch = 0;
  let baseLr = o.optimizer.learningRate;
  let rng: Rng;
  let initial: Record<string, number> = {};
  const trainCurve: number[] = [];
  const valCurves: Record<string, number[]> = {};
  let best = { epoch: -1, value: mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY };
  let badEpochs = 0;
  let reference: number | null = null;
  let diverged: Divergence | undefined;
  let stopped: Divergence | undefined;

  const s = o.state;
  if (s) {
    if (s.variables.length !== vars.length) {
      throw new RangeError(`fit: options.state holds ${s.variables.length} variables, options.variables has ${vars.length}`);
    }
    s.variables.forEach((sv, i) => {
      const v = vars[i];
      if (!tf.util.arraysEqual(sv.shape, v.shape)) {
        throw new RangeError(
          `fit: options.state.variables[${i}] has shape [${sv.shape.join(', ')}], variable ${i} has [${v.shape.join(', ')}]`,
        );
      }
    });
    tf.tidy(() => {
      s.variables.forEach((sv, i) => {
        vars[i].assign(tf.tensor(sv.values, sv.shape, vars[i].dtype));
      });
    });
    o.optimizer.setState(vars, s.optimizer);
    epoch = s.epoch;
    baseLr = s.learningRate;
    rng = Rng.fromState(s.rng);
    initial = decRec(s.initial);
    trainCurve.push(...s.trainCurve.map(dec));
    for (const [k, c] of Object.entries(s.valCurves)) valCurves[k] = c.map(dec);
    best = { epoch: s.best.epoch, value: dec(s.best.value) };
    badEpochs = s.badEpochs;
    reference = s.reference == null ? null : dec(s.reference);
    diverged = s.diverged;
    stopped = s.stopped;
  } else {
    rng = new Rng(o.seed).fork('batches');
    if (o.validate) {
      initial = { ...o.validate(0) };
      for (const k of Object.keys(initial)) valCurves[k] = [];
      if (!(metric in initial))
        throw new RangeError(`fit: options.validate returned no ${show(metric)} (monitor.metric); got ${show(Object.keys(initial))}`);
      const v0 = initial[metric];
      if (o.divergence) {
        if (!Number.isFinite(v0)) diverged = { epoch: 0, reason: `initial validation ${metric} ${v0}` };
        else if (mode === 'min') reference = Math.max(v0, 1e-12);
      }
    }
  }

  const publish = () => fused?.sync();

  const state = (): FitState => {
    publish();
    return {
      format: 'sii-fit-state',
      version: 1,
      epoch,
      learningRate: baseLr,
      optimizer: o.optimizer.getState(vars),
      rng: Array.from(rng.state()),
      variables: vars.map((v) => ({ shape: [...v.shape], values: Array.from(v.dataSync()) })),
      initial: encRec(initial),
      trainCurve: trainCurve.map(enc),
      valCurves: Object.fromEntries(Object.entries(valCurves).map(([k, c]) => [k, c.map(enc)])),
      best: { epoch: best.epoch, value: enc(best.value) },
      badEpochs,
      reference: reference == null ? null : enc(reference),
      ...(diverged ? { diverged } : {}),
      ...(stopped ? { stopped } : {}),
    };
  };
  const tooLarge = (x: number) => !Number.isFinite(x) || (mode === 'min' && reference != null && x > factor * reference);

  while (epoch < o.epochs && !diverged && !stopped) {
    const e = epoch + 1;
    if (o.schedule) o.optimizer.learningRate = baseLr * o.schedule.factor(e - 1);
    let sum = 0;
    let count = 0;
    let weights = 0;
    for (const batch of o.batches(e, rng)) {
      let r: { loss: number; gradNorm: number; skipped?: true };
      let bw = 1;
      try {
        if (o.step) publish();
        let own: unknown = o.step?.(batch, e);
        if (own instanceof Promise) {
          if (!isAsync)
            throw new TypeError(
              'fit: options.step returned a promise; use fitAsync for asynchronous steps (e.g. DataParallelTrainer.step)',
            );
          own = yield own;
        }
        if (own !== undefined && typeof own !== 'number')
          throw new TypeError(`fit: options.step must return a number or undefined, got ${show(own)}`);
        r =
          own !== undefined
            ? { loss: own, gradNorm: Number.NaN }
            : fused
              ? fused.step(o.rollout!.batch(batch), 'skip')
              : trainStep(() => o.loss!(batch, e), o.optimizer, {
                  variables: vars,
                  nonFinite: 'skip',
                  ...(o.clipNorm !== undefined ? { clipNorm: o.clipNorm } : {}),
                });
        if (o.weight) bw = o.weight(batch);
      } finally {
        o.disposeBatch?.(batch);
      }
      sum += o.weight ? r.loss * bw : r.loss;
      weights += bw;
      count++;
      // fitAsync awaits what onBatch returns (e.g. a turn of the event loop); fit ignores it
      if (o.onBatch) publish();
      yield o.onBatch?.({ epoch: e, batch: count, loss: r.loss, gradNorm: r.gradNorm });
      if (o.divergence) {
        if (reference == null && !o.validate && mode === 'min' && Number.isFinite(r.loss)) reference = Math.max(r.loss, 1e-12);
        if (!Number.isFinite(r.loss) || (reference != null && r.loss > factor * reference)) {
          diverged = { epoch: e, reason: `training loss ${r.loss} at batch ${count}` };
          break;
        }
        if (r.skipped) {
          diverged = { epoch: e, reason: `gradient norm ${r.gradNorm} at batch ${count}` };
          break;
        }
      }
    }
    const trainLoss = o.weight ? sum / (weights > 0 ? weights : 1) : sum / Math.max(1, count);
    publish();
    let metrics: Record<string, number> = {};
    if (o.validate) {
      metrics = diverged ? Object.fromEntries(Object.keys(initial).map((k) => [k, Number.NaN])) : { ...o.validate(e) };
    }
    for (const [k, v] of Object.entries(metrics)) {
      valCurves[k] ??= [];
      valCurves[k].push(v);
    }
    trainCurve.push(trainLoss);
    epoch = e;
    if (!diverged) {
      const value = o.validate ? metrics[metric] : trainLoss;
      if (value === undefined) throw new RangeError(`fit: options.validate(${e}) returned no ${show(metric)} (monitor.metric)`);
      if (o.divergence && o.validate && tooLarge(value)) diverged = { epoch: e, reason: `validation ${metric} ${value}` };
      else if (better(value, best.value)) {
        best = { epoch: e, value };
        badEpochs = 0;
      } else badEpochs++;
    }
    const info: EpochInfo = {
      epoch: e,
      trainLoss,
      metrics,
      learningRate: o.optimizer.learningRate,
      batches: count,
      best: { ...best },
      ...(diverged ? { diverged } : {}),
    };
    const answer = yield o.onEpoch?.(info);
    if (!diverged) {
      if (answer === 'stop') stopped = { epoch: e, reason: 'stopped by onEpoch' };
      else if (o.earlyStop && badEpochs >= o.earlyStop.patience) {
        stopped = {
          epoch: e,
          reason: `early stop: ${metric} did not improve for ${badEpochs} epochs (best ${best.value} at epoch ${best.epoch})`,
        };
      }
    }
    if (o.checkpoint && e % o.checkpoint.every === 0) o.checkpoint.save(state());
  }
  return {
    epochsRun: epoch,
    initial,
    trainCurve,
    valCurves,
    best,
    ...(diverged ? { diverged } : {}),
    ...(stopped ? { stopped } : {}),
    state: state(),
  };
}

/** Train `options.variables` (see {@link FitOptions}); synchronous. */
export function fit<B>(options: FitOptions<B>): FitResult {
  const g = loop(options, false);
  let r = g.next();
  while (!r.done) r = g.next(r.value);
  return r.value;
}

/**
 * As {@link fit}, but awaits what onEpoch and onBatch return (if promises) before going on, so that
 * an event loop (a Web Worker's messages, a UI) can run between batches and epochs; `step` may be
 * asynchronous (e.g. a DataParallelTrainer step).
 */
export async function fitAsync<B>(
  options: Omit<FitOptions<B>, 'onEpoch' | 'onBatch' | 'step'> & {
    step?: (batch: B, epoch: number) => number | undefined | Promise<number>;
    onEpoch?: (info: EpochInfo) => void | 'stop' | Promise<void | 'stop'>;
    onBatch?: (info: BatchInfo) => void | Promise<void>;
  },
): Promise<FitResult> {
  const g = loop(options as FitOptions<B>, true);
  let r = g.next();
  while (!r.done) {
    let answer: unknown;
    try {
      answer = await r.value;
    } catch (err) {
      // into the loop, so that it ends as after a synchronous error (its state brought up to date)
      r = g.throw(err);
      continue;
    }
    r = g.next(answer);
  }
  return r.value;
}
