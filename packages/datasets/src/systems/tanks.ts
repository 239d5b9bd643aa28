/**
 * Cascaded water tanks (after the nonlinear system-identification benchmark of Schoukens, Mattsson,
 * Wigren & Noël): a pump (input u ≥ 0) fills tank 1, which drains through a small opening into tank 2.
 * Levels x1, x2 ∈ [0, hMax] (Torricelli outflow ∝ √level); model equations used here:
 *
 *   a  = k4·u − k1·√x1                         net inflow rate of tank 1
 *   x1' = a,  except x1' = 0 when x1 ≥ hMax and a > 0 (tank 1 overflows at the rate a)
 *   o  = a when tank 1 overflows, else 0
 *   x2' = k2·√x1 − k3·√x2 + γ·o                a fraction γ of the overflow falls into tank 2
 *   x2' = 0 when x2 ≥ hMax and the above is > 0 (tank 2 overflows; that water is lost)
 *   y  = x2 + e,  e ~ N(0, noiseStd²)
 *
 * √ is taken of max(x, 0). Equilibrium at a constant input u (cascadedTanksEquilibrium):
 * x1* = min((k4 u / k1)², hMax), o* = max(0, k4 u − k1 √hMax) if x1* = hMax,
 * x2* = min(((k2 √x1* + γ o*) / k3)², hMax).
 */
import { checkFinite, checkPositive } from '../latent/checks.js';
import {
  type BuiltinDatasetOptions,
  buildSimulatedSplit,
  checkBuiltinOptions,
  multisineRecord,
  type SimulatedForecastSplit,
  type SimulationTolerance,
  simulateDriven,
} from './common.js';

export interface CascadedTanksParams {
  k1: number;
  k2: number;
  k3: number;
  k4: number;
  /** Tank height (both tanks). */
  hMax: number;
  /** Fraction γ ∈ [0, 1] of tank 1's overflow that falls into tank 2. */
  overflowFraction: number;
}

export const CASCADED_TANKS_DEFAULTS: Readonly<CascadedTanksParams> = {
  k1: 0.5,
  k2: 0.45,
  k3: 0.5,
  k4: 0.22,
  hMax: 10,
  overflowFraction: 0.5,
};

function tankParams(params?: Partial<CascadedTanksParams>): CascadedTanksParams {
  const p = { ...CASCADED_TANKS_DEFAULTS, ...(params ?? {}) };
  for (const key of ['k1', 'k2', 'k3', 'k4', 'hMax'] as const) checkPositive(`params.${key}`, p[key]);
  if (!(p.overflowFraction >= 0 && p.overflowFraction <= 1)) {
    throw new RangeError(`params.overflowFraction must be in [0, 1], got ${p.overflowFraction}`);
  }
  return p;
}

/** Right-hand side of the tank model for an input signal u(t) (clipped at 0: the pump cannot suck). */
export function cascadedTanksRhs(
  u: (t: number) => number,
  params?: Partial<CascadedTanksParams>,
): (t: number, x: Float64Array, dx: Float64Array) => void {
  const { k1, k2, k3, k4, hMax, overflowFraction: gamma } = tankParams(params);
  return (t, x, dx) => {
    const s1 = Math.sqrt(Math.max(x[0], 0));
    const s2 = Math.sqrt(Math.max(x[1], 0));
    let a = k4 * Math.max(u(t), 0) - k1 * s1;
    let overflow = 0;
    if (x[0] >= hMax && a > 0) {
      overflow = a;
      a = 0;
    }
    let b = k2 * s1 - k3 * s2 + gamma * overflow;
    if (x[1] >= hMax && b > 0) b = 0;
    dx[0] = a;
    dx[1] = b;
  };
}

/** Analytic equilibrium [x1*, x2*] at a constant input u >= 0. */
export function cascadedTanksEquilibrium(u: number, params?: Partial<CascadedTanksParams>): [number, number] {
  checkFinite('u', u);
  const { k1, k2, k3, k4, hMax, overflowFraction: gamma } = tankParams(params);
  const uu = Math.max(u, 0);
  const x1 = Math.min(((k4 * uu) / k1) ** 2, hMax);
  const overflow = x1 >= hMax ? Math.max(0, k4 * uu - k1 * Math.sqrt(hMax)) : 0;
  const x2 = Math.min(((k2 * Math.sqrt(x1) + gamma * overflow) / k3) ** 2, hMax);
  return [x1, x2];
}

/**
 * Simulate the tanks with @sii/rk dopri5 (default rtol 1e-7, atol 1e-9) from x0 at the times t;
 * returns the states [T, 2], clipped to [0, hMax].
 */
export function simulateCascadedTanks(
  u: (t: number) => number,
  x0: ArrayLike<number>,
  t: ArrayLike<number>,
  params?: Partial<CascadedTanksParams>,
  tol: SimulationTolerance = {},
): Float64Array {
  const p = tankParams(params);
  if (x0?.length !== 2 || !(x0[0] >= 0 && x0[0] <= p.hMax && x0[1] >= 0 && x0[1] <= p.hMax)) {
    throw new RangeError(`x0 must be [x1, x2] with levels in [0, hMax = ${p.hMax}], got ${JSON.stringify(Array.from(x0 ?? []))}`);
  }
  const y = simulateDriven(u, (input) => cascadedTanksRhs(input, p), x0, t, tol);
  for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(y[i], 0), p.hMax);
  return y;
}

export interface CascadedTanksOptions extends BuiltinDatasetOptions {
  params?: Partial<CascadedTanksParams>;
  /** Sample time (default 4, as in the benchmark). */
  dt?: number;
  /** Multisine input: mean (default 5), RMS (default 1.5), band up to fMax (default 0.015 per time unit). */
  input?: { mean?: number; rms?: number; fMax?: number };
}

/**
 * Seeded cascaded-tanks forecasting data: input u (pump, multisine with random phases, clipped at 0),
 * target y = x2 + noise (default noiseStd 0.05); records of 1024 samples (train and test; val 0 by
 * default) starting at the equilibrium for u(0); ForecastSplit standardized with training statistics.
 */
export function generateCascadedTanks(opts: CascadedTanksOptions): SimulatedForecastSplit {
  const checked = checkBuiltinOptions('generateCascadedTanks', opts, {
    samples: { train: 1024, val: 0, test: 1024 },
    noiseStd: 0.05,
  });
  const params = tankParams(opts.params);
  const dt = checkPositive('dt', opts.dt ?? 4);
  const mean = checkFinite('input.mean', opts.input?.mean ?? 5);
  const rms = checkPositive('input.rms', opts.input?.rms ?? 1.5);
  const fMax = checkPositive('input.fMax', opts.input?.fMax ?? 0.015);
  const system = {
    input: { fMax, rms, mean },
    shapeInput: (v: number) => Math.max(v, 0), // the pump cannot suck
    simulate: (u: (t: number) => number, t: Float64Array, inputs: Float64Array) =>
      simulateCascadedTanks(u, cascadedTanksEquilibrium(inputs[0], params), t, params),
    states: 2,
    measured: 1, // y = x2
  };
  return buildSimulatedSplit({ name: 'cascaded-tanks', dt, inputNames: ['u'], targetNames: ['y'] }, checked, (samples, rng) =>
    multisineRecord(system, samples, dt, checked.noiseStd, rng),
  );
}
