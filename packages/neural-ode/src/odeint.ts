/**
 * odeint on tensors with torchdiffeq semantics (spec §6):
 * - fixed grid: t0 + k·h while below t_end, last point replaced by t_end; outputs at the requested
 *   times by linear interpolation between the bracketing grid points;
 * - adaptive embedded pairs (dopri5, bosh3, adaptive_heun, …): RMS error ratio, step-size control in
 *   float64 outside the gradient (error norms read with dataSync), accepted steps differentiated,
 *   dense output by the tableau's continuous extension when it has one (dopri5: 4th order) or cubic
 *   Hermite interpolation otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { requireBackend } from './backend.js';
import type { SampledInput } from './inputs.js';
import type { VectorField } from './mlp.js';
import { isAdaptive, linearCombination, resolveTableau, rkStages, type TableauLike, weightedSum } from './tableau.js';
import { assertFiniteNumbers, assertFiniteTensor, assertInt, assertPositive, assertTensor, show } from './validate.js';

/** Right-hand side: dy/dt = f(t, y) for a tensor y of any shape. */
export type OdeFunc = (t: number, y: Tensor) => Tensor;

export interface OdeintOptions {
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
  /** Input signal for a VectorField with inputs: u(t) evaluated at every stage time. */
  input?: SampledInput;
  /** Check y0 for NaN/Infinity (default true). */
  checkFinite?: boolean;
}

export interface OdeintStats {
  /** Accepted steps. */
  accepted: number;
  /** Rejected adaptive steps. */
  rejected: number;
  /** Evaluations of f. */
  fevals: number;
}

export interface OdeintResult {
  /** Solution at the requested times: [t.length, ...y0.shape]. */
  y: Tensor;
  stats: OdeintStats;
}

/** Default tolerances of the tensor odeint (float32). */
export const DEFAULT_RTOL = 1e-5;
export const DEFAULT_ATOL = 1e-7;

/** Turn a VectorField (with an optional input signal) into an OdeFunc on [batch, n] states. */
export function fieldFunction(field: VectorField, input?: SampledInput): OdeFunc {
  if (field.inputs > 0 && input == null) {
    throw new RangeError(`odeint: the vector field has ${field.inputs} inputs; pass options.input (a SampledInput)`);
  }
  if (input != null && input.inputs !== field.inputs) {
    throw new RangeError(`odeint: options.input has ${input.inputs} channels, the field expects ${field.inputs}`);
  }
  return (t, y) => field.apply(y as Tensor2D, input?.at(t));
}

function checkTimes(t: ArrayLike<number>): Float64Array {
  if (t == null || typeof t.length !== 'number' || t.length < 1) {
    throw new RangeError(`odeint: t must be a non-empty array of times, got ${show(t)}`);
  }
  assertFiniteNumbers('odeint', 't', t);
  for (let k = 1; k < t.length; k++) {
    if (!(t[k]! > t[k - 1]!)) {
      throw new RangeError(`odeint: t must be strictly increasing, got t[${k - 1}] = ${t[k - 1]} and t[${k}] = ${t[k]}`);
    }
  }
  return Float64Array.from(t);
}

/** torchdiffeq's fixed grid: t0 + k·h while below t_end, then t_end (round-off adds no extra step). */
export function fixedGrid(t0: number, tEnd: number, h: number): Float64Array {
  const r = (tEnd - t0) / h;
  const n = Math.max(1, Math.ceil(r - 1e-9 * Math.max(1, r)));
  const grid = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) grid[k] = t0 + k * h;
  grid[n] = tEnd;
  return grid;
}

/** Root-mean-square of x / (atol + rtol·max(|y0|, |y1|)) as a scalar tensor. */
function errorRatio(err: Tensor, y0: Tensor, y1: Tensor, rtol: number, atol: number): Tensor {
  const tol = tf.add(tf.mul(tf.maximum(tf.abs(y0), tf.abs(y1)), rtol), atol);
  return tf.sqrt(tf.mean(tf.square(tf.div(err, tol))));
}

function rms(x: Tensor): number {
  const r = tf.tidy(() => tf.sqrt(tf.mean(tf.square(x))));
  const v = r.dataSync()[0]!;
  r.dispose();
  return v;
}

/** Hairer, Nørsett & Wanner's initial step (the selection torchdiffeq uses). */
function initialStep(f: OdeFunc, t0: number, y0: Tensor, f0: Tensor, order: number, rtol: number, atol: number): number {
  const scale = tf.tidy(() => tf.add(tf.mul(tf.abs(y0), rtol), atol));
  const d0 = tf.tidy(() => rms(tf.div(y0, scale)));
  const d1 = tf.tidy(() => rms(tf.div(f0, scale)));
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  const d2 = tf.tidy(() => {
    const f1 = f(t0 + h0, tf.add(y0, tf.mul(f0, h0)));
    return rms(tf.div(tf.sub(f1, f0), scale)) / h0;
  });
  scale.dispose();
  const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / (order + 1));
  return Math.min(100 * h0, h1);
}

/** Step-size factor: h·min(10, max(0.9·ratio^(−1/order), 0.2 on reject / 1 on accept)). */
export function nextStep(h: number, ratio: number, order: number): number {
  if (ratio === 0) return h * 10;
  const floor = ratio < 1 ? 1 : 0.2;
  return h * Math.min(10, Math.max(0.9 * ratio ** (-1 / order), floor));
}

/** Cubic Hermite weights of (y0, y1, h·f0, h·f1). */
function hermiteWeights(x: number): number[] {
  const x2 = x * x;
  const x3 = x2 * x;
  return [2 * x3 - 3 * x2 + 1, -2 * x3 + 3 * x2, x3 - 2 * x2 + x, x3 - x2];
}

/**
 * Integrate dy/dt = f(t, y) from t[0] and return y at every t[j] as [t.length, ...y0.shape].
 * `f` may be an OdeFunc or a VectorField (with options.input when it has inputs).
 */
export function odeint(f: OdeFunc | VectorField, y0: Tensor | number[], t: ArrayLike<number>, opts: OdeintOptions): Tensor {
  return odeintDetailed(f, y0, t, opts).y;
}

/** {@link odeint} that also reports step statistics. */
export function odeintDetailed(
  f: OdeFunc | VectorField,
  y0: Tensor | number[],
  t: ArrayLike<number>,
  opts: OdeintOptions,
): OdeintResult {
  const where = 'odeint';
  requireBackend(where);
  if (opts == null || typeof opts !== 'object') throw new TypeError(`${where}: options { method, ... } are required`);
  const tab = resolveTableau(opts.method, where);
  const func: OdeFunc =
    typeof f === 'function'
      ? f
      : f != null && typeof (f as VectorField).apply === 'function'
        ? fieldFunction(f as VectorField, opts.input)
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
  const rtol = opts.rtol ?? DEFAULT_RTOL;
  const atol = opts.atol ?? DEFAULT_ATOL;
  if (adaptive) {
    if (!(rtol >= 0) || !(atol >= 0) || !Number.isFinite(rtol) || !Number.isFinite(atol) || rtol + atol === 0) {
      throw new RangeError(`${where}: rtol and atol must be finite, >= 0 and not both 0, got rtol ${show(rtol)}, atol ${show(atol)}`);
    }
    if (opts.firstStep !== undefined) assertPositive(where, 'options.firstStep', opts.firstStep);
  }
  const maxSteps = opts.maxSteps ?? 100_000;
  assertInt(where, 'options.maxSteps', maxSteps, 1);
  try {
    return adaptive
      ? solveAdaptive(func, y, times, tab, rtol, atol, opts.firstStep, maxSteps)
      : solveFixed(func, y, times, tab, opts.step!);
  } finally {
    if (y !== y0) y.dispose();
  }
}

/** Dispose tensors from `old` that are neither kept nor the caller's. */
function release(old: Tensor[], keep: Set<Tensor>): void {
  for (const t of old) if (!keep.has(t) && !t.isDisposed) t.dispose();
}

function solveFixed(f: OdeFunc, y0: Tensor, times: Float64Array, tab: TableauLike, h: number): OdeintResult {
  const stats: OdeintStats = { accepted: 0, rejected: 0, fevals: 0 };
  const counted: OdeFunc = (t, y) => {
    stats.fevals++;
    return f(t, y);
  };
  const out: Tensor[] = [y0];
  const keep = new Set<Tensor>([y0]);
  try {
    if (times.length > 1) {
      const grid = fixedGrid(times[0]!, times[times.length - 1]!, h);
      let j = 1;
      let ya = y0;
      for (let k = 0; k + 1 < grid.length && j < times.length; k++) {
        const ta = grid[k]!;
        const tb = grid[k + 1]!;
        const dt = tb - ta;
        const [yb, ...outs] = tf.tidy(() => {
          const ks = rkStages(counted, ta, ya, dt, tab);
          const yNext = linearCombination(
            ya,
            tab.b.map((b) => b * dt),
            ks,
          );
          const res: Tensor[] = [yNext];
          for (let q = j; q < times.length && tb >= times[q]!; q++) {
            const tq = times[q]!;
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
        ya = yb!;
      }
      release([ya], keep);
    }
    return { y: tf.stack(out), stats };
  } finally {
    release(out, new Set([y0]));
  }
}

function solveAdaptive(
  f: OdeFunc,
  y0: Tensor,
  times: Float64Array,
  tab: TableauLike,
  rtol: number,
  atol: number,
  firstStep: number | undefined,
  maxSteps: number,
): OdeintResult {
  const stats: OdeintStats = { accepted: 0, rejected: 0, fevals: 0 };
  const counted: OdeFunc = (t, y) => {
    stats.fevals++;
    return f(t, y);
  };
  const order = tab.order;
  const errWeights = tab.b.map((b, i) => b - tab.bHat![i]!);
  const dense = tab.dense != null && tab.dense.length === tab.b.length ? tab.dense : null;
  const s = tab.b.length;
  const fsal = tab.fsal ?? (tab.c[s - 1] === 1 && (tab.a[s - 1] ?? []).every((a, j) => j >= s - 1 || a === tab.b[j]));
  const out: Tensor[] = [y0];
  const keep = new Set<Tensor>([y0]);
  const tEnd = times[times.length - 1]!;
  let tc = times[0]!;
  let yc = y0;
  let fc: Tensor | null = null;
  try {
    if (times.length > 1) {
      fc = tf.tidy(() => counted(tc, yc));
      assertFiniteTensor('odeint', 'f(t0, y0)', fc);
      const f0 = fc;
      // torchdiffeq passes order − 1, so h1 = (0.01 / max(d1, d2))^(1/order)
      let h = firstStep ?? initialStep(counted, tc, yc, f0, order - 1, rtol, atol);
      let j = 1;
      let attempts = 0;
      const tiny = 1e-14 * Math.max(1, Math.abs(tEnd));
      while (j < times.length) {
        if (++attempts > maxSteps) {
          throw new Error(`odeint: exceeded options.maxSteps = ${maxSteps} at t = ${tc} (last step ${h})`);
        }
        if (!(h > tiny) || !Number.isFinite(h)) {
          throw new Error(`odeint: step size underflow (h = ${h}) at t = ${tc}; loosen rtol/atol (float32) or check f`);
        }
        const last = tc + h >= tEnd - tiny;
        const dt = last ? tEnd - tc : h;
        const tn = last ? tEnd : tc + dt;
        const ya = yc;
        const fa = fc!;
        let ratio = 0;
        const jStart = j;
        // One trial step; the error ratio is read in float64 (step-size control is not differentiated).
        const result = tf.tidy(() => {
          const ks = rkStages(counted, tc, ya, dt, tab, fa);
          const yn = linearCombination(
            ya,
            tab.b.map((b) => b * dt),
            ks,
          );
          const err = weightedSum(
            errWeights.map((w) => w * dt),
            ks,
          );
          ratio = err == null ? 0 : errorRatio(err, ya, yn, rtol, atol).dataSync()[0]!;
          if (!Number.isFinite(ratio)) {
            throw new Error(`odeint: the error estimate is not finite at t = ${tc} (h = ${dt}); the solution blew up or f returned NaN`);
          }
          if (ratio > 1) return [] as Tensor[];
          const fn = fsal ? ks[s - 1]! : counted(tn, yn);
          const res: Tensor[] = [yn, fn];
          for (let q = jStart; q < times.length && times[q]! <= tn + (last ? tiny : 0); q++) {
            const x = (times[q]! - tc) / dt;
            if (times[q] === tn || x >= 1) res.push(yn);
            else if (dense != null) {
              // continuous extension y(t + x·h) = y + h Σ_i b_i(x) k_i, b_i(x) = Σ_q dense[i][q]·x^(q+1)
              const w = dense.map((row) => row.reduce((acc, d, p) => acc + d * x ** (p + 1), 0) * dt);
              res.push(linearCombination(ya, w, ks));
            } else {
              const w = hermiteWeights(x);
              res.push(tf.addN([tf.mul(ya, w[0]!), tf.mul(yn, w[1]!), tf.mul(fa, w[2]! * dt), tf.mul(fn, w[3]! * dt)]));
            }
          }
          return res;
        });
        if (result.length > 0) {
          stats.accepted++;
          const [yn, fn, ...outs] = result;
          j += outs.length;
          for (const o of outs) {
            out.push(o);
            keep.add(o);
          }
          release([ya, fa], keep);
          tc = tn;
          yc = yn!;
          fc = fn!;
        } else {
          stats.rejected++;
        }
        h = nextStep(dt, ratio, order);
      }
    }
    return { y: tf.stack(out), stats };
  } finally {
    release([yc, ...(fc ? [fc] : []), ...out], new Set([y0]));
  }
}
