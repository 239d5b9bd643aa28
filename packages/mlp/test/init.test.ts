import { Rng } from '@sii/linalg';
import { maxAbs, meanSquare } from '@sii/vitest-preset/numbers';
import { describe, expect, it } from 'vitest';
import { defaultWeights, linearInit, type MlpSpec } from '../src/index.js';

const spec: MlpSpec = { states: 8, inputs: 4, hidden: 200, layers: 3, activation: 'elu' };

describe("PyTorch's default Linear init", () => {
  it('weights and biases U(±1/√fan_in): bound reached, mean square bound²/3', () => {
    const w = defaultWeights(spec, 42);
    const fanIns = [12, 200, 200];
    const fanOuts = [200, 200, 8];
    w.weights.forEach((W, k) => {
      const bound = 1 / Math.sqrt(fanIns[k]);
      expect([W.rows, W.cols]).toEqual([fanIns[k], fanOuts[k]]);
      expect(maxAbs(W.data)).toBeLessThanOrEqual(bound);
      expect(maxAbs(W.data)).toBeGreaterThan(0.95 * bound);
      // mean square of U(−a, a) is a²/3; ≥ 1600 samples → relative sd ≤ 0.9/√1600 ≈ 2.2 %
      expect(Math.abs(meanSquare(W.data) / ((bound * bound) / 3) - 1)).toBeLessThan(0.12);
      expect(w.biases[k].length).toBe(fanOuts[k]);
      expect(maxAbs(w.biases[k])).toBeLessThanOrEqual(bound);
      expect(maxAbs(w.biases[k])).toBeGreaterThan(0);
    });
  });

  it('draw order: each layer is linearInit(in, out) on one stream, weight row-major then bias', () => {
    const w = defaultWeights(spec, 'order');
    const rng = new Rng('order');
    const bound0 = 1 / Math.sqrt(12);
    // the very first draws are W_1[0][0], W_1[0][1], …
    expect(w.weights[0].data[0]).toBe(rng.uniform(-bound0, bound0));
    expect(w.weights[0].data[1]).toBe(rng.uniform(-bound0, bound0));
    const again = new Rng('order');
    const layers = [linearInit(12, 200, again), linearInit(200, 200, again), linearInit(200, 8, again)];
    layers.forEach((l, k) => {
      expect(Array.from(l.weight.data)).toEqual(Array.from(w.weights[k].data));
      expect(Array.from(l.bias)).toEqual(Array.from(w.biases[k]));
    });
  });

  it('same seed → same weights bit for bit; an Rng or a seed; different seeds differ', () => {
    const a = defaultWeights(spec, 3);
    const b = defaultWeights(spec, new Rng(3));
    const c = defaultWeights(spec, 4);
    a.weights.forEach((W, k) => {
      expect(Buffer.from(W.data.buffer).equals(Buffer.from(b.weights[k].data.buffer))).toBe(true);
      expect(Buffer.from(W.data.buffer).equals(Buffer.from(c.weights[k].data.buffer))).toBe(false);
    });
  });

  it('rejects bad arguments by name', () => {
    expect(() => defaultWeights(spec, null as unknown as number)).toThrow(/rng must be an Rng .* got null/);
    expect(() => linearInit(0, 3, new Rng(1))).toThrow(/linearInit: fanIn must be an integer >= 1, got 0/);
    expect(() => linearInit(2, 1.5, new Rng(1))).toThrow(/fanOut must be an integer >= 1, got 1\.5/);
    expect(() => linearInit(2, 3, 7 as unknown as Rng)).toThrow(/linearInit: rng must be an Rng/);
  });
});
