// neural-ode's tensor odeint runs on @sii/rk's step core: the same fixed grid and the same adaptive
// step sequence as the float64 odeint of @sii/rk.
import * as tf from '@tensorflow/tfjs-core';
import { fixedGrid, odeint, type StepRecord } from '@sii/rk';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, odeintTensor, odeintTensorDetailed } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

describe('one fixed grid in both packages', () => {
  // awkward quotients (t_end − t0)/h: 2.9999999999999996, 298.99999999999994, 3 from h = 1/3,
  // 11.000000000000002, 3.3333333333333335, 1000.0000001 (a real remainder of 1e-7 steps)
  const cases: Array<[number, number, number]> = [
    [0, 0.3, 0.1],
    [0, 29.9, 0.1],
    [0, 1, 1 / 3],
    [0, 1.1, 0.1],
    [0.2, 0.5, 0.1],
    [0, 1 / 3, 0.1],
    [0, 100.00000001, 0.1],
  ];
  it.each(cases)('[%d, %d], h = %d: Euler evaluates f at the same grid points in rk and neural-ode', (t0, tEnd, h) => {
    const rkTimes: number[] = [];
    odeint(
      (t, y, dy) => {
        rkTimes.push(t);
        dy[0] = -y[0];
      },
      [1],
      [t0, tEnd],
      { method: 'euler', step: h },
    );
    const tensorTimes: number[] = [];
    const y = odeintTensor(
      (t, v) => {
        tensorTimes.push(t);
        return tf.neg(v);
      },
      [1],
      [t0, tEnd],
      { method: 'euler', step: h },
    );
    y.dispose();
    const grid = Array.from(fixedGrid(t0, tEnd, h));
    expect(rkTimes).toEqual(grid.slice(0, -1));
    expect(tensorTimes).toEqual(rkTimes);
  });

  it('the grid counts steps as torchdiffeq when the quotient is not within round-off of an integer', () => {
    // ceil((t_end − t0)/h): 3 steps for 0.3/0.1, 299 for 29.9/0.1, 1001 for 100.00000001/0.1
    expect(fixedGrid(0, 0.3, 0.1).length - 1).toBe(3);
    expect(fixedGrid(0, 29.9, 0.1).length - 1).toBe(299);
    expect(fixedGrid(0, 100.00000001, 0.1).length - 1).toBe(1001);
  });
});

describe('one adaptive controller in both packages', () => {
  // y′ = A y, eigenvalues −0.5 ± 2i (row vectors: y·Aᵀ)
  const A = [
    [-0.5, 2],
    [-2, -0.5],
  ];
  const AT = () =>
    tf.tensor2d([
      [A[0][0], A[1][0]],
      [A[0][1], A[1][1]],
    ]);
  it.each([
    ['dopri5', 1e-3, true],
    ['dopri5', 1e-3, false],
    ['bosh3', 1e-3, true],
    ['adaptive_heun', 1e-3, false],
  ] as const)(
    '%s, rtol %d, clipToEnd %s: the tensor path accepts and rejects the same steps as the float64 solver',
    (method, rtol, clipToEnd) => {
      const times = [0, 0.7, 3];
      // an oversized first step (rejected at once) instead of Hairer's cautious one, whose error ratio
      // ~1e-5 is below float32 resolution; every later ratio is O(0.1–1), far above it
      const opts = { method, rtol, atol: rtol / 10, clipToEnd, firstStep: 1 };
      const ref: StepRecord[] = [];
      const sol = odeint(
        (_t, y, dy) => {
          dy[0] = A[0][0] * y[0] + A[0][1] * y[1];
          dy[1] = A[1][0] * y[0] + A[1][1] * y[1];
        },
        [1, 0],
        times,
        { ...opts, onStep: (s) => ref.push(s) },
      );
      const got: StepRecord[] = [];
      const y0 = tf.tensor2d([[1, 0]]);
      const res = odeintTensorDetailed((_t, y) => tf.matMul(y, AT()), y0, times, { ...opts, onStep: (s) => got.push(s) });
      expect(got.map((s) => s.accepted)).toEqual(ref.map((s) => s.accepted));
      expect(ref.filter((s) => !s.accepted).length).toBe(sol.stats.rejected);
      expect(res.stats.accepted).toBe(sol.stats.accepted);
      expect(res.stats.rejected).toBe(sol.stats.rejected);
      expect(ref.filter((s) => !s.accepted).length).toBeGreaterThan(0);
      // float32 states: the error ratios agree to ~1e-3, the step sizes (∝ r^(−1/p)) closer still
      got.forEach((s, i) => {
        expect(Math.abs(s.t1 - ref[i].t1)).toBeLessThan(1e-3 * ref[i].t1);
        expect(Math.abs(s.ratio - ref[i].ratio)).toBeLessThan(1e-2 * Math.max(ref[i].ratio, 0.01));
      });
      const v = res.y.dataSync();
      for (let k = 0; k < v.length; k++) expect(v[k]).toBeCloseTo(sol.y[k], 5);
      tf.dispose([y0, res.y]);
    },
  );
});
