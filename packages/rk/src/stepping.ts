// The step core every Runge–Kutta integrator of sii shares (float64 `odeint` here, the tensor
// integrator of @sii/neural-ode): torchdiffeq's fixed grid with one round-off rule, the RMS error
// ratio, the step-size controller, Hairer's initial step and the interpolation weights.

/** Vector field: writes f(t, y) into dydt (length n). Must not keep references to y or dydt. */
export type OdeFunction = (t: number, y: Float64Array, dydt: Float64Array) => void;

/**
 * Fixed grid of torchdiffeq: t_k = t0 + k·h while t_k < t_end, then t_end; the last step may be
 * shorter. torchdiffeq computes ceil((t_end − t0)/h) steps with no tolerance, so round-off in the
 * quotient (0.3/0.1 = 2.9999999999999996, 1.1/0.1 = 11.000000000000002) can add a step of size ~1e-16.
 * Here the quotient r is rounded down to an integer when it lies within
 * tol = max(1e-9, 1e-13·(|t0| + |t_end|)/h) steps above it: that bound exceeds the round-off of
 * (t_end − t0)/h by orders of magnitude (it grows with the times' magnitude, not only with r) yet stays
 * far below any step fraction a caller means (a real remainder of 1e-9·h or more still gets its step).
 */
export function fixedGrid(t0: number, tEnd: number, h: number): Float64Array {
  if (!Number.isFinite(t0) || !Number.isFinite(tEnd)) throw new RangeError(`fixedGrid: times must be finite, got ${t0}, ${tEnd}`);
  if (!(h > 0) || !Number.isFinite(h)) throw new RangeError(`fixedGrid: step must be a finite number > 0, got ${String(h)}`);
  if (!(tEnd > t0)) throw new RangeError(`fixedGrid: t_end must be > t0, got t0 = ${t0}, t_end = ${tEnd}`);
  const r = (tEnd - t0) / h;
  const tol = Math.max(1e-9, (1e-13 * (Math.abs(t0) + Math.abs(tEnd))) / h);
  const count = Math.max(1, Math.ceil(r - tol));
  if (count > 1e9) throw new RangeError(`fixedGrid: step ${h} gives ${count} steps over [${t0}, ${tEnd}]`);
  const grid = new Float64Array(count + 1);
  for (let k = 0; k < count; k++) grid[k] = t0 + k * h;
  grid[count] = tEnd;
  return grid;
}

/**
 * Error ratio of an embedded pair (torchdiffeq's RMS norm): r = sqrt(mean_m (err_m / tol_m)²) with
 * tol_m = atol + rtol·max(|y0_m|, |y1_m|). The step is accepted when r ≤ 1.
 */
export function errorRatio(err: ArrayLike<number>, y0: ArrayLike<number>, y1: ArrayLike<number>, rtol: number, atol: number): number {
  const n = err.length;
  let s = 0;
  for (let m = 0; m < n; m++) {
    const q = err[m] / (atol + rtol * Math.max(Math.abs(y0[m]), Math.abs(y1[m])));
    s += q * q;
  }
  return Math.sqrt(s / n);
}

/**
 * Step-size controller (torchdiffeq): h·min(10, max(0.9·r^(−1/p), 1 if r < 1 else 0.2)), r = 0 gives
 * 10h. p is the method's propagated order.
 */
export function nextStepSize(h: number, ratio: number, order: number): number {
  if (ratio === 0) return h * 10;
  const floor = ratio < 1 ? 1 : 0.2; // torchdiffeq: at r = 1 (accepted) the factor is 0.9
  return h * Math.min(10, Math.max(0.9 * ratio ** (-1 / order), floor));
}

function scaledRms(v: ArrayLike<number>, scale: Float64Array): number {
  let s = 0;
  for (let m = 0; m < scale.length; m++) s += (v[m] / scale[m]) ** 2;
  return Math.sqrt(s / scale.length);
}

/**
 * Hairer's initial step (Hairer–Nørsett–Wanner I, §II.4), as torchdiffeq: with sc = atol + rtol|y0|,
 * d0 = ‖y0/sc‖, d1 = ‖f0/sc‖, h0 = 0.01·d0/d1 (1e-6 if either < 1e-5), one explicit Euler step of
 * size h0, d2 = ‖(f1 − f0)/sc‖/h0, h1 = (0.01/max(d1, d2))^{1/p} (or max(1e-6, 1e-3·h0) when both
 * are ≤ 1e-15) and h = min(100·h0, h1). p is the method's order (torchdiffeq passes order − 1 and
 * adds 1). Evaluates f once.
 */
export function initialStep(
  f: OdeFunction,
  t0: number,
  y0: ArrayLike<number>,
  f0: ArrayLike<number>,
  order: number,
  rtol: number,
  atol: number,
): number {
  const n = y0.length;
  const sc = Float64Array.from(y0, (v) => atol + rtol * Math.abs(v));
  const d0 = scaledRms(y0, sc);
  const d1 = scaledRms(f0, sc);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  const y1 = new Float64Array(n);
  for (let m = 0; m < n; m++) y1[m] = y0[m] + h0 * f0[m];
  const f1 = new Float64Array(n);
  f(t0 + h0, y1, f1);
  const diff = Float64Array.from(f1, (v, m) => v - f0[m]);
  const d2 = scaledRms(diff, sc) / h0;
  const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / order);
  return Math.min(100 * h0, h1);
}

/**
 * Continuous-extension weights b_i(θ) = Σ_q dense[i][q]·θ^{q+1} of a tableau's `dense` rows, so that
 * y(t + θh) = y + h Σ_i b_i(θ) k_i (dopri5, tsit5: 4th order).
 */
export function denseWeights(dense: readonly (readonly number[])[], theta: number): number[] {
  return dense.map((row) => {
    let acc = 0;
    for (let q = row.length - 1; q >= 0; q--) acc = (acc + row[q]) * theta;
    return acc;
  });
}

/**
 * Cubic Hermite weights on [t, t + h] at θ: y(t + θh) = w[0]·y0 + w[1]·h·f0 + w[2]·y1 + w[3]·h·f1
 * (values y0, y1 and slopes f0, f1 at the ends).
 */
export function hermiteWeights(theta: number): [number, number, number, number] {
  const u = 1 - theta;
  return [(1 + 2 * theta) * u * u, theta * u * u, theta * theta * (3 - 2 * theta), theta * theta * (theta - 1)];
}

/** One step the controller proposes: from t0 to t1 = t0 + h. */
export interface TrialStep {
  t0: number;
  h: number;
  t1: number;
}

/** Record of one attempted adaptive step (for `onStep` callbacks). */
export interface StepRecord extends TrialStep {
  /** error ratio of the step */
  ratio: number;
  accepted: boolean;
}

export interface StepControllerOptions {
  /** the method's propagated order p (controller exponent −1/p) */
  order: number;
  /** final time; steps may pass it (torchdiffeq) unless `clipToEnd` */
  tEnd: number;
  /** attempted steps allowed before throwing */
  maxSteps: number;
  /** shorten the step that would pass tEnd so it ends exactly there */
  clipToEnd?: boolean;
  /** prefix of error messages (default 'odeint') */
  where?: string;
  /** method name for error messages */
  method?: string;
  /** called after every attempted step */
  onStep?: (step: StepRecord) => void;
}

/**
 * The adaptive step-size loop's bookkeeping, shared by every adaptive integrator: `trial()` proposes
 * the next step (clipped to tEnd when asked; a remainder below 1e-14·max(1, |tEnd|) is absorbed so
 * round-off never forces a vanishing last step), `finish(ratio)` accepts it when ratio ≤ 1, advances
 * t and sets the next step by {@link nextStepSize}. Throws on too many attempts or step underflow.
 */
export class StepController {
  /** current time (end of the last accepted step) */
  t: number;
  /** size of the next trial step */
  h: number;
  attempts = 0;
  accepted = 0;
  rejected = 0;
  private readonly opts: StepControllerOptions;
  private readonly tiny: number;
  private current: TrialStep | undefined;

  constructor(t0: number, h0: number, opts: StepControllerOptions) {
    const where = opts.where ?? 'odeint';
    if (!(h0 > 0 && Number.isFinite(h0))) throw new RangeError(`${where}: the first step must be a finite number > 0, got ${String(h0)}`);
    if (!Number.isInteger(opts.maxSteps) || opts.maxSteps < 1)
      throw new RangeError(`${where}: maxSteps must be an integer ≥ 1, got ${String(opts.maxSteps)}`);
    if (!(opts.order >= 1)) throw new RangeError(`${where}: order must be ≥ 1, got ${String(opts.order)}`);
    this.t = t0;
    this.h = h0;
    this.opts = opts;
    this.tiny = 1e-14 * Math.max(1, Math.abs(opts.tEnd));
  }

  /** The next trial step from the current time. */
  trial(): TrialStep {
    const { maxSteps, tEnd, clipToEnd } = this.opts;
    const where = this.opts.where ?? 'odeint';
    const method = this.opts.method === undefined ? '' : ` with method "${this.opts.method}"`;
    if (this.attempts >= maxSteps) {
      throw new Error(
        `${where}: maxSteps = ${maxSteps} exceeded at t = ${this.t} (step ${this.h}) before reaching ${tEnd}${method}; the problem may be stiff or the tolerances too tight`,
      );
    }
    let h = this.h;
    let t1 = this.t + h;
    if (clipToEnd && t1 >= tEnd - this.tiny) {
      t1 = tEnd;
      h = tEnd - this.t;
    }
    if (!(t1 > this.t) || !Number.isFinite(h)) throw new Error(`${where}: step size underflow at t = ${this.t} (h = ${h})${method}`);
    this.current = { t0: this.t, h, t1 };
    return this.current;
  }

  /** Report the error ratio of the last trial step; returns whether it was accepted. */
  finish(ratio: number): boolean {
    const step = this.current;
    if (step === undefined) throw new Error('StepController.finish: call trial() first');
    this.current = undefined;
    this.attempts++;
    const accepted = ratio <= 1;
    if (accepted) {
      this.accepted++;
      this.t = step.t1;
    } else this.rejected++;
    this.h = nextStepSize(step.h, ratio, this.opts.order);
    this.opts.onStep?.({ ...step, ratio, accepted });
    return accepted;
  }
}
