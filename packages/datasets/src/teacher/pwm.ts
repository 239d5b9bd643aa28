/** Input signals of the teacher–student study (METHOD.md §7). */
import type { Rng } from '@sii/linalg';
import { checkFinite, checkInt, checkNonNegative, checkPositive } from '../latent/checks.js';

/**
 * Square wave with scipy.signal.square semantics: period 2π in `phase`; +1 while
 * (phase mod 2π) < duty·2π, −1 otherwise (mod taken into [0, 2π)). duty must lie in [0, 1].
 */
export function squareWave(phase: number, duty = 0.5): number {
  checkFinite('phase', phase);
  if (!(duty >= 0 && duty <= 1)) throw new RangeError(`duty must be in [0, 1], got ${duty}`);
  const period = 2 * Math.PI;
  const tmod = ((phase % period) + period) % period;
  return tmod < duty * period ? 1 : -1;
}

/** Which modulation of the duty cycle: 'sin' (training input) or 'cos' (validation input). */
export type PwmModulation = 'sin' | 'cos';

/** Noise-free PWM signal u(t) = square(π t, duty = (mod(π t / 8) + 1) / 2), mod = sin or cos. */
export function pwmSignal(t: number, modulation: PwmModulation = 'sin'): number {
  checkFinite('t', t);
  const m = modulation === 'sin' ? Math.sin((Math.PI * t) / 8) : modulation === 'cos' ? Math.cos((Math.PI * t) / 8) : Number.NaN;
  if (Number.isNaN(m)) throw new RangeError(`modulation must be 'sin' or 'cos', got ${JSON.stringify(modulation)}`);
  // Clamp against round-off: (±1 + 1)/2 can leave [0, 1] only by rounding.
  return squareWave(Math.PI * t, Math.min(1, Math.max(0, (m + 1) / 2)));
}

/**
 * Sampled noisy PWM input at t_k = k·dt, k = 0..samples−1: u_k = pwmSignal(t_k) + N(0, noiseStd²)
 * (noise drawn from `rng`, in order of k).
 */
export function pwmInput(opts: { samples: number; dt: number; modulation: PwmModulation; noiseStd: number; rng: Rng }): Float64Array {
  const samples = checkInt('samples', opts.samples, 1);
  const dt = checkPositive('dt', opts.dt);
  const std = checkNonNegative('noiseStd', opts.noiseStd);
  const out = new Float64Array(samples);
  for (let k = 0; k < samples; k++) {
    out[k] = pwmSignal(k * dt, opts.modulation) + (std > 0 ? opts.rng.normal(0, std) : 0);
  }
  return out;
}

/**
 * Linear interpolation of samples v_k (channel-last [T, m]) taken at t_k = t0 + k·dt: writes u(t) into
 * `out`; held constant before t0 and after the last sample.
 */
export function interpolateSamples(
  values: Float64Array,
  channels: number,
  t0: number,
  dt: number,
  t: number,
  out: Float64Array,
): Float64Array {
  const count = values.length / channels;
  const s = (t - t0) / dt;
  let k = Math.floor(s);
  let w = s - k;
  if (k < 0) {
    k = 0;
    w = 0;
  } else if (k >= count - 1) {
    k = count - 1;
    w = 0;
  }
  for (let c = 0; c < channels; c++) {
    const a = values[k * channels + c];
    out[c] = w === 0 ? a : a + w * (values[(k + 1) * channels + c] - a);
  }
  return out;
}
