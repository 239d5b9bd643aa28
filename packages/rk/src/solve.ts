// Float64 explicit Runge–Kutta solvers for y' = f(t, y): fixed grid (torchdiffeq semantics) and
// adaptive embedded pairs with dense output, on the shared step core of stepping.ts.
import { getTableau } from './registry.js';
import {
  denseWeights,
  errorRatio,
  fixedGrid,
  hermiteWeights,
  initialStep,
  type OdeFunction,
  StepController,
  type StepRecord,
} from './stepping.js';
import { ButcherTableau } from './tableau.js';

export interface OdeStats {
  /** attempted steps (accepted + rejected) */
  steps: number;
  accepted: number;
  rejected: number;
  /** evaluations of f */
  fevals: number;
}

export interface OdeSolution {
  /** the requested times */
  t: Float64Array;
  /** solution, row-major t.length × n */
  y: Float64Array;
  n: number;
  stats: OdeStats;
}

export interface OdeintOptions {
  /** registered method name (see tableauNames()) or a ButcherTableau */
  method: string | ButcherTableau;
  /** fixed step size h > 0 (required for fixed-grid stepping) */
  step?: number;
  /** relative tolerance (adaptive; default 1e-7) */
  rtol?: number;
  /** absolute tolerance (adaptive; default 1e-9) */
  atol?: number;
  /** first step size of the adaptive solver (default: Hairer's selection) */
  firstStep?: number;
  /** step limit (default 100000); exceeding it throws */
  maxSteps?: number;
  /**
   * adaptive step-size control (default: true for tableaux with embedded weights). `false` runs an
   * embedded pair on the fixed grid (needs `step`).
   */
  adaptive?: boolean;
  /**
   * adaptive only: shorten the last step so f is never evaluated beyond the final time (default false:
   * like torchdiffeq, step past it and interpolate)
   */
  clipToEnd?: boolean;
  /**
   * adaptive only: called after every attempted step with its start t0, size h, end t1, error ratio and
   * verdict (for decreasing times t0, t1 and h are in the caller's direction: h < 0)
   */
  onStep?: (step: StepRecord) => void;
}

/**
 * Reusable single-step workspace for one tableau and state size n: `step` computes the stages
 * k_i = f(t + c_i h, y + h Σ_j a_ij k_j), the new state y1 = y + h Σ b_i k_i and, for embedded pairs,
 * the error estimate err = h Σ (b_i − b̂_i) k_i. For FSAL tableaux k[s−1] is f(t + h, y1) afterwards.
 */
export class RkStepper {
  readonly tableau: ButcherTableau;
  readonly n: number;
  /** stage derivatives k_1..k_s of the last step */
  readonly k: Float64Array[];
  /** state after the last step */
  readonly y1: Float64Array;
  /** error estimate of the last step (zeros without embedded weights) */
  readonly err: Float64Array;
  private readonly tmp: Float64Array;
  private readonly e: Float64Array;

  constructor(tableau: ButcherTableau, n: number) {
    if (!(tableau instanceof ButcherTableau)) throw new TypeError(`RkStepper: tableau must be a ButcherTableau, got ${String(tableau)}`);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`RkStepper: n must be an integer ≥ 1, got ${String(n)}`);
    this.tableau = tableau;
    this.n = n;
    this.k = Array.from({ length: tableau.stages }, () => new Float64Array(n));
    this.y1 = new Float64Array(n);
    this.err = new Float64Array(n);
    this.tmp = new Float64Array(n);
    this.e = Float64Array.from(tableau.b, (b, i) => (tableau.bHat ? b - tableau.bHat[i] : 0));
  }

  /**
   * One step from (t, y) with size h. `f0`, if given, is taken as k_1 = f(t, y) (FSAL reuse, or the
   * derivative already known) instead of evaluating f. Returns the number of f evaluations made.
   */
  step(f: OdeFunction, t: number, y: Float64Array, h: number, f0?: Float64Array): number {
    const { a, b, c, stages: s, fsal } = this.tableau;
    const { n, k, tmp, y1, err, e } = this;
    if (y.length !== n) throw new RangeError(`RkStepper.step: y must have length ${n} (the stepper's n), got ${y.length}`);
    let fevals = 0;
    if (f0) k[0].set(f0);
    else {
      f(t, y, k[0]);
      fevals++;
    }
    for (let i = 1; i < s; i++) {
      const ai = a[i];
      for (let m = 0; m < n; m++) {
        let acc = 0;
        for (let j = 0; j < i; j++) if (ai[j] !== 0) acc += ai[j] * k[j][m];
        tmp[m] = y[m] + h * acc;
      }
      if (fsal && i === s - 1) y1.set(tmp); // last row of A is b: this stage's state is y1 exactly
      f(t + c[i] * h, tmp, k[i]);
      fevals++;
    }
    if (!(fsal && s > 1)) {
      for (let m = 0; m < n; m++) {
        let acc = 0;
        for (let i = 0; i < s; i++) if (b[i] !== 0) acc += b[i] * k[i][m];
        y1[m] = y[m] + h * acc;
      }
    }
    if (this.tableau.adaptive) {
      for (let m = 0; m < n; m++) {
        let acc = 0;
        for (let i = 0; i < s; i++) if (e[i] !== 0) acc += e[i] * k[i][m];
        err[m] = h * acc;
      }
    }
    return fevals;
  }
}

function toFloat64(name: string, v: ArrayLike<number>): Float64Array {
  if (v === null || typeof v !== 'object' || typeof v.length !== 'number') {
    throw new TypeError(`odeint: ${name} must be an array of numbers, got ${String(v)}`);
  }
  const out = Float64Array.from(v);
  out.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new RangeError(`odeint: ${name}[${i}] must be finite, got ${String(v[i])}`);
  });
  return out;
}

/** Throw when f wrote a non-finite derivative at a finite state (a broken right-hand side, not a blow-up). */
function checkDerivative(dy: Float64Array, t: number): void {
  for (let m = 0; m < dy.length; m++) {
    if (!Number.isFinite(dy[m])) throw new RangeError(`odeint: f returned a non-finite derivative dydt[${m}] = ${dy[m]} at t = ${t}`);
  }
}

/**
 * One explicit RK step y(t) → y(t + h) (allocating convenience wrapper around {@link RkStepper}).
 */
export function rkStep(method: string | ButcherTableau, f: OdeFunction, t: number, y: ArrayLike<number>, h: number): Float64Array {
  const tab = typeof method === 'string' ? getTableau(method) : method;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new RangeError(`rkStep: t must be a finite number, got ${String(t)}`);
  if (typeof h !== 'number' || !Number.isFinite(h)) throw new RangeError(`rkStep: h must be a finite number, got ${String(h)}`);
  const y0 = toFloat64('y', y);
  const st = new RkStepper(tab, y0.length);
  st.step(f, t, y0, h);
  return Float64Array.from(st.y1);
}

/**
 * Integrate y' = f(t, y), y(t[0]) = y0 and return y at every requested time (t strictly monotone;
 * decreasing times integrate backwards: internally s = −t and g(s, y) = −f(−s, y)).
 *
 * - Fixed grid (`step`, methods without embedded weights or `adaptive: false`): torchdiffeq's grid
 *   {@link fixedGrid} over [t[0], t[last]]; outputs at requested times by linear interpolation between
 *   the bracketing grid points.
 * - Adaptive (embedded pairs): error ratio r = RMS(err_m / (atol + rtol·max(|y0_m|, |y1_m|))); accept
 *   if r ≤ 1; next h = h·min(10, max(0.9·r^{−1/p}, 1 if r < 1 else 0.2)) with p the method's
 *   (propagated) order, as torchdiffeq; r = 0 gives 10h ({@link errorRatio}, {@link StepController}).
 *   First step by {@link initialStep}. Outputs by
 *   dense output: tableaux with `dense` weights (dopri5, tsit5) their 4th-order continuous extension,
 *   other pairs cubic Hermite from f(t0), f(t1). Steps may end past t[last] (torchdiffeq) unless `clipToEnd`.
 */
export function odeint(f: OdeFunction, y0: ArrayLike<number>, t: ArrayLike<number>, opts: OdeintOptions): OdeSolution {
  if (typeof f !== 'function') throw new TypeError(`odeint: f must be a function (t, y, dydt) => void, got ${typeof f}`);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`odeint: opts must be an object with a method, got ${String(opts)}`);
  const tab = typeof opts.method === 'string' ? getTableau(opts.method) : opts.method;
  if (!(tab instanceof ButcherTableau))
    throw new TypeError(`odeint: opts.method must be a method name or ButcherTableau, got ${String(opts.method)}`);
  const yInit = toFloat64('y0', y0);
  const n = yInit.length;
  if (n === 0) throw new RangeError('odeint: y0 must have at least one component');
  const times = toFloat64('t', t);
  if (times.length === 0) throw new RangeError('odeint: t must contain at least one time');
  const dir = times.length > 1 && times[1] < times[0] ? -1 : 1;
  for (let i = 1; i < times.length; i++) {
    if (!((times[i] - times[i - 1]) * dir > 0)) {
      throw new RangeError(
        `odeint: t must be strictly increasing or strictly decreasing; t[${i - 1}] = ${times[i - 1]}, t[${i}] = ${times[i]}`,
      );
    }
  }
  const maxSteps = opts.maxSteps ?? 100000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new RangeError(`odeint: maxSteps must be an integer ≥ 1, got ${String(opts.maxSteps)}`);
  const adaptive = opts.adaptive ?? tab.adaptive;
  if (adaptive && !tab.adaptive)
    throw new RangeError(`odeint: method "${tab.name}" has no embedded weights; adaptive stepping is impossible (give opts.step)`);

  const stats: OdeStats = { steps: 0, accepted: 0, rejected: 0, fevals: 0 };
  const out = new Float64Array(times.length * n);
  out.set(yInit, 0);
  const solution: OdeSolution = { t: Float64Array.from(times), y: out, n, stats };
  if (times.length === 1) return solution;

  // integrate in s = dir·t so that s increases
  const s = dir === 1 ? times : times.map((v) => -v);
  // the first evaluation, at the (finite) initial state, is checked: a non-finite f there is a broken
  // right-hand side; later non-finite values may be a blow-up and are left to the integrators
  const g: OdeFunction =
    dir === 1
      ? (tt, y, dy) => {
          f(tt, y, dy);
          if (stats.fevals++ === 0) checkDerivative(dy, tt);
        }
      : (tt, y, dy) => {
          f(-tt, y, dy);
          for (let m = 0; m < dy.length; m++) dy[m] = -dy[m];
          if (stats.fevals++ === 0) checkDerivative(dy, -tt);
        };

  if (!adaptive) {
    const h = opts.step;
    if (h === undefined) throw new RangeError(`odeint: method "${tab.name}" is fixed-step: opts.step is required`);
    if (!(typeof h === 'number' && h > 0 && Number.isFinite(h)))
      throw new RangeError(`odeint: opts.step must be a finite number > 0, got ${String(h)}`);
    integrateFixed(g, tab, yInit, s, h, out, stats, maxSteps);
  } else {
    // step records in the caller's time direction
    const onStep = opts.onStep;
    const report = onStep && dir === -1 ? (r: StepRecord) => onStep({ ...r, t0: -r.t0, t1: -r.t1, h: -r.h }) : onStep;
    integrateAdaptive(g, tab, yInit, s, { ...opts, onStep: report }, out, stats, maxSteps);
  }
  return solution;
}

function integrateFixed(
  g: OdeFunction,
  tab: ButcherTableau,
  yInit: Float64Array,
  s: Float64Array,
  h: number,
  out: Float64Array,
  stats: OdeStats,
  maxSteps: number,
): void {
  const n = yInit.length;
  const grid = fixedGrid(s[0], s[s.length - 1], h);
  if (grid.length - 1 > maxSteps) {
    throw new Error(
      `odeint: maxSteps = ${maxSteps} exceeded: the fixed grid over [${s[0]}, ${s[s.length - 1]}] with step ${h} has ${grid.length - 1} steps`,
    );
  }
  const st = new RkStepper(tab, n);
  let y = Float64Array.from(yInit);
  let fsalK: Float64Array | undefined;
  let j = 1;
  for (let i = 0; i + 1 < grid.length; i++) {
    const ta = grid[i];
    const tb = grid[i + 1];
    st.step(g, ta, y, tb - ta, fsalK);
    stats.steps++;
    stats.accepted++;
    // linear interpolation for every requested time in (ta, tb]
    while (j < s.length && s[j] <= tb) {
      const w = (s[j] - ta) / (tb - ta);
      const row = out.subarray(j * n, (j + 1) * n);
      for (let m = 0; m < n; m++) row[m] = y[m] + w * (st.y1[m] - y[m]);
      if (s[j] === tb) row.set(st.y1);
      j++;
    }
    y = Float64Array.from(st.y1);
    fsalK = tab.fsal && tab.stages > 1 ? st.k[tab.stages - 1] : undefined;
  }
}

function integrateAdaptive(
  g: OdeFunction,
  tab: ButcherTableau,
  yInit: Float64Array,
  s: Float64Array,
  opts: OdeintOptions,
  out: Float64Array,
  stats: OdeStats,
  maxSteps: number,
): void {
  const n = yInit.length;
  const rtol = opts.rtol ?? 1e-7;
  const atol = opts.atol ?? 1e-9;
  if (!(rtol >= 0 && Number.isFinite(rtol))) throw new RangeError(`odeint: rtol must be a finite number ≥ 0, got ${String(opts.rtol)}`);
  if (!(atol >= 0 && Number.isFinite(atol))) throw new RangeError(`odeint: atol must be a finite number ≥ 0, got ${String(opts.atol)}`);
  if (rtol === 0 && atol === 0) throw new RangeError('odeint: rtol and atol must not both be 0');
  const tEnd = s[s.length - 1];
  let y = Float64Array.from(yInit);
  let f0 = new Float64Array(n);
  g(s[0], y, f0);
  let h0: number;
  if (opts.firstStep !== undefined) {
    h0 = opts.firstStep;
    if (!(h0 > 0 && Number.isFinite(h0))) throw new RangeError(`odeint: opts.firstStep must be a finite number > 0, got ${String(h0)}`);
  } else {
    h0 = initialStep(g, s[0], y, f0, tab.order, rtol, atol);
    if (!(h0 > 0 && Number.isFinite(h0))) {
      throw new RangeError(
        `odeint: no first step could be estimated (h0 = ${h0}) with rtol = ${rtol}, atol = ${atol}; use larger tolerances or give opts.firstStep`,
      );
    }
  }
  const control = new StepController(s[0], h0, {
    order: tab.order,
    tEnd,
    maxSteps,
    clipToEnd: opts.clipToEnd ?? false,
    method: tab.name,
    onStep: opts.onStep,
  });
  const st = new RkStepper(tab, n);
  const f1 = new Float64Array(n);
  const dense = tab.dense;
  let j = 1;
  while (j < s.length) {
    const { t0: t, h, t1: tNew } = control.trial();
    st.step(g, t, y, h, f0);
    stats.steps++;
    const y1 = st.y1;
    let finite = true;
    for (let m = 0; m < n; m++) if (!Number.isFinite(y1[m])) finite = false;
    // a non-finite trial state is rejected and the step shrunk by the controller's floor 0.2
    const ratio = finite ? errorRatio(st.err, y, y1, rtol, atol) : Number.POSITIVE_INFINITY;
    if (!control.finish(ratio)) {
      stats.rejected++;
      continue;
    }
    stats.accepted++;
    // f at the new point: FSAL last stage, else one evaluation (reused as k_1 of the next step)
    if (tab.fsal && tab.stages > 1) f1.set(st.k[tab.stages - 1]);
    else g(tNew, y1, f1);
    while (j < s.length && s[j] <= tNew) {
      const theta = (s[j] - t) / h;
      const row = out.subarray(j * n, (j + 1) * n);
      if (s[j] === tNew) row.set(y1);
      else if (dense) denseOutput(denseWeights(dense, theta), st.k, y, h, row);
      else hermite(hermiteWeights(theta), y, f0, y1, f1, h, row);
      j++;
    }
    y = Float64Array.from(y1);
    f0 = Float64Array.from(f1);
  }
}

/** y(t + θh) = y0 + h Σ_i w_i k_i with the continuous-extension weights w_i = b_i(θ). */
function denseOutput(w: number[], k: Float64Array[], y0: Float64Array, h: number, out: Float64Array): void {
  for (let m = 0; m < y0.length; m++) {
    let acc = 0;
    for (let i = 0; i < w.length; i++) acc += w[i] * k[i][m];
    out[m] = y0[m] + h * acc;
  }
}

/** Cubic Hermite interpolation on [t, t + h] from values y0, y1 and slopes f0, f1 (weights w). */
function hermite(w: number[], y0: Float64Array, f0: Float64Array, y1: Float64Array, f1: Float64Array, h: number, out: Float64Array): void {
  for (let m = 0; m < y0.length; m++) out[m] = w[0] * y0[m] + w[1] * h * f0[m] + w[2] * y1[m] + w[3] * h * f1[m];
}
