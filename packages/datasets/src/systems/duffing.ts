/**
 * Duffing oscillator driven by a random-phase multisine:
 *   x'' + δ x' + α x + β x³ = u(t),   state [x, v = x'],   y = x + e,  e ~ N(0, noiseStd²).
 * Energy E = v²/2 + α x²/2 + β x⁴/4 obeys dE/dt = u v − δ v² (duffingEnergy).
 */
import { checkFinite, checkNonNegative, checkPositive } from '../latent/checks.js';
import {
  type BuiltinDatasetOptions,
  buildSimulatedSplit,
  checkBuiltinOptions,
  multisineRecord,
  type SimulatedForecastSplit,
  type SimulationTolerance,
  simulateDriven,
} from './common.js';

export interface DuffingParams {
  /** Damping δ >= 0. */
  delta: number;
  /** Linear stiffness α. */
  alpha: number;
  /** Cubic stiffness β. */
  beta: number;
}

export const DUFFING_DEFAULTS: Readonly<DuffingParams> = { delta: 0.2, alpha: 1, beta: 1 };

function duffingParams(params?: Partial<DuffingParams>): DuffingParams {
  const p = { ...DUFFING_DEFAULTS, ...(params ?? {}) };
  checkNonNegative('params.delta', p.delta);
  checkFinite('params.alpha', p.alpha);
  checkFinite('params.beta', p.beta);
  return p;
}

/** E = v²/2 + α x²/2 + β x⁴/4. */
export function duffingEnergy(x: number, v: number, params?: Partial<DuffingParams>): number {
  const { alpha, beta } = duffingParams(params);
  return 0.5 * v * v + 0.5 * alpha * x * x + 0.25 * beta * x ** 4;
}

/** Simulate with @sii/rk dopri5 (default rtol 1e-7, atol 1e-9); returns the states [T, 2] = (x, v). */
export function simulateDuffing(
  u: (t: number) => number,
  x0: ArrayLike<number>,
  t: ArrayLike<number>,
  params?: Partial<DuffingParams>,
  tol: SimulationTolerance = {},
): Float64Array {
  const { delta, alpha, beta } = duffingParams(params);
  if (x0?.length !== 2 || !Number.isFinite(x0[0]) || !Number.isFinite(x0[1])) {
    throw new RangeError(`x0 must be [x, v] with finite values, got ${JSON.stringify(Array.from(x0 ?? []))}`);
  }
  const rhs = (input: (t: number) => number) => (tt: number, y: Float64Array, dy: Float64Array) => {
    const x = y[0];
    dy[0] = y[1];
    dy[1] = input(tt) - delta * y[1] - alpha * x - beta * x * x * x;
  };
  return simulateDriven(u, rhs, x0, t, tol);
}

export interface DuffingOptions extends BuiltinDatasetOptions {
  params?: Partial<DuffingParams>;
  /** Sample time (default 0.1). */
  dt?: number;
  /** Multisine input: RMS (default 0.5), band [fMin, fMax] (defaults 1/period and 0.5 per time unit), mean 0. */
  input?: { rms?: number; fMin?: number; fMax?: number };
}

/**
 * Seeded Duffing forecasting data: input u (multisine), target y = x + noise (default noiseStd 0.01),
 * records of 2048 samples (train and test; val 0 by default) starting at rest (x = v = 0).
 */
export function generateDuffing(opts: DuffingOptions): SimulatedForecastSplit {
  const checked = checkBuiltinOptions('generateDuffing', opts, {
    samples: { train: 2048, val: 0, test: 2048 },
    noiseStd: 0.01,
  });
  const params = duffingParams(opts.params);
  const dt = checkPositive('dt', opts.dt ?? 0.1);
  const rms = checkPositive('input.rms', opts.input?.rms ?? 0.5);
  const fMax = checkPositive('input.fMax', opts.input?.fMax ?? 0.5);
  const fMin = opts.input?.fMin;
  const system = {
    input: { fMax, rms, ...(fMin !== undefined ? { fMin } : {}) },
    simulate: (u: (t: number) => number, t: Float64Array) => simulateDuffing(u, [0, 0], t, params),
    states: 2,
    measured: 0, // y = x
  };
  return buildSimulatedSplit({ name: 'duffing', dt, inputNames: ['u'], targetNames: ['y'] }, checked, (samples, rng) =>
    multisineRecord(system, samples, dt, checked.noiseStd, rng),
  );
}
