/** Shared plumbing of the built-in input–output systems: record simulation and dataset assembly. */
import { Rng } from '@sii/linalg';
import { odeint, type OdeFunction } from '@sii/rk';
import { buildForecastSplit, type ForecastSplit, makeSegment, type Segment } from '../forecast/types.js';
import { checkInt, checkNonNegative, checkSeed } from '../latent/checks.js';
import { type MultisineOptions, multisine } from './multisine.js';

/** One simulated record (Float64, row-major). */
export interface SimulatedRecord {
  /** Sample times [T]. */
  t: Float64Array;
  /** Inputs [T, m] at the sample times. */
  inputs: Float64Array;
  /** Noise-free states [T, n]. */
  states: Float64Array;
  /** Noisy measured outputs [T, p] (the forecasting targets). */
  outputs: Float64Array;
}

export interface SimulatedForecastSplit extends ForecastSplit {
  /** The raw records behind each split. */
  records: { train: SimulatedRecord; val?: SimulatedRecord; test: SimulatedRecord };
}

export interface RecordLengths {
  /** Samples of the training record. */
  train: number;
  /** Samples of the validation record (0 or absent: no validation split). */
  val?: number;
  test: number;
}

export interface BuiltinDatasetOptions {
  seed: number | string;
  /** Record lengths in samples. */
  samples?: RecordLengths;
  /** Window length (steps) and stride of the forecasting windows (defaults 64 and 1). */
  window?: number;
  stride?: number;
  /** Standard deviation of the additive Gaussian measurement noise on the outputs. */
  noiseStd?: number;
}

export function checkBuiltinOptions(
  name: string,
  opts: BuiltinDatasetOptions,
  defaults: { samples: RecordLengths; noiseStd: number },
): { seed: number | string; samples: Required<RecordLengths>; window: number; stride: number; noiseStd: number } {
  if (opts == null || typeof opts !== 'object') throw new TypeError(`${name}: opts must be an object, got ${String(opts)}`);
  const seed = checkSeed('seed', opts.seed);
  const s = opts.samples ?? defaults.samples;
  const window = checkInt('window', opts.window ?? 64, 1);
  const samples = {
    train: checkInt('samples.train', s.train, window),
    val: checkInt('samples.val', s.val ?? 0, 0),
    test: checkInt('samples.test', s.test, window),
  };
  if (samples.val > 0 && samples.val < window) {
    throw new RangeError(`samples.val must be 0 or >= window (${window}), got ${samples.val}`);
  }
  return {
    seed,
    samples,
    window,
    stride: checkInt('stride', opts.stride ?? 1, 1),
    noiseStd: checkNonNegative('noiseStd', opts.noiseStd ?? defaults.noiseStd),
  };
}

/**
 * Simulate the train/val/test records (each from its own rng.fork(split name) of new Rng(seed)) and
 * build the standardized, windowed ForecastSplit (statistics from the training record only).
 */
export function buildSimulatedSplit(
  meta: { name: string; dt: number; inputNames: readonly string[]; targetNames: readonly string[] },
  checked: ReturnType<typeof checkBuiltinOptions>,
  simulate: (samples: number, rng: Rng) => SimulatedRecord,
): SimulatedForecastSplit {
  const root = new Rng(checked.seed);
  const m = meta.inputNames.length;
  const p = meta.targetNames.length;
  const toSegment = (r: SimulatedRecord): Segment => makeSegment(r.inputs, r.outputs, m, p);
  const train = simulate(checked.samples.train, root.fork('train'));
  const test = simulate(checked.samples.test, root.fork('test'));
  const val = checked.samples.val > 0 ? simulate(checked.samples.val, root.fork('val')) : undefined;
  const split = buildForecastSplit({
    name: meta.name,
    dt: meta.dt,
    inputNames: meta.inputNames,
    targetNames: meta.targetNames,
    train: [toSegment(train)],
    test: [toSegment(test)],
    ...(val ? { val: [toSegment(val)] } : {}),
    window: checked.window,
    stride: checked.stride,
  });
  return { ...split, records: val ? { train, val, test } : { train, test } };
}

/** Add N(0, std²) noise (from rng) to a copy of `values`. */
export function addNoise(values: Float64Array, std: number, rng: Rng): Float64Array {
  const out = Float64Array.from(values);
  if (std > 0) for (let i = 0; i < out.length; i++) out[i] += rng.normal(0, std);
  return out;
}

/** Tolerances of a driven system's dopri5 simulation (defaults rtol 1e-7, atol 1e-9). */
export interface SimulationTolerance {
  rtol?: number;
  atol?: number;
}

/**
 * Integrate a system driven by the input signal u with @sii/rk dopri5 from x0 at the times t; returns
 * the states [T, n]. `rhs` is built from the checked u.
 */
export function simulateDriven(
  u: (t: number) => number,
  rhs: (u: (t: number) => number) => OdeFunction,
  x0: ArrayLike<number>,
  t: ArrayLike<number>,
  tol: SimulationTolerance = {},
): Float64Array {
  if (typeof u !== 'function') throw new TypeError(`u must be a function of t, got ${typeof u}`);
  return odeint(rhs(u), x0, t, { method: 'dopri5', rtol: tol.rtol ?? 1e-7, atol: tol.atol ?? 1e-9 }).y;
}

/** A single-input, single-output system driven by a random-phase multisine. */
export interface MultisineDrivenSystem {
  /** The multisine (its period is the record length; its rng is the record's fork 'input'). */
  input: Omit<MultisineOptions, 'period' | 'rng'>;
  /** Applied to the multisine's value, e.g. clipping at 0 (default: none). */
  shapeInput?: (value: number) => number;
  /** States [T, n] at the sample times t for the input signal u (sampled: inputs). */
  simulate(u: (t: number) => number, t: Float64Array, inputs: Float64Array): Float64Array;
  /** Number of states n and the index of the measured one (the output before noise). */
  states: number;
  measured: number;
}

/**
 * One record of `samples` samples every dt: the input sampled from its multisine (rng.fork('input')),
 * the states, and the measured state plus N(0, noiseStd²) noise (rng.fork('noise')).
 */
export function multisineRecord(system: MultisineDrivenSystem, samples: number, dt: number, noiseStd: number, rng: Rng): SimulatedRecord {
  const ms = multisine({ ...system.input, period: samples * dt, rng: rng.fork('input') });
  const shape = system.shapeInput;
  const u = shape ? (t: number) => shape(ms.evaluate(t)) : (t: number) => ms.evaluate(t);
  const t = Float64Array.from({ length: samples }, (_, k) => k * dt);
  const inputs = t.map(u);
  const states = system.simulate(u, t, inputs);
  const clean = Float64Array.from({ length: samples }, (_, k) => states[system.states * k + system.measured]);
  return { t, inputs, states, outputs: addNoise(clean, noiseStd, rng.fork('noise')) };
}
