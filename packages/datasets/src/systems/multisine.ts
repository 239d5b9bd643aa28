/**
 * Random-phase multisine: u(t) = mean + a · Σ_k cos(2π f_k t + φ_k), f_k = k / period for every
 * integer k with fMin <= f_k <= fMax, phases φ_k ~ U(0, 2π) (seeded), equal amplitudes
 * a = rms · √(2 / K) so that the periodic signal has the requested RMS around its mean.
 */
import type { Rng } from '@sii/linalg';
import { checkFinite, checkNonNegative, checkPositive } from '../latent/checks.js';

export interface MultisineOptions {
  /** Period P of the signal (usually the record length); frequencies are multiples of 1/P. */
  period: number;
  /** Band in Hz (cycles per time unit); fMin defaults to 1/P. */
  fMin?: number;
  fMax: number;
  rms: number;
  mean?: number;
  rng: Rng;
}

export interface Multisine {
  frequencies: Float64Array;
  phases: Float64Array;
  amplitude: number;
  mean: number;
  /** u(t). */
  evaluate(t: number): number;
}

export function multisine(opts: MultisineOptions): Multisine {
  const period = checkPositive('period', opts.period);
  const fMax = checkPositive('fMax', opts.fMax);
  const fMin = checkPositive('fMin', opts.fMin ?? 1 / period);
  const rms = checkNonNegative('rms', opts.rms);
  const mean = checkFinite('mean', opts.mean ?? 0);
  const kMin = Math.max(1, Math.ceil(fMin * period - 1e-9));
  const kMax = Math.floor(fMax * period + 1e-9);
  if (kMax < kMin) {
    throw new RangeError(`multisine: no frequency k/period in [fMin, fMax] = [${fMin}, ${fMax}] (period ${period})`);
  }
  const count = kMax - kMin + 1;
  const frequencies = new Float64Array(count);
  const phases = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    frequencies[i] = (kMin + i) / period;
    phases[i] = opts.rng.uniform(0, 2 * Math.PI);
  }
  const amplitude = rms * Math.sqrt(2 / count);
  const omega = frequencies.map((f) => 2 * Math.PI * f);
  return {
    frequencies,
    phases,
    amplitude,
    mean,
    evaluate(t: number): number {
      let s = 0;
      for (let i = 0; i < count; i++) s += Math.cos(omega[i] * t + phases[i]);
      return mean + amplitude * s;
    },
  };
}
