import { describe, expect, it } from 'vitest';
import {
  denseWeights,
  errorRatio,
  fixedGrid,
  getTableau,
  hermiteWeights,
  initialStep,
  nextStepSize,
  type OdeFunction,
  odeint,
  StepController,
  type StepRecord,
} from '../src/index.js';

describe('fixed grid (torchdiffeq semantics, one round-off rule)', () => {
  it('t_k = t0 + k·h while below t_end, then t_end (last step shorter)', () => {
    expect(Array.from(fixedGrid(0, 1, 0.3))).toEqual([0, 0.3, 0.6, 0.8999999999999999, 1]);
    expect(Array.from(fixedGrid(2, 3, 0.5))).toEqual([2, 2.5, 3]);
    expect(fixedGrid(1, 2, 1)).toEqual(new Float64Array([1, 2]));
  });

  it('round-off in (t_end − t0)/h adds no extra tiny step and removes none', () => {
    // quotient just below an integer: 0.3/0.1 = 2.9999999999999996, 0.7/0.1 = 6.999999999999999,
    // 29.9/0.1 = 298.99999999999994
    expect((0.3 / 0.1) % 1).toBeGreaterThan(0.99);
    expect(fixedGrid(0, 0.3, 0.1)).toHaveLength(4);
    expect(fixedGrid(0, 0.7, 0.1)).toHaveLength(8);
    expect(fixedGrid(0, 29.9, 0.1)).toHaveLength(300);
    // just above: 3·0.1 = 0.30000000000000004, (3·0.1)/0.1 = 3.0000000000000004; 1.1/0.1 = 11.000000000000002
    expect(fixedGrid(0, 3 * 0.1, 0.1)).toHaveLength(4);
    const g = fixedGrid(0, 1.1, 0.1);
    expect(g).toHaveLength(12);
    expect(g[11]).toBe(1.1);
    expect(g[11] - g[10]).toBeCloseTo(0.1, 12);
    expect(fixedGrid(0, 1, 1 / 3)).toHaveLength(4);
    expect(fixedGrid(0, 1 / 3, 0.1)).toHaveLength(5); // 3.33 steps: a real remainder keeps its step
    expect(fixedGrid(0, 0.05, 0.1)).toEqual(new Float64Array([0, 0.05]));
    // the tolerance scales with the times: 1e7 + 0.3 − 1e7 = 0.30000000074505806 (round-off of 1e7)
    expect(fixedGrid(1e7, 1e7 + 0.3, 0.1)).toHaveLength(4);
    // but a remainder of 1e-6 steps is not round-off: it gets its own (short) step
    const r = fixedGrid(0, 1 + 1e-7, 0.1);
    expect(r).toHaveLength(12);
    expect(r[11] - r[10]).toBeCloseTo(1e-7, 12);
  });

  it('bad arguments name the argument and value', () => {
    expect(() => fixedGrid(0, 1, 0)).toThrow(/fixedGrid: step must be a finite number > 0, got 0/);
    expect(() => fixedGrid(1, 1, 0.1)).toThrow(/t_end must be > t0, got t0 = 1, t_end = 1/);
    expect(() => fixedGrid(0, Number.NaN, 0.1)).toThrow(/times must be finite/);
  });
});

describe('error ratio and controller (torchdiffeq)', () => {
  it('RMS of err / (atol + rtol·max(|y0|, |y1|)), hand-worked', () => {
    // tol = [1e-3 + 1e-2·2, 1e-3 + 1e-2·4] = [0.021, 0.041]; q = [0.021, −0.0205] / tol = [1, −0.5]
    const r = errorRatio([0.021, -0.0205], [1, -4], [2, 3], 1e-2, 1e-3);
    expect(r).toBeCloseTo(Math.sqrt((1 + 0.25) / 2), 14);
  });

  it('next step: 0.9·r^(−1/p) between the floors 1 (r < 1) / 0.2 (r ≥ 1) and the cap 10', () => {
    expect(nextStepSize(0.1, 0, 5)).toBeCloseTo(1, 15);
    expect(nextStepSize(0.1, 1e-10, 5)).toBeCloseTo(1, 15); // 0.9·1e2 capped at 10
    expect(nextStepSize(0.1, 0.5, 5)).toBeCloseTo(0.1 * 0.9 * 2 ** 0.2, 15);
    expect(nextStepSize(0.1, 0.99, 5)).toBe(0.1); // 0.9·0.99^(−1/5) < 1: floor 1 after an acceptance
    expect(nextStepSize(0.1, 1, 5)).toBeCloseTo(0.09, 15); // r = 1 is accepted but the floor is 0.2
    expect(nextStepSize(0.1, 32, 5)).toBeCloseTo(0.1 * 0.45, 15);
    expect(nextStepSize(0.1, 1e10, 5)).toBeCloseTo(0.02, 15);
  });

  it("Hairer's initial step on y′ = −y, y0 = 1 (p = 5), hand-worked", () => {
    // sc = atol + rtol = 1.1e-6 → d0 = d1 = 1/1.1e-6; h0 = 0.01; f1 = −(1 − 0.01) → d2 = 0.01/(1.1e-6·0.01)
    // h1 = (0.01·1.1e-6)^(1/5); h = min(100·h0, h1) = h1
    const f: OdeFunction = (_t, y, dy) => {
      dy[0] = -y[0];
    };
    const h = initialStep(f, 0, Float64Array.of(1), Float64Array.of(-1), 5, 1e-6, 1e-7);
    expect(h).toBeCloseTo((0.01 * 1.1e-6) ** 0.2, 14);
  });

  it('dense weights b_i(θ) of dopri5 give b at θ = 1 and 0 at θ = 0; Hermite weights interpolate', () => {
    const tab = getTableau('dopri5');
    denseWeights(tab.dense!, 1).forEach((w, i) => {
      expect(w).toBeCloseTo(tab.b[i], 14);
    });
    expect(denseWeights(tab.dense!, 0).every((w) => w === 0)).toBe(true);
    expect(hermiteWeights(0)).toEqual([1, 0, 0, -0]);
    expect(hermiteWeights(1)).toEqual([0, 0, 1, 0]);
    // cubic p(θ) = θ³ on [0, 1] (h = 1): y0 = 0, f0 = 0, y1 = 1, f1 = 3 → p(0.4) = 0.064
    const w = hermiteWeights(0.4);
    expect(w[2] * 1 + w[3] * 3).toBeCloseTo(0.064, 15);
  });

  it('StepController: accepts r ≤ 1, clips to the end on request, guards steps and underflow', () => {
    const seen: StepRecord[] = [];
    const c = new StepController(0, 0.6, { order: 2, tEnd: 1, maxSteps: 3, clipToEnd: true, onStep: (s) => seen.push(s) });
    expect(c.trial()).toEqual({ t0: 0, h: 0.6, t1: 0.6 });
    expect(c.finish(4)).toBe(false); // h ← 0.6·max(0.9/2, 0.2) = 0.27
    expect(c.t).toBe(0);
    expect(c.h).toBeCloseTo(0.27, 15);
    expect(c.trial().t1).toBeCloseTo(0.27, 15);
    expect(c.finish(0)).toBe(true); // h ← 2.7: clipped to the end
    expect(c.trial()).toEqual({ t0: 0.27, h: 1 - 0.27, t1: 1 });
    expect(c.finish(0.5)).toBe(true);
    expect(seen.map((s) => s.accepted)).toEqual([false, true, true]);
    expect([c.attempts, c.accepted, c.rejected]).toEqual([3, 2, 1]);
    expect(() => c.trial()).toThrow(/odeint: maxSteps = 3 exceeded at t = 1/);
    const u = new StepController(1, 1e-17, { order: 5, tEnd: 2, maxSteps: 10, where: 'solver', method: 'dopri5' });
    expect(() => u.trial()).toThrow(/solver: step size underflow at t = 1 \(h = 1e-17\) with method "dopri5"/);
  });

  it('odeint reports every attempted step through onStep (in the caller’s time direction)', () => {
    const f: OdeFunction = (_t, y, dy) => {
      dy[0] = -y[0];
    };
    const fwd: StepRecord[] = [];
    const sol = odeint(f, [1], [0, 2], { method: 'bosh3', rtol: 1e-6, atol: 1e-8, onStep: (s) => fwd.push(s) });
    expect(fwd.length).toBe(sol.stats.steps);
    expect(fwd.filter((s) => s.accepted).length).toBe(sol.stats.accepted);
    const acc = fwd.filter((s) => s.accepted);
    acc.slice(1).forEach((s, i) => {
      expect(s.t0).toBe(acc[i].t1); // contiguous accepted steps
    });
    expect(acc[acc.length - 1].t1).toBeGreaterThanOrEqual(2);
    const back: StepRecord[] = [];
    odeint(f, [1], [0, -1], { method: 'bosh3', onStep: (s) => back.push(s) });
    expect(back[0].t0).toBe(0);
    expect(back[0].h).toBeLessThan(0);
    expect(back[0].t1).toBeCloseTo(back[0].h, 15);
  });
});
