import { describe, expect, it } from 'vitest';
import {
  getTableau,
  type OdeFunction,
  odeint,
  RkStepper,
  rkStep,
  stabilityPolynomial,
  stabilityValue,
  tableauNames,
} from '../src/index.js';

// Nonlinear, non-autonomous test system with known solution:
// y1' = −2t·y1², y1(0) = 1 → y1 = 1/(1 + t²);  y2' = y2·cos t, y2(0) = 1 → y2 = exp(sin t)
const field: OdeFunction = (t, y, dy) => {
  dy[0] = -2 * t * y[0] * y[0];
  dy[1] = y[1] * Math.cos(t);
};
const exact = (t: number) => [1 / (1 + t * t), Math.exp(Math.sin(t))];

function maxError(sol: { t: Float64Array; y: Float64Array; n: number }, from = 0): number {
  let e = 0;
  for (let i = from; i < sol.t.length; i++) {
    const ex = exact(sol.t[i]);
    for (let m = 0; m < sol.n; m++) e = Math.max(e, Math.abs(sol.y[i * sol.n + m] - ex[m]));
  }
  return e;
}

describe('fixed grid (torchdiffeq semantics)', () => {
  it('hand-worked Euler on y′ = t: values on the grid, linear interpolation between grid points', () => {
    // grid 0, .3, .6, .9, 1 → y = 0, 0, .09, .27, .27 + .1·.9 = .36; y(.45) = (0 + .09)/2
    const sol = odeint(
      (t, _y, dy) => {
        dy[0] = t;
      },
      [0],
      [0, 0.45, 0.6, 1],
      { method: 'euler', step: 0.3 },
    );
    expect(sol.n).toBe(1);
    expect(sol.y[0]).toBe(0);
    expect(sol.y[1]).toBeCloseTo(0.045, 15);
    expect(sol.y[2]).toBeCloseTo(0.09, 15);
    expect(sol.y[3]).toBeCloseTo(0.36, 15);
    expect(sol.stats).toEqual({ steps: 4, accepted: 4, rejected: 0, fevals: 4 });
  });

  it('hand-worked midpoint on y′ = y with a shortened last step', () => {
    // one step of size h multiplies by R(h) = 1 + h + h²/2: h = 0.5, 0.5, 0.25 over [0, 1.25]
    const sol = odeint(
      (_t, y, dy) => {
        dy[0] = y[0];
      },
      [2],
      [0, 1.25],
      { method: 'midpoint', step: 0.5 },
    );
    const r = (h: number) => 1 + h + (h * h) / 2;
    expect(sol.y[1]).toBeCloseTo(2 * r(0.5) * r(0.5) * r(0.25), 14);
    expect(sol.stats.fevals).toBe(6);
  });

  it('decreasing times integrate backwards', () => {
    const sol = odeint(field, exact(2), [2, 1, 0], { method: 'rk4', step: 0.01 });
    expect(maxError(sol)).toBeLessThan(1e-8);
  });

  it('FSAL tableaux reuse the last stage on a fixed grid (dopri5: 1 + 6 evaluations per step)', () => {
    const sol = odeint(field, [1, 1], [0, 1], { method: 'dopri5', step: 0.1, adaptive: false });
    expect(sol.stats.steps).toBe(10);
    expect(sol.stats.fevals).toBe(1 + 6 * 10);
    expect(maxError(sol)).toBeLessThan(1e-7);
  });

  // logistic y′ = y(1 − y), y(0) = 1/2 → y = 1/(1 + e^{−t}) on [0, 4]: in the asymptotic regime for all
  // methods at these steps (the 5th-order pairs, tsit5 with its tiny principal error constant above all,
  // stay pre-asymptotic longer on the non-autonomous system above, used here for orders ≤ 4 to check c_i)
  const logistic: OdeFunction = (_t, y, dy) => {
    dy[0] = y[0] * (1 - y[0]);
  };
  it.each(tableauNames())('%s: empirical convergence order matches the declared order', (name) => {
    const tab = getTableau(name);
    const errLogistic = (h: number) => {
      const sol = odeint(logistic, [0.5], [0, 4], { method: name, step: h, adaptive: false });
      return Math.abs(sol.y[1] - 1 / (1 + Math.exp(-4)));
    };
    const h = tab.order >= 3 ? 0.1 : 0.02;
    const slope = Math.log2(errLogistic(h) / errLogistic(h / 2));
    expect(Math.abs(slope - tab.order)).toBeLessThan(0.15);
    if (tab.order >= 5) return; // pre-asymptotic on the field below at steps where errors beat rounding
    const errField = (hh: number) => maxError(odeint(field, [1, 1], [0, 2], { method: name, step: hh, adaptive: false }), 1);
    const h2 = tab.order >= 3 ? 0.05 : 0.02;
    expect(Math.abs(Math.log2(errField(h2) / errField(h2 / 2)) - tab.order)).toBeLessThan(0.15);
  });
});

describe('single step', () => {
  it('one step on y′ = λy multiplies by R(hλ) for every method (solver ↔ stability polynomial)', () => {
    const lam = -1.7;
    const h = 0.3;
    for (const name of tableauNames()) {
      const y1 = rkStep(
        name,
        (_t, y, dy) => {
          dy[0] = lam * y[0];
        },
        0,
        [1],
        h,
      );
      const r = stabilityValue(stabilityPolynomial(getTableau(name)), { re: h * lam, im: 0 });
      expect(Math.abs(y1[0] - r.re)).toBeLessThan(1e-14);
    }
  });

  it('RkStepper exposes the stages and the embedded error estimate; FSAL last stage is f(t + h, y1)', () => {
    const tab = getTableau('bosh3');
    const st = new RkStepper(tab, 2);
    const y = new Float64Array([1, 1]);
    const evals = st.step(field, 0.2, y, 0.1);
    expect(evals).toBe(4);
    const f1 = new Float64Array(2);
    field(0.2 + 1 * 0.1, st.y1, f1); // c_4 = 1
    expect(Array.from(st.k[3])).toEqual(Array.from(f1));
    // err = h Σ (b_i − b̂_i) k_i recomputed here
    for (let m = 0; m < 2; m++) {
      const e = 0.1 * tab.b.reduce((acc, b, i) => acc + (b - tab.bHat![i]) * st.k[i][m], 0);
      expect(st.err[m]).toBeCloseTo(e, 16);
    }
    expect(() => new RkStepper(tab, 0)).toThrow(/n must be an integer ≥ 1, got 0/);
  });
});

describe('adaptive stepping', () => {
  const times = Array.from({ length: 41 }, (_, i) => i * 0.25); // 0..10, dense output in between steps

  it('dopri5 reaches rtol = atol = 1e-8 on the nonlinear problem, with dense output', () => {
    const sol = odeint(field, [1, 1], times, { method: 'dopri5', rtol: 1e-8, atol: 1e-8 });
    const e = maxError(sol);
    expect(e).toBeLessThan(1e-7); // global error ≲ 10·tol over 10 time units
    expect(e).toBeGreaterThan(0);
    const { steps, accepted, rejected, fevals } = sol.stats;
    expect(steps).toBe(accepted + rejected);
    // FSAL: f(t0) + one probe for the initial step + 6 new stages per attempted step
    expect(fevals).toBe(2 + 6 * steps);
    expect(accepted).toBeLessThan(times.length * 10);
  });

  it('error decreases in proportion to the tolerance (dopri5: 1e-5 → 1e-9)', () => {
    const loose = maxError(odeint(field, [1, 1], times, { method: 'dopri5', rtol: 1e-5, atol: 1e-5 }));
    const tight = maxError(odeint(field, [1, 1], times, { method: 'dopri5', rtol: 1e-9, atol: 1e-9 }));
    expect(loose).toBeLessThan(1e-4);
    expect(tight).toBeLessThan(1e-3 * loose);
  });

  // error-per-step control bounds local errors; over 10 time units global errors of the low-order pairs
  // accumulate to a few tens of tol (tsit5 uses its 4th-order dense output, the others cubic Hermite)
  it.each([
    ['tsit5', 1e-8, 20],
    ['bosh3', 1e-6, 50],
    ['adaptive_heun', 1e-5, 50],
  ] as const)('%s reaches tolerance %d within a factor %d', (name, tol, factor) => {
    const sol = odeint(field, [1, 1], times, { method: name, rtol: tol, atol: tol });
    expect(maxError(sol)).toBeLessThan(factor * tol);
    expect(maxError(sol)).toBeGreaterThan(tol / 100); // the tolerance is actually used
  });

  it('an oversized first step is rejected and shrunk, the answer stays accurate', () => {
    const sol = odeint(field, [1, 1], [0, 3], { method: 'dopri5', rtol: 1e-8, atol: 1e-8, firstStep: 3 });
    expect(sol.stats.rejected).toBeGreaterThan(0);
    expect(maxError(sol)).toBeLessThan(1e-7);
  });

  it('clipToEnd never evaluates f beyond the final time; default steps past and interpolates', () => {
    let tMax = 0;
    const g: OdeFunction = (t, y, dy) => {
      tMax = Math.max(tMax, t);
      field(t, y, dy);
    };
    const a = odeint(g, [1, 1], [0, 1.3], { method: 'dopri5', rtol: 1e-6, atol: 1e-6, clipToEnd: true });
    expect(tMax).toBeLessThanOrEqual(1.3);
    expect(maxError(a)).toBeLessThan(1e-5);
    tMax = 0;
    const b = odeint(g, [1, 1], [0, 1.3], { method: 'dopri5', rtol: 1e-6, atol: 1e-6 });
    expect(maxError(b)).toBeLessThan(1e-5);
  });

  it('decreasing times with an adaptive pair', () => {
    const sol = odeint(field, exact(3), [3, 1.5, 0], { method: 'dopri5', rtol: 1e-9, atol: 1e-9 });
    expect(maxError(sol)).toBeLessThan(1e-7);
  });

  it('maxSteps guard throws a clear error', () => {
    expect(() => odeint(field, [1, 1], [0, 10], { method: 'dopri5', rtol: 1e-10, atol: 1e-10, maxSteps: 5 })).toThrow(
      /maxSteps = 5 exceeded at t = .* before reaching 10 with method "dopri5"/,
    );
    expect(() => odeint(field, [1, 1], [0, 10], { method: 'euler', step: 0.001, maxSteps: 100 })).toThrow(
      /maxSteps = 100 exceeded: the fixed grid .* has 10000 steps/,
    );
  });
});

describe('input validation', () => {
  it('names the argument and value', () => {
    expect(() => odeint(field, [1, 1], [0, 1], { method: 'rk4' })).toThrow(/method "rk4" is fixed-step: opts.step is required/);
    expect(() => odeint(field, [1, 1], [0, 1], { method: 'rk4', step: -1 })).toThrow(/opts.step must be a finite number > 0, got -1/);
    expect(() => odeint(field, [1, 1], [0, 1, 0.5], { method: 'rk4', step: 0.1 })).toThrow(
      /strictly increasing or strictly decreasing; t\[1\] = 1, t\[2\] = 0.5/,
    );
    expect(() => odeint(field, [1, Number.NaN], [0, 1], { method: 'rk4', step: 0.1 })).toThrow(/y0\[1\] must be finite, got NaN/);
    expect(() => odeint(field, [1, 1], [0, 1], { method: 'rk4', adaptive: true })).toThrow(/has no embedded weights/);
    expect(() => odeint(field, [1, 1], [0, 1], { method: 'foo' })).toThrow(/unknown method "foo"/);
    expect(() => odeint(field, [1, 1], [0, 1], { method: 'dopri5', rtol: -1 })).toThrow(/rtol must be a finite number ≥ 0, got -1/);
  });

  it('a single requested time returns y0 without evaluating f', () => {
    const sol = odeint(field, [3, 4], [5], { method: 'rk4', step: 0.1 });
    expect(Array.from(sol.y)).toEqual([3, 4]);
    expect(sol.stats.fevals).toBe(0);
  });
});
