import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, SampledInput } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

describe('SampledInput', () => {
  const times = [0, 0.1, 0.2, 0.30000000000000004];
  const values = [[1], [2], [4], [8]];

  it('zero-order hold: u(t) = u_k on [t_k, t_{k+1}), first/last sample held outside', () => {
    const u = new SampledInput(times, values);
    const at = (t: number) => u.at(t).dataSync()[0];
    expect(at(-1)).toBe(1);
    expect(at(0)).toBe(1);
    expect(at(0.05)).toBe(1);
    expect(at(0.1 * 1)).toBe(2);
    expect(at(0.1 + 0.2)).toBe(8); // 0.30000000000000004 with round-off: the sample, not the one before
    expect(at(0.3)).toBe(8); // within tolerance of t_3
    expect(at(0.15)).toBe(2);
    expect(at(5)).toBe(8);
    expect(u.at(0.15).shape).toEqual([1, 1]);
    u.dispose();
  });

  it('linear interpolation between samples', () => {
    const u = new SampledInput(times, values, { interpolation: 'linear' });
    const at = (t: number) => u.at(t).dataSync()[0];
    expect(at(0.05)).toBeCloseTo(1.5, 6);
    expect(at(0.175)).toBeCloseTo(3.5, 6);
    expect(at(0.2)).toBeCloseTo(4, 6);
    expect(at(-3)).toBe(1);
    expect(at(9)).toBe(8);
    u.dispose();
  });

  it('batched values [T, batch, m] give [batch, m] rows', () => {
    const v = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    const u = new SampledInput([0, 1], v);
    expect(u.batch).toBe(2);
    expect(u.inputs).toBe(2);
    expect(Array.from(u.at(0.5).dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(u.at(1).dataSync())).toEqual([5, 6, 7, 8]);
    u.dispose();
    v.dispose();
  });

  it('rejects bad samples with clear errors', () => {
    expect(() => new SampledInput([0, 0], values.slice(0, 2))).toThrow(
      /times must be strictly increasing, got times\[0\] = 0 and times\[1\] = 0/,
    );
    expect(() => new SampledInput([0, Number.NaN], values.slice(0, 2))).toThrow(/times\[1\] must be a finite number, got NaN/);
    expect(() => new SampledInput([0, 1, 2], values)).toThrow(/values must have shape \[3, batch, m\] or \[3, m\], got \[4, 1, 1\]/);
    expect(() => new SampledInput([0, 1], [[1], [Number.NaN]])).toThrow(/values contains NaN or Infinity/);
    expect(() => new SampledInput([0, 1], [[1], [2]], { interpolation: 'cubic' as 'zoh' })).toThrow(
      /interpolation must be 'zoh' or 'linear', got "cubic"/,
    );
  });
});
