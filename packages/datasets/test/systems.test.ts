import { Rng } from '@sii/linalg';
import { sameBytes } from '@sii/vitest-preset/numbers';
import { describe, expect, it } from 'vitest';
import {
  CASCADED_TANKS_DEFAULTS,
  cascadedTanksEquilibrium,
  DUFFING_DEFAULTS,
  duffingEnergy,
  generateCascadedTanks,
  generateDuffing,
  multisine,
  simulateCascadedTanks,
  simulateDuffing,
} from '../src/systems/index.js';

describe('multisine', () => {
  it('has equal-amplitude components on the frequency grid k/P in the band and the requested RMS', () => {
    const ms = multisine({ period: 100, fMin: 0.05, fMax: 0.5, rms: 0.7, mean: 2, rng: new Rng(1) });
    expect(ms.frequencies.length).toBe(46); // k = 5..50
    expect(ms.frequencies[0]).toBeCloseTo(0.05, 14);
    expect(ms.frequencies[45]).toBeCloseTo(0.5, 14);
    // Discrete orthogonality over one period with 1000 samples (> 2·50): mean and RMS exact.
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 1000; i++) {
      const u = ms.evaluate(i * 0.1);
      s += u;
      s2 += u * u;
    }
    const mean = s / 1000;
    expect(mean).toBeCloseTo(2, 10);
    expect(Math.sqrt(s2 / 1000 - mean * mean)).toBeCloseTo(0.7, 10);
  });
  it('rejects an empty band', () => {
    expect(() => multisine({ period: 10, fMin: 0.01, fMax: 0.05, rms: 1, rng: new Rng(1) })).toThrow(/no frequency/);
  });
});

describe('cascaded tanks', () => {
  const { k1, k2, k3, k4, hMax } = CASCADED_TANKS_DEFAULTS;
  const t = Float64Array.from({ length: 61 }, (_, i) => i * 10);
  it('settles at x1 = (k4 u / k1)², x2 = (k2/k3)²·x1 for a constant input below overflow', () => {
    const u = 4;
    const x = simulateCascadedTanks(() => u, [1, 1], t);
    const x1 = ((k4 * u) / k1) ** 2;
    const x2 = (k2 / k3) ** 2 * x1;
    expect(Math.abs(x[120] - x1) / x1).toBeLessThan(1e-5);
    expect(Math.abs(x[121] - x2) / x2).toBeLessThan(1e-5);
    expect(cascadedTanksEquilibrium(u)).toEqual([expect.closeTo(x1, 12), expect.closeTo(x2, 12)]);
  });
  it('pins tank 1 at hMax when it overflows and routes the overflow fraction into tank 2', () => {
    const u = 7.5;
    const gamma = 0.5;
    const x = simulateCascadedTanks(() => u, [2, 2], t, { overflowFraction: gamma });
    const overflow = k4 * u - k1 * Math.sqrt(hMax);
    expect(overflow).toBeGreaterThan(0);
    const x2 = ((k2 * Math.sqrt(hMax) + gamma * overflow) / k3) ** 2;
    expect(x2).toBeLessThan(hMax);
    expect(x[120]).toBeCloseTo(hMax, 5);
    expect(Math.abs(x[121] - x2) / x2).toBeLessThan(1e-5);
    // without overflow routing tank 2 settles lower: (k2/k3)²·hMax
    const y = simulateCascadedTanks(() => u, [2, 2], t, { overflowFraction: 0 });
    expect(y[121]).toBeCloseTo((k2 / k3) ** 2 * hMax, 4);
  });
  it('builds a standardized, windowed ForecastSplit that reproduces bytes per seed', () => {
    const opts = { seed: 7, samples: { train: 200, val: 100, test: 150 }, window: 32 };
    const a = generateCascadedTanks(opts);
    expect(a.train.shape).toEqual({ samples: 200 - 32 + 1, steps: 32, inputDim: 1, targetDim: 1 });
    expect(a.val?.shape.samples).toBe(100 - 32 + 1);
    expect(a.test.shape.samples).toBe(150 - 32 + 1);
    expect(a.train.inputs.length).toBe(169 * 32);
    expect(a.train.dt).toBe(4);
    const rec = a.records.train;
    // statistics come from the training record
    const mean = rec.outputs.reduce((s, v) => s + v, 0) / 200;
    expect(a.stats.targetMean[0]).toBeCloseTo(mean, 10);
    const k = 20; // window 0 holds steps 0..31
    expect(a.train.targets[k]).toBeCloseTo((rec.outputs[k] - a.stats.targetMean[0]) / a.stats.targetStd[0], 5);
    expect(a.train.inputs[k]).toBeCloseTo((rec.inputs[k] - a.stats.inputMean[0]) / a.stats.inputStd[0], 5);
    // levels within the tanks, outputs = x2 + noise of std 0.05
    let s2 = 0;
    for (let i = 0; i < 200; i++) {
      expect(rec.states[2 * i]).toBeGreaterThanOrEqual(0);
      expect(rec.states[2 * i + 1]).toBeLessThanOrEqual(hMax);
      s2 += (rec.outputs[i] - rec.states[2 * i + 1]) ** 2;
    }
    expect(Math.sqrt(s2 / 200)).toBeGreaterThan(0.04);
    expect(Math.sqrt(s2 / 200)).toBeLessThan(0.06);
    const b = generateCascadedTanks(opts);
    const c = generateCascadedTanks({ ...opts, seed: 8 });
    expect(sameBytes(a.train.targets, b.train.targets)).toBe(true);
    expect(sameBytes(a.test.inputs, b.test.inputs)).toBe(true);
    expect(sameBytes(a.train.targets, c.train.targets)).toBe(false);
  });
  it('rejects bad input naming the argument', () => {
    expect(() => generateCascadedTanks({ seed: 1, window: 0 })).toThrow(/window.*0/);
    expect(() => generateCascadedTanks({ seed: 1, samples: { train: 10, test: 100 } })).toThrow(/samples\.train.*10/);
    expect(() => generateCascadedTanks({ seed: 1, params: { k1: -1 } })).toThrow(/params\.k1.*-1/);
    expect(() => cascadedTanksEquilibrium(1, { overflowFraction: 2 })).toThrow(/overflowFraction.*2/);
    expect(() => simulateCascadedTanks(() => 1, [11, 0], [0, 1])).toThrow(/x0/);
    expect(() => generateCascadedTanks({ seed: undefined as never })).toThrow(/seed/);
  });
});

describe('duffing', () => {
  const { delta, alpha } = DUFFING_DEFAULTS;
  /** Linear oscillator x'' + δx' + αx = F cos ωt from rest: particular + homogeneous solution. */
  function linearResponse(F: number, w: number, t: number): number {
    const det = (alpha - w * w) ** 2 + (delta * w) ** 2;
    const A = (F * (alpha - w * w)) / det;
    const B = (F * delta * w) / det;
    const wd = Math.sqrt(alpha - (delta * delta) / 4);
    const C1 = -A;
    const C2 = ((delta / 2) * C1 - w * B) / wd;
    return A * Math.cos(w * t) + B * Math.sin(w * t) + Math.exp((-delta * t) / 2) * (C1 * Math.cos(wd * t) + C2 * Math.sin(wd * t));
  }
  const t = Float64Array.from({ length: 301 }, (_, i) => i * 0.1);
  it('with β = 0 matches the analytic forced linear oscillator', () => {
    const F = 0.5;
    const w = 1.3;
    const x = simulateDuffing((s) => F * Math.cos(w * s), [0, 0], t, { beta: 0 }, { rtol: 1e-10, atol: 1e-12 });
    let worst = 0;
    for (let i = 0; i < t.length; i++) worst = Math.max(worst, Math.abs(x[2 * i] - linearResponse(F, w, t[i])));
    expect(worst).toBeLessThan(1e-8);
  });
  it('at small amplitude follows the linear response (relative deviation ~ β x²)', () => {
    const F = 1e-4;
    const w = 0.8;
    const x = simulateDuffing((s) => F * Math.cos(w * s), [0, 0], t, undefined, { rtol: 1e-11, atol: 1e-16 });
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < t.length; i++) {
      const ref = linearResponse(F, w, t[i]);
      worst = Math.max(worst, Math.abs(x[2 * i] - ref));
      scale = Math.max(scale, Math.abs(ref));
    }
    expect(worst / scale).toBeLessThan(1e-5);
    // and deviates clearly at large amplitude (the cubic term matters)
    const big = simulateDuffing((s) => 2 * Math.cos(w * s), [0, 0], t);
    let dev = 0;
    for (let i = 0; i < t.length; i++) dev = Math.max(dev, Math.abs(big[2 * i] - linearResponse(2, w, t[i])));
    expect(dev).toBeGreaterThan(0.1);
  });
  it('satisfies the energy balance E(T) − E(0) = ∫ (u v − δ v²) dt', () => {
    const ms = multisine({ period: 20, fMax: 1, rms: 0.8, rng: new Rng(3) });
    const u = (s: number) => ms.evaluate(s);
    const N = 2000;
    const dt = 0.01;
    const tt = Float64Array.from({ length: N + 1 }, (_, i) => i * dt);
    const y = simulateDuffing(u, [0.3, -0.2], tt, undefined, { rtol: 1e-11, atol: 1e-13 });
    // composite Simpson rule of the power u v − δ v²
    let integral = 0;
    for (let i = 0; i <= N; i++) {
      const v = y[2 * i + 1];
      const p = u(tt[i]) * v - delta * v * v;
      integral += (i === 0 || i === N ? 1 : i % 2 === 1 ? 4 : 2) * p;
    }
    integral *= dt / 3;
    const dE = duffingEnergy(y[2 * N], y[2 * N + 1]) - duffingEnergy(0.3, -0.2);
    expect(Math.abs(dE - integral)).toBeLessThan(1e-7 * Math.max(1, Math.abs(dE)));
    expect(Math.abs(dE)).toBeGreaterThan(1e-3);
  });
  it('builds a reproducible ForecastSplit with the documented shapes', () => {
    const opts = { seed: 'd', samples: { train: 300, test: 200 }, window: 50, stride: 10 };
    const a = generateDuffing(opts);
    expect(a.val).toBeUndefined();
    expect(a.train.shape).toEqual({ samples: 26, steps: 50, inputDim: 1, targetDim: 1 });
    expect(a.test.shape.samples).toBe(16);
    expect(a.train.inputNames).toEqual(['u']);
    expect(Array.from(a.train.origins.subarray(0, 4))).toEqual([0, 0, 0, 10]);
    // train and test use different multisine realisations
    expect(a.records.train.inputs[5]).not.toBeCloseTo(a.records.test.inputs[5], 6);
    const b = generateDuffing(opts);
    expect(sameBytes(a.train.inputs, b.train.inputs)).toBe(true);
    expect(sameBytes(a.train.targets, b.train.targets)).toBe(true);
    expect(() => generateDuffing({ ...opts, noiseStd: -1 })).toThrow(/noiseStd.*-1/);
    expect(() => generateDuffing({ ...opts, params: { delta: -0.1 } })).toThrow(/params\.delta/);
    expect(() => simulateDuffing((s) => s, [0], [0, 1])).toThrow(/x0/);
  });
});
