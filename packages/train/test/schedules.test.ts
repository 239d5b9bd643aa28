import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@sii/neural-ode';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExponentialLR, fit as runFit, LinearLR, SGD } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

/** torch's chained LinearLR update (float64): lr_k = lr_{k−1}·(1 + (e − s)/(T·s + (k − 1)(e − s))), k ≤ T. */
function torchLinear(base: number, s: number, e: number, T: number, steps: number): number[] {
  const out = [base * s];
  for (let k = 1; k <= steps; k++) {
    const prev = out[k - 1];
    out.push(k > T ? prev : prev * (1 + (e - s) / (T * s + (k - 1) * (e - s))));
  }
  return out;
}

/** Learning rates runFit() sets for epochs 1..E (one tiny step per epoch). */
function fitRates(schedule: LinearLR | ExponentialLR, base: number, epochs: number): number[] {
  const v = tf.variable(tf.scalar(1));
  const opt = new SGD({ learningRate: base });
  const rates: number[] = [];
  runFit({
    variables: [v],
    optimizer: opt,
    epochs,
    seed: 1,
    schedule,
    batches: () => [0],
    loss: () => tf.mul(tf.square(v), 0) as tf.Scalar,
    onEpoch: (info) => {
      rates.push(info.learningRate);
    },
  });
  opt.dispose();
  v.dispose();
  return rates;
}

describe('LinearLR', () => {
  it('1 → 0.1 over 100 epochs: closed form, torch chained form, and the rates runFit() uses', () => {
    const s = new LinearLR({ startFactor: 1, endFactor: 0.1, totalIters: 100 });
    expect(s.factor(0)).toBe(1);
    expect(s.factor(50)).toBeCloseTo(0.55, 14);
    expect(s.factor(100)).toBeCloseTo(0.1, 14);
    expect(s.factor(150)).toBeCloseTo(0.1, 14);
    const torch = torchLinear(0.01, 1, 0.1, 100, 120);
    torch.forEach((lr, k) => {
      expect(Math.abs(0.01 * s.factor(k) - lr)).toBeLessThan(1e-15);
    });
    const rates = fitRates(s, 0.01, 120);
    expect(rates.length).toBe(120);
    rates.forEach((lr, i) => {
      expect(lr).toBe(0.01 * (1 + ((0.1 - 1) * Math.min(i, 100)) / 100));
    });
  });

  it('torch defaults (1/3 → 1 over 5) and bad options', () => {
    const s = new LinearLR();
    expect([0, 1, 5, 9].map((k) => s.factor(k))).toEqual([1 / 3, 1 / 3 + 2 / 15, 1, 1]);
    expect(() => new LinearLR({ startFactor: 0 })).toThrow(/LinearLR: startFactor must be in \(0, 1\], got 0/);
    expect(() => new LinearLR({ totalIters: 0 })).toThrow(/LinearLR: totalIters must be an integer >= 1, got 0/);
    expect(() => s.factor(-1)).toThrow(/LinearLR.factor: step must be an integer >= 0, got -1/);
  });
});

describe('ExponentialLR', () => {
  it('γ^e: closed form and the rates runFit() uses', () => {
    const s = new ExponentialLR({ gamma: 0.9 });
    const rates = fitRates(s, 0.5, 30);
    rates.forEach((lr, e) => {
      expect(lr).toBe(0.5 * 0.9 ** e);
    });
    expect(rates[10] / rates[0]).toBeCloseTo(0.3486784401, 12);
    expect(() => new ExponentialLR({ gamma: 0 })).toThrow(/ExponentialLR: gamma must be a finite number > 0, got 0/);
  });
});
