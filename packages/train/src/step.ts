/**
 * Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_), the global norm, the mean
 * squared error and one leak-free training step (gradients, optional clipping, optimizer update).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { FlatOptimizer, flatten, type Optimizer } from './optimizers.js';
import { show } from './show.js';

/**
 * Scale gradients so that their global L2 norm is at most maxNorm (torch's clip_grad_norm_:
 * factor min(1, maxNorm / (norm + 1e-6))). Returns new tensors and the norm before clipping.
 */
export function clipByGlobalNorm(grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: Scalar } {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new RangeError(`clipByGlobalNorm: maxNorm must be a finite number > 0, got ${show(maxNorm)}`);
  }
  if (grads.length === 0) throw new RangeError('clipByGlobalNorm: grads is empty (no gradients to clip)');
  return tf.tidy(() => {
    // One flat vector: 4 kernels for the norm whatever the number of tensors.
    const norm = tf.sqrt(tf.sum(tf.square(flatten(grads)))) as Scalar;
    const factor = clipFactor(norm, maxNorm);
    return { grads: grads.map((g) => tf.mul(g, factor)), norm };
  });
}

/** torch's clip_grad_norm_ factor min(1, maxNorm / (norm + 1e-6)). */
function clipFactor(norm: Scalar, maxNorm: number): Scalar {
  return tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
}

/** Global L2 norm of a list of tensors (as a number). */
export function globalNorm(tensors: readonly Tensor[]): number {
  const n = tf.tidy(() => tf.sqrt(tf.sum(tf.square(flatten(tensors)))));
  const v = n.dataSync()[0];
  n.dispose();
  return v;
}

/** A tfjs-core optimizer (tf.train.adam(...), …) is accepted too. */
export interface TfjsOptimizerLike {
  applyGradients(grads: NamedTensorMap): void;
}

export interface TrainStepOptions {
  /** Variables to train (default: every trainable variable the loss depends on). */
  variables?: readonly Variable[];
  /** Clip the global gradient norm to this value (torch clip_grad_norm_); off by default. */
  clipNorm?: number;
  /**
   * A NaN or ±Infinity loss or gradient norm: 'throw' (default) a {@link NonFiniteStepError}; 'skip'
   * return the result flagged `skipped: true` (what `fit` does, reporting divergence). Either way the
   * optimizer update is NOT applied: the weights keep their last finite values.
   */
  nonFinite?: 'throw' | 'skip';
}

export interface TrainStepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Set when the loss or the gradient norm was not finite and the update was not applied. */
  skipped?: true;
}

/** A training step met a NaN or infinite loss or gradient norm (the update was not applied). */
export class NonFiniteStepError extends RangeError {
  readonly loss: number;
  readonly gradNorm: number;
  /**
   * `where` names the caller (default 'trainStep'); `detail` says where the non-finite value came
   * from (e.g. which data-parallel replica).
   */
  constructor(loss: number, gradNorm: number, where = 'trainStep', detail = '') {
    super(
      `${where}: ${Number.isFinite(loss) ? `gradient norm ${gradNorm}` : `loss ${loss}`} is not finite (loss ${loss}, gradient norm ${gradNorm}${detail ? `; ${detail}` : ''}); the update was not applied (the weights are unchanged). Lower the learning rate, clip the gradients (clipNorm) or pass nonFinite: 'skip' to continue`,
    );
    this.name = 'NonFiniteStepError';
    this.loss = loss;
    this.gradNorm = gradNorm;
  }
}

/** Null when loss and norm are finite; else what trainStep returns or throws instead of updating. */
function nonFiniteResult(loss: number, gradNorm: number, mode: 'throw' | 'skip'): TrainStepResult | null {
  if (Number.isFinite(loss) && Number.isFinite(gradNorm)) return null;
  if (mode === 'skip') return { loss, gradNorm, skipped: true };
  throw new NonFiniteStepError(loss, gradNorm);
}

/**
 * One optimisation step: gradients of lossFn w.r.t. the variables, optional global-norm clipping,
 * optimizer update. A non-finite loss or gradient norm applies no update (see
 * {@link TrainStepOptions.nonFinite}). Leaves no tensors behind.
 */
export function trainStep(lossFn: () => Scalar, optimizer: Optimizer | TfjsOptimizerLike, opts: TrainStepOptions = {}): TrainStepResult {
  if (typeof lossFn !== 'function') throw new TypeError(`trainStep: lossFn must be a function, got ${show(lossFn)}`);
  if (
    optimizer == null ||
    (typeof (optimizer as Optimizer).step !== 'function' && typeof (optimizer as TfjsOptimizerLike).applyGradients !== 'function')
  ) {
    throw new TypeError(`trainStep: optimizer must have step() or applyGradients(), got ${show(optimizer)}`);
  }
  if (opts.clipNorm !== undefined && (!(opts.clipNorm > 0) || !Number.isFinite(opts.clipNorm))) {
    throw new RangeError(`trainStep: clipNorm must be a finite number > 0, got ${show(opts.clipNorm)}`);
  }
  const mode = opts.nonFinite ?? 'throw';
  if (mode !== 'throw' && mode !== 'skip') throw new RangeError(`trainStep: nonFinite must be 'throw' or 'skip', got ${show(mode)}`);
  const { value, grads } = tf.variableGrads(lossFn, opts.variables as Variable[] | undefined);
  const names = Object.keys(grads);
  const registered = tf.engine().registeredVariables;
  const vars = names.map((name) => registered[name]);
  let list = names.map((name) => grads[name]);
  if (optimizer instanceof FlatOptimizer && names.length > 0) {
    // Flat path: the gradients as one vector for the norm, the clipping and the update (few kernels).
    let norm: Scalar | null = null;
    try {
      const flat = tf.tidy(() => {
        const g = flatten(list);
        const n = tf.sqrt(tf.sum(tf.square(g))) as Scalar;
        norm = tf.keep(n);
        return opts.clipNorm !== undefined ? tf.mul(g, clipFactor(n, opts.clipNorm)) : g;
      });
      tf.dispose(list);
      list = [flat];
      const loss = value.dataSync()[0];
      const gradNorm = (norm as Scalar | null)!.dataSync()[0];
      const bad = nonFiniteResult(loss, gradNorm, mode);
      if (bad) return bad;
      tf.tidy(() => optimizer.stepFlat(vars, flat));
      return { loss, gradNorm };
    } finally {
      tf.dispose([value, ...list, ...(norm ? [norm] : [])]);
    }
  }
  let norm: Scalar;
  if (opts.clipNorm !== undefined) {
    const clipped = clipByGlobalNorm(list, opts.clipNorm);
    tf.dispose(list);
    list = clipped.grads;
    norm = clipped.norm;
  } else {
    norm = tf.tidy(() => tf.sqrt(tf.sum(tf.square(flatten(list)))) as Scalar);
  }
  try {
    const loss = value.dataSync()[0];
    const gradNorm = norm.dataSync()[0];
    const bad = nonFiniteResult(loss, gradNorm, mode);
    if (bad) return bad;
    if (typeof (optimizer as Optimizer).step === 'function') {
      (optimizer as Optimizer).step(vars, list);
    } else {
      const named: NamedTensorMap = {};
      names.forEach((name, i) => {
        named[name] = list[i];
      });
      (optimizer as TfjsOptimizerLike).applyGradients(named);
    }
    return { loss, gradNorm };
  } finally {
    tf.dispose([value, norm, ...list]);
  }
}

/** Mean squared error. */
export function mse(prediction: Tensor, target: Tensor): Scalar {
  if (!tf.util.arraysEqual(prediction.shape, target.shape)) {
    throw new RangeError(`mse: prediction shape [${prediction.shape.join(', ')}] differs from target shape [${target.shape.join(', ')}]`);
  }
  // the mean of no values is undefined (tfjs would return whatever the output buffer held)
  if (prediction.size === 0) throw new RangeError(`mse: prediction and target are empty (shape [${prediction.shape.join(', ')}])`);
  return tf.tidy(() => tf.mean(tf.square(tf.sub(prediction, target))) as Scalar);
}
