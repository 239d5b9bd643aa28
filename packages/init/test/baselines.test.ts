import { defaultWeights, type MlpSpec } from '@sii/mlp';
import { maxAbs, meanSquare } from '@sii/vitest-preset/numbers';
import { describe, expect, it } from 'vitest';
import { heInit, xavierInit, zeroLastInit } from '../src/index.js';

const spec: MlpSpec = { states: 8, inputs: 4, hidden: 200, layers: 3, activation: 'elu' };

describe('baselines', () => {
  it("He is @sii/mlp's PyTorch default init, draw for draw", () => {
    const he = heInit(spec, 'he');
    const ref = defaultWeights(spec, 'he');
    he.weights.forEach((W, k) => {
      expect(Array.from(W.data)).toEqual(Array.from(ref.weights[k].data));
      expect(Array.from(he.biases[k])).toEqual(Array.from(ref.biases[k]));
    });
  });

  it('He (PyTorch default): weights and biases U(±1/√fan_in), variance bound²/3', () => {
    const w = heInit(spec, 42);
    const fanIns = [12, 200, 200];
    const fanOuts = [200, 200, 8];
    w.weights.forEach((W, k) => {
      const bound = 1 / Math.sqrt(fanIns[k]);
      expect([W.rows, W.cols]).toEqual([fanIns[k], fanOuts[k]]);
      expect(maxAbs(W.data)).toBeLessThanOrEqual(bound);
      expect(maxAbs(W.data)).toBeGreaterThan(0.95 * bound); // the bound is actually reached
      // mean square of U(−a, a) is a²/3; ≥ 1600 samples → relative sd ≤ 0.9/√1600 ≈ 2.2 %
      expect(Math.abs(meanSquare(W.data) / ((bound * bound) / 3) - 1)).toBeLessThan(0.12);
      expect(maxAbs(w.biases[k])).toBeLessThanOrEqual(bound);
      expect(maxAbs(w.biases[k])).toBeGreaterThan(0);
    });
  });

  it('Xavier uniform: U(±√(6/(fan_in+fan_out))), zero biases', () => {
    const w = xavierInit(spec, 42);
    const sizes = [12, 200, 200, 8];
    w.weights.forEach((W, k) => {
      const bound = Math.sqrt(6 / (sizes[k] + sizes[k + 1]));
      expect(maxAbs(W.data)).toBeLessThanOrEqual(bound);
      expect(Math.abs(meanSquare(W.data) / ((bound * bound) / 3) - 1)).toBeLessThan(0.12);
      expect(maxAbs(w.biases[k])).toBe(0);
    });
  });

  it('zero-last-layer: He hidden layers, last layer weights and bias zero', () => {
    const he = heInit(spec, 9);
    const z = zeroLastInit(spec, 9);
    expect(Array.from(z.weights[0].data)).toEqual(Array.from(he.weights[0].data));
    expect(Array.from(z.biases[1])).toEqual(Array.from(he.biases[1]));
    expect(maxAbs(z.weights[2].data)).toBe(0);
    expect(maxAbs(z.biases[2])).toBe(0);
  });

  it('same seed → same weights bit for bit; different seeds differ', () => {
    for (const init of [heInit, xavierInit]) {
      const a = init(spec, 'seed-a');
      const b = init(spec, 'seed-a');
      const c = init(spec, 'seed-b');
      a.weights.forEach((W, k) => {
        expect(Buffer.from(W.data.buffer).equals(Buffer.from(b.weights[k].data.buffer))).toBe(true);
        expect(Buffer.from(W.data.buffer).equals(Buffer.from(c.weights[k].data.buffer))).toBe(false);
      });
    }
  });

  it('rejects a missing rng', () => {
    expect(() => heInit(spec, undefined as unknown as number)).toThrow(/rng/);
  });
});
