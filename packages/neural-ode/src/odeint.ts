/**
 * odeintTensor: differentiable odeint on tensors with torchdiffeq semantics, on @sii/rk's step core
 * (the same fixed grid, error ratio, controller, initial step and interpolation weights as the
 * float64 `odeint` of @sii/rk):
 * - fixed grid: t0 + k·h while below t_end, last point replaced by t_end; outputs at the requested
 *   times by linear interpolation between the bracketing grid points;
 * - adaptive embedded pairs (dopri5, bosh3, adaptive_heun, …): step-size control in float64 outside
 *   the gradient (the error estimate is read with dataSync), accepted steps differentiated, dense
 *   output by the tableau's continuous extension when it has one (dopri5: 4th order) or cubic Hermite
 *   interpolation otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { denseWeights, errorRatio, fixedGrid, hermiteWeights, initialStep, StepController, type StepRecord } from '@sii/rk';
import { requireBackend } from './backend.js';
import type { SampledInput } from './inputs.js';
import type { VectorField } from './mlp.js';
import { isAdaptive, resolveTableau, type TableauLike } from './tableau.js';
import { linearCombination, rkStagesTensor, weightedSum } from './tensor_step.js';
import { assertFiniteNumbers, assertFiniteTensor, assertInt, assertPositive, assertTensor, show } from './validate.js';

/** Right-hand side: dy/dt = f(t, y) for a tensor y of any shape. */
export type TensorOdeFunction = (t: number, y: Tensor) => Tensor;

export interface OdeintTensorOptions {
  /** Method name known to @sii/rk or an explicit tableau. */
  method: string | TableauLike;
  /** Fixed step (required for methods without an embedded pair, or with adaptive: false). */
  step?: number;
  /** Use adaptive stepping when the tableau has an embedded pair (default true). */
  adaptive?: boolean;
  /** Relative tolerance (default 1e-5; float32 cannot honour torchdiffeq's 1e-7). */
  rtol?: number;
  /** Absolute tolerance (default 1e-7). */
  atol?: number;
  /** First step of adaptive stepping (default: Hairer's initial step selection). */
  firstStep?: number;
  /** Maximum number of adaptive step attempts (default 100000). */
  maxSteps?: number;
  /**
   * Adaptive only: shorten the last step so f is never evaluated beyond the final time (default true:
   * a SampledInput ends at its last sample, and a step past it would see the input held constant;
   * false steps past the end and interpolates, like torchdiffeq and @sii/rk odeint's default).
   */
  clipToEnd?: boolean;
  /** Adaptive only: called after every attempted step (start, size, end, error ratio, verdict). */
  onStep?: (step: StepRecord) => void;
  /** Input signal for a VectorField with inputs: u(t) evaluated at every stage time. */
  input?: SampledInput;
  /** Check y0 for NaN/Infinity (default true). */
  checkFinite?: boolean;
}

export interface OdeintTensorStats {
  /** Accepted steps. */
  accepted: number;
  /** Rejected adaptive steps. */
  rejected: number;
  /** Evaluations of f. */
  fevals: number;
}

export interface OdeintTensorResult {
  /** Solution at the requested times: [t.length, ...y0.shape]. */
  y: Tensor;
  stats: OdeintTensorStats;
}

/** Default tolerances of odeintTensor (float32 cannot honour @sii/rk odeint's 1e-7 / 1e-9). */
export const DEFAULT_TENSOR_RTOL = 1e-5;
export const DEFAULT_TENSOR_ATOL = 1e-7;

const WHERE = 'odeintTensor';

/** Turn a VectorField (with an optional input signal) into a TensorOdeFunction on [batch, n] states. */
export function fieldFunction(field: VectorField, input?: SampledInput): TensorOdeFunction {
  if (field.inputs > 0 && input == null) {
    throw new RangeError(`${WHERE}: the vector field has ${field.inputs} inputs; pass options.input (a SampledInput)`);
  }
  if (input != null && input.inputs !== field.inputs) {
    throw new RangeError(`${WHERE}: options.input has ${input.inputs} channels, the field expects ${field.inputs}`);
  }
  return (t, y) => field.apply(y as Tensor2D, input?.at(t));
}

function checkTimes(t: ArrayLike<number>): Float64Array {
  if (t == null || typeof t.length !== 'number' || t.length < 1) {
    throw new RangeError(`${WHERE}: t must be a non-empty array of times, got ${show(t)}`);
  }
  assertFiniteNumbers(WHERE, 't', t);
  for (let k = 1; k < t.length; k++) {
    if (!(t[k] > t[k - 1])) {
      throw new RangeError(`${WHERE}: t must be strictly increasing, got t[${k - 1}] = ${t[k - 1]} and t[${k}] = ${t[k]}`);
    }
  }
  return Float64Array.from(t);
}

/**
 * Integrate dy/dt = f(t, y) from t[0] and return y at every t[j] as [t.length, ...y0.shape].
 * `f` may be a TensorOdeFunction or a VectorField (with options.input when it has inputs).
 */
export function odeintTensor(
  f: TensorOdeFunction | VectorField,
  y0: Tensor | number[],
  t: ArrayLike<number>,
  opts: OdeintTensorOptions,
): Tensor {
  return odeintTensorDetailed(f, y0, t, opts).y;
}

/** {@link odeintTensor} that also reports step statistics. */
export function odeintTensorDetailed(
  f: TensorOdeFunction | VectorField,
  y0: Tensor | number[],
  t: ArrayLike<number>,
  opts: OdeintTensorOptions,
): OdeintTensorResult {
  const where = WHERE;
  requireBackend(where);
  if (opts == null || typeof opts !== 'object') throw new TypeError(`${where}: options { method, ... } are required`);
  const tab = resolveTableau(opts.method, where);
  const func: TensorOdeFunction =
    typeof f === 'function'
      ? f
      : f != null && typeof f.apply === 'function'
        ? fieldFunction(f, opts.input)
        : (() => {
            throw new TypeError(`${where}: f must be a function (t, y) => dy/dt or a vector field, got ${show(f)}`);
          })();
  const times = checkTimes(t);
  let y: Tensor;
  if (Array.isArray(y0)) {
    assertFiniteNumbers(where, 'y0', y0);
    y = tf.tensor1d(y0);
  } else {
    assertTensor(where, 'y0', y0);
    y = y0;
  }
  if (opts.checkFinite ?? true) assertFiniteTensor(where, 'y0', y);
  const adaptive = isAdaptive(tab) && opts.adaptive !== false;
  if (!adaptive) {
    if (opts.step === undefined) {
      throw new RangeError(`${where}: options.step is required for the fixed-step method ${JSON.stringify(tab.name)}`);
    }
    assertPositive(where, 'options.step', opts.step);
  }
  const rtol = opts.rtol ?? DEFAULT_TENSOR_RTOL;
  const atol = opts.atol ?? DEFAULT_TENSOR_ATOL;
  if (adaptive) {
    if (!(rtol >= 0) || !(atol >= 0) || !Number.isFinite(rtol) || !Number.isFinite(atol) || rtol + atol === 0) {
      throw new RangeError(`${where}: rtol and atol must be finite, >= 0 and not both 0, got rtol ${show(rtol)}, atol ${show(atol)}`);
    }
    if (opts.firstStep !== undefined) assertPositive(where, 'options.firstStep', opts.firstStep);
  }
  const maxSteps = opts.maxSteps ?? 100_000;
  assertInt(where, 'options.maxSteps', maxSteps, 1);
  try {
    return adaptive ? solveAdaptive(func, y, times, tab, rtol, atol, maxSteps, opts) : solveFixed(func, y, times, tab, opts.step!);
  } finally {
    if (y !== y0) y.dispose();
  }
}

/** Dispose tensors from `old` that are neither kept nor the caller's. */
function release(old: Tensor[], keep: Set<Tensor>): void {
  for (const t of old) if (!keep.has(t) && !t.isDisposed) t.dispose();
}

function solveFixed(f: TensorOdeFunction, y0: Tensor, times: Float64Array, tab: TableauLike, h: number): OdeintTensorResult {
  const stats: OdeintTensorStats = { accepted: 0, rejected: 0, fevals: 0 };
  const counted: TensorOdeFunction = (t, y) => {
    stats.fevals++;
    return f(t, y);
  };
  const out: Tensor[] = [y0];
  const keep = new Set<Tensor>([y0]);
  try {
    if (times.length > 1) {
      const grid = fixedGrid(times[0], times[times.length - 1], h);
      let j = 1;
      let ya = y0;
      for (let k = 0; k + 1 < grid.length && j < times.length; k++) {
        const ta = grid[k];
        const tb = grid[k + 1];
        const dt = tb - ta;
        const [yb, ...outs] = tf.tidy(() => {
          const ks = rkStagesTensor(counted, ta, ya, dt, tab);
          const yNext = linearCombination(
            ya,
            tab.b.map((b) => b * dt),
            ks,
          );
          const res: Tensor[] = [yNext];
          for (let q = j; q < times.length && tb >= times[q]; q++) {
            const tq = times[q];
            if (tq === ta) res.push(ya);
            else if (tq === tb) res.push(yNext);
            else {
              const w = (tq - ta) / dt;
              res.push(tf.add(tf.mul(ya, 1 - w), tf.mul(yNext, w)));
            }
          }
          return res;
        });
        stats.accepted++;
        j += outs.length;
        for (const o of outs) {
          out.push(o);
          keep.add(o);
        }
        release([ya], keep);
        ya = yb;
      }
      release([ya], keep);
    }
    return { y: tf.stack(out), stats };
  } finally {
    release(out, new Set([y0]));
  }
}

/** Float64 view of a tensor-valued f for @sii/rk's initialStep (one evaluation at t0 + h0). */
function float64Field(f: TensorOdeFunction, shape: number[]): (t: number, y: Float64Array, dydt: Float64Array) => void {
  return (t, y, dydt) => {
    const v = tf.tidy(() => f(t, tf.tensor(Float32Array.from(y), shape)));
    dydt.set(v.dataSync());
    v.dispose();
  };
}

function solveAdaptive(
  f: TensorOdeFunction,
  y0: Tensor,
  times: Float64Array,
  tab: TableauLike,
  rtol: number,
  atol: number,
  maxSteps: number,
  opts: OdeintTensorOptions,
): OdeintTensorResult {
  const stats: OdeintTensorStats = { accepted: 0, rejected: 0, fevals: 0 };
  const counted: TensorOdeFunction = (t, y) => {
    stats.fevals++;
    return f(t, y);
  };
  const errWeights = tab.b.map((b, i) => b - tab.bHat![i]);
  const dense = tab.dense != null && tab.dense.length === tab.b.length ? tab.dense : null;
  const s = tab.b.length;
  const fsal = tab.fsal ?? (tab.c[s - 1] === 1 && (tab.a[s - 1] ?? []).every((a, j) => j >= s - 1 || a === tab.b[j]));
  const out: Tensor[] = [y0];
  const keep = new Set<Tensor>([y0]);
  const tEnd = times[times.length - 1];
  let yc = y0;
  let fc: Tensor | null = null;
  try {
    if (times.length > 1) {
      fc = tf.tidy(() => counted(times[0], yc));
      assertFiniteTensor(WHERE, 'f(t0, y0)', fc);
      const h0 =
        opts.firstStep ?? initialStep(float64Field(counted, y0.shape), times[0], yc.dataSync(), fc.dataSync(), tab.order, rtol, atol);
      const control = new StepController(times[0], h0, {
        order: tab.order,
        tEnd,
        maxSteps,
        clipToEnd: opts.clipToEnd ?? true,
        where: WHERE,
        method: tab.name,
        onStep: opts.onStep,
      });
      let j = 1;
      while (j < times.length) {
        const { t0: tc, h: dt, t1: tn } = control.trial();
        const ya = yc;
        const fa = fc;
        let accepted = false;
        const jStart = j;
        // One trial step; the error ratio is read in float64 (step-size control is not differentiated).
        const result = tf.tidy(() => {
          const ks = rkStagesTensor(counted, tc, ya, dt, tab, fa);
          const yn = linearCombination(
            ya,
            tab.b.map((b) => b * dt),
            ks,
          );
          const err = weightedSum(
            errWeights.map((w) => w * dt),
            ks,
          );
          const ratio = err == null ? 0 : errorRatio(err.dataSync(), ya.dataSync(), yn.dataSync(), rtol, atol);
          if (!Number.isFinite(ratio)) {
            throw new Error(`${WHERE}: the error estimate is not finite at t = ${tc} (h = ${dt}); the solution blew up or f returned NaN`);
          }
          accepted = control.finish(ratio);
          if (!accepted) return [] as Tensor[];
          const fn = fsal ? ks[s - 1] : counted(tn, yn);
          const res: Tensor[] = [yn, fn];
          for (let q = jStart; q < times.length && times[q] <= tn; q++) {
            const x = (times[q] - tc) / dt;
            if (times[q] === tn) res.push(yn);
            else if (dense != null) {
              // continuous extension y(t + x·h) = y + h Σ_i b_i(x) k_i
              res.push(
                linearCombination(
                  ya,
                  denseWeights(dense, x).map((w) => w * dt),
                  ks,
                ),
              );
            } else {
              const w = hermiteWeights(x);
              res.push(tf.addN([tf.mul(ya, w[0]), tf.mul(fa, w[1] * dt), tf.mul(yn, w[2]), tf.mul(fn, w[3] * dt)]));
            }
          }
          return res;
        });
        if (accepted) {
          stats.accepted++;
          const [yn, fn, ...outs] = result;
          j += outs.length;
          for (const o of outs) {
            out.push(o);
            keep.add(o);
          }
          release([ya, fa], keep);
          yc = yn;
          fc = fn;
        } else {
          stats.rejected++;
        }
      }
    }
    return { y: tf.stack(out), stats };
  } finally {
    release([yc, ...(fc ? [fc] : []), ...out], new Set([y0]));
  }
}
