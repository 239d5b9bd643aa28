/**
 * Teacher–student data (METHOD.md §7): a float64 teacher MLP vector field dx/dt = f(x, u), SII-initialized,
 * simulated with dopri5 from y0 ~ U(0, 1)^n under a noisy PWM input (training: sin-modulated duty,
 * validation: cos-modulated, fresh y0 and noise), plus all 10-sample windows and the teacher's
 * poles (eigenvalues of ∂f/∂x) along each trajectory.
 *
 * Conventions:
 * - The input is sampled at t_k = k·dt only; the solver sees u(t) linearly interpolated between
 *   samples. Each interval [t_k, t_{k+1}] is integrated by its own dopri5 call (the right-hand side
 *   is smooth inside an interval, the kinks of the interpolant sit on interval ends).
 * - No state scaling: the trajectories are the teacher's raw states (as in the paper).
 * - Random streams: root = new Rng(seed); teacher weights from root.fork('teacher'); the training
 *   split from root.fork('train') → fork('y0') and fork('noise'); validation likewise from
 *   root.fork('val'). N teachers are N seeds.
 */

import { type SiiPreset, siiInit } from '@sii/init';
import { type Complex, eigenvalues, Rng } from '@sii/linalg';
import { type ActivationName, type MlpSpec, type MlpWeights, mlpFunction64, mlpJacobian64 } from '@sii/mlp';
import { odeint } from '@sii/rk';
import { checkFinite, checkInt, checkNonNegative, checkOneOf, checkPositive, checkSeed } from '../latent/checks.js';
import { interpolateSamples, type PwmModulation, pwmInput } from './pwm.js';

export type TeacherSetting = 'incl' | 'excl';
export const TEACHER_SETTINGS: readonly TeacherSetting[] = ['incl', 'excl'];

/** How the teacher is built (METHOD.md §7). */
export interface TeacherConfig {
  states: number;
  inputs: number;
  hidden: number;
  layers: number;
  activation: ActivationName;
  /** Step h the poles are scaled by (λ = z / h). */
  h: number;
  eps: number;
  complex: boolean;
  /** Solver whose region the poles are sampled inside (ignored with exclusive sampling). */
  solver: string;
  /** Exclusive sampling: poles with |R_q(z)| ≥ 1 − eps only (outside the order-q Taylor region). */
  exclusive: boolean;
  exclusionOrder?: number;
}

/**
 * 'incl': n 4, poles inside the Euler region by 0.2 (|1 + hλ| < 0.8).
 * 'excl': n 2, poles outside the RK4 region by 0.2 (|R_4(hλ)| ≥ 1.2).
 * Both: m 1, ELU, H 128, L 3, h 0.1, complex poles, eps −0.2.
 */
export const TEACHER_CONFIGS: Readonly<Record<TeacherSetting, Readonly<TeacherConfig>>> = {
  incl: {
    states: 4,
    inputs: 1,
    hidden: 128,
    layers: 3,
    activation: 'elu',
    h: 0.1,
    eps: -0.2,
    complex: true,
    solver: 'euler',
    exclusive: false,
  },
  excl: {
    states: 2,
    inputs: 1,
    hidden: 128,
    layers: 3,
    activation: 'elu',
    h: 0.1,
    eps: -0.2,
    complex: true,
    solver: 'rk4',
    exclusive: true,
    exclusionOrder: 4,
  },
};

export interface TeacherStudentOptions {
  setting: TeacherSetting;
  seed: number | string;
  /** Samples per trajectory (default 300: t = 0, 0.1, …, 29.9). */
  samples?: number;
  /** Sample time (default 0.1). */
  dt?: number;
  /** Window length (default 10); every start index 0..samples − window is used. */
  window?: number;
  /** Standard deviation of the input noise (default 0.1). */
  noiseStd?: number;
  /** dopri5 tolerances (defaults 1e-7 and 1e-9). */
  rtol?: number;
  atol?: number;
  /** SII sampling preset of @sii/init: 'default' the solver's exact R(z), 'reference' the authors' Taylor polynomial (default 'default'). */
  preset?: SiiPreset;
  /** Overrides of the setting's teacher configuration (hidden, layers, activation, h, eps, …). */
  teacher?: Partial<TeacherConfig>;
  /** Compute the poles along the trajectories (default true). */
  trajectoryPoles?: boolean;
  /**
   * Unpaired arms, as in the paper's code: in its train.py the student is built before the data, so
   * the teacher's poles (numpy's stream), y0 and input noise are drawn after the student's init and
   * differ between the SII and baseline arms, while the teacher's orthogonal factors, input-block
   * draws and biases come from a fixed torch seed and are shared. With `arm` set, the poles come from
   * root.fork(`arm:<arm>`).fork('poles') and each split's y0 and noise from root.fork(`arm:<arm>`)
   * instead of root; the factors and biases still come from root.fork('teacher') (drawn after no
   * poles: they differ from the paired teacher's). Default: none (one teacher for every arm).
   */
  arm?: string;
}

export interface TeacherWindows {
  /** Number of windows W = samples − window + 1. */
  count: number;
  /** [W, window, n]. */
  states: Float32Array;
  /** [W, window, m]. */
  inputs: Float32Array;
}

export interface TeacherTrajectory {
  /** Initial state y0 ~ U(0, 1)^n (float64). */
  y0: Float64Array;
  /** States [T, n] (float32; states64 holds the float64 solution). */
  states: Float32Array;
  states64: Float64Array;
  /** Sampled noisy inputs [T, m] (float32; inputs64: float64). */
  inputs: Float32Array;
  inputs64: Float64Array;
  windows: TeacherWindows;
  /**
   * Eigenvalues of ∂f/∂x(x_k, u_k) at every sample, [T, n, 2] as (re, im), each sample's values in
   * @sii/linalg's order (descending real part, conjugate pairs adjacent). Empty if trajectoryPoles is false.
   */
  poles: Float64Array;
}

export interface TeacherStudentData {
  setting: TeacherSetting;
  seed: number | string;
  /** The arm whose poles, y0 and noise these are (unpaired arms), else undefined. */
  arm?: string;
  config: TeacherConfig;
  /** MLP spec of the teacher (for mlpForward64 / @sii/neural-ode). */
  spec: MlpSpec;
  /** Float64 teacher weights (row convention y = x·W + b). */
  weights: MlpWeights;
  /** The sampled poles (eigenvalues of ∂f/∂x at the origin). */
  teacherPoles: Complex[];
  /** The same as [n, 2] (re, im). */
  teacherPolesArray: Float64Array;
  samples: number;
  dt: number;
  window: number;
  /** Sample times t_k = k·dt. */
  t: Float64Array;
  train: TeacherTrajectory;
  val: TeacherTrajectory;
}

function resolveConfig(setting: TeacherSetting, overrides?: Partial<TeacherConfig>): TeacherConfig {
  const c: TeacherConfig = { ...TEACHER_CONFIGS[setting], ...(overrides ?? {}) };
  checkInt('teacher.states', c.states, 1);
  checkInt('teacher.inputs', c.inputs, 1);
  checkInt('teacher.hidden', c.hidden, c.states);
  checkInt('teacher.layers', c.layers, 2);
  checkPositive('teacher.h', c.h);
  checkFinite('teacher.eps', c.eps);
  return c;
}

/**
 * Simulate the teacher dx/dt = f(x, u(t)) with u linearly interpolated between the samples
 * (inputs [T, m] at t_k = k·dt); returns the states [T, n] at the sample times.
 */
export function simulateTeacher(
  spec: MlpSpec,
  weights: MlpWeights,
  y0: ArrayLike<number>,
  inputs: Float64Array,
  dt: number,
  tol: { rtol?: number; atol?: number } = {},
): Float64Array {
  const n = spec.states;
  const m = spec.inputs;
  checkPositive('dt', dt);
  if (y0?.length !== n) throw new RangeError(`y0 must have length states = ${n}, got ${y0?.length}`);
  if (m < 1 || inputs.length % m !== 0) throw new RangeError(`inputs.length (${inputs.length}) must be a multiple of spec.inputs (${m})`);
  const samples = inputs.length / m;
  const f = mlpFunction64(spec, weights);
  const u = new Float64Array(m);
  const rhs = (t: number, x: Float64Array, dx: Float64Array) => {
    interpolateSamples(inputs, m, 0, dt, t, u);
    f(x, u, dx);
  };
  const out = new Float64Array(samples * n);
  const y = Float64Array.from(y0);
  out.set(y, 0);
  // clipToEnd: never evaluate f beyond t_{k+1}, where the next linear piece of u starts.
  const opts = { method: 'dopri5', rtol: tol.rtol ?? 1e-7, atol: tol.atol ?? 1e-9, clipToEnd: true };
  for (let k = 0; k + 1 < samples; k++) {
    // One solve per interval: the interpolated input is linear (smooth) inside it.
    const sol = odeint(rhs, y, [k * dt, (k + 1) * dt], opts);
    y.set(sol.y.subarray(n, 2 * n));
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(y[i])) throw new Error(`teacher simulation diverged at t = ${((k + 1) * dt).toFixed(3)} (state ${i} = ${y[i]})`);
    }
    out.set(y, (k + 1) * n);
  }
  return out;
}

/** All windows of `window` consecutive samples (every start index) of a [T, c] series, as float32 [W, window, c]. */
export function slidingWindows(series: ArrayLike<number>, channels: number, window: number): Float32Array {
  checkInt('channels', channels, 1);
  checkInt('window', window, 1);
  const T = series.length / channels;
  if (!Number.isInteger(T) || T < window) {
    throw new RangeError(`series must hold at least window = ${window} rows of ${channels} channels, got length ${series.length}`);
  }
  const W = T - window + 1;
  const out = new Float32Array(W * window * channels);
  for (let s = 0; s < W; s++) {
    for (let i = 0; i < window * channels; i++) out[s * window * channels + i] = series[s * channels + i];
  }
  return out;
}

/** Eigenvalues of the teacher's Jacobian at every (x_k, u_k): [T, n, 2] (re, im). */
export function polesAlongTrajectory(spec: MlpSpec, weights: MlpWeights, states: Float64Array, inputs: Float64Array): Float64Array {
  const n = spec.states;
  const m = spec.inputs;
  const T = states.length / n;
  if (inputs.length !== T * m) throw new RangeError(`inputs must have length T·m = ${T * m}, got ${inputs.length}`);
  const out = new Float64Array(T * n * 2);
  for (let k = 0; k < T; k++) {
    const J = mlpJacobian64(spec, weights, states.subarray(k * n, (k + 1) * n), inputs.subarray(k * m, (k + 1) * m));
    const ev = eigenvalues(J);
    ev.forEach((z, i) => {
      out[(k * n + i) * 2] = z.re;
      out[(k * n + i) * 2 + 1] = z.im;
    });
  }
  return out;
}

/** Generate one teacher and its training/validation data from one seed. */
export function generateTeacherStudent(opts: TeacherStudentOptions): TeacherStudentData {
  if (opts == null || typeof opts !== 'object') throw new TypeError(`opts must be an object, got ${String(opts)}`);
  const setting = checkOneOf('setting', opts.setting, TEACHER_SETTINGS);
  const seed = checkSeed('seed', opts.seed);
  const window = checkInt('window', opts.window ?? 10, 1);
  const samples = checkInt('samples', opts.samples ?? 300, window);
  const dt = checkPositive('dt', opts.dt ?? 0.1);
  const noiseStd = checkNonNegative('noiseStd', opts.noiseStd ?? 0.1);
  const rtol = checkPositive('rtol', opts.rtol ?? 1e-7);
  const atol = checkPositive('atol', opts.atol ?? 1e-9);
  const config = resolveConfig(setting, opts.teacher);
  const spec: MlpSpec = {
    states: config.states,
    inputs: config.inputs,
    hidden: config.hidden,
    layers: config.layers,
    activation: config.activation,
  };
  if (opts.arm !== undefined && (typeof opts.arm !== 'string' || opts.arm === '')) {
    throw new TypeError(`arm must be a non-empty string, got ${JSON.stringify(opts.arm)}`);
  }
  const root = new Rng(seed);
  const armRoot = opts.arm === undefined ? null : root.fork(`arm:${opts.arm}`);
  const teacherInit = {
    ...spec,
    solver: config.solver,
    h: config.h,
    complex: config.complex,
    eps: config.eps,
    exclusive: config.exclusive,
    ...(config.exclusionOrder !== undefined ? { exclusionOrder: config.exclusionOrder } : {}),
    preset: opts.preset ?? 'default',
  };
  // Unpaired arms: this arm's poles (same sampler), shared factors and biases.
  const armPoles = armRoot ? siiInit({ ...teacherInit, rng: armRoot.fork('poles') }).poles : undefined;
  const init = siiInit({ ...teacherInit, ...(armPoles ? { poles: armPoles } : {}), rng: root.fork('teacher') });
  const weights: MlpWeights = { weights: init.weights, biases: init.biases };
  const n = spec.states;
  const m = spec.inputs;

  const trajectory = (split: 'train' | 'val', modulation: PwmModulation): TeacherTrajectory => {
    const rng = (armRoot ?? root).fork(split);
    const y0 = rng.fork('y0').fillUniform(new Float64Array(n), 0, 1);
    // Every input channel gets the same PWM signal with independent noise (m = 1 in the paper).
    const noise = rng.fork('noise');
    const inputs64 = new Float64Array(samples * m);
    for (let c = 0; c < m; c++) {
      const u = pwmInput({ samples, dt, modulation, noiseStd, rng: c === 0 ? noise : noise.fork(c) });
      for (let k = 0; k < samples; k++) inputs64[k * m + c] = u[k];
    }
    const states64 = simulateTeacher(spec, weights, y0, inputs64, dt, { rtol, atol });
    return {
      y0,
      states: Float32Array.from(states64),
      states64,
      inputs: Float32Array.from(inputs64),
      inputs64,
      windows: {
        count: samples - window + 1,
        states: slidingWindows(states64, n, window),
        inputs: slidingWindows(inputs64, m, window),
      },
      poles: opts.trajectoryPoles === false ? new Float64Array(0) : polesAlongTrajectory(spec, weights, states64, inputs64),
    };
  };

  const teacherPolesArray = new Float64Array(2 * n);
  init.poles.forEach((z, i) => {
    teacherPolesArray[2 * i] = z.re;
    teacherPolesArray[2 * i + 1] = z.im;
  });
  return {
    setting,
    seed,
    ...(opts.arm !== undefined ? { arm: opts.arm } : {}),
    config,
    spec,
    weights,
    teacherPoles: init.poles,
    teacherPolesArray,
    samples,
    dt,
    window,
    t: Float64Array.from({ length: samples }, (_, k) => k * dt),
    train: trajectory('train', 'sin'),
    val: trajectory('val', 'cos'),
  };
}
