/**
 * Bad input found by fuzzing the built package: each case must throw an error naming the argument and
 * the offending value (before the fixes these gave NaN results, a misleading message or an unbounded run).
 */
import { describe, expect, it } from 'vitest';
import { getTableau, type OdeFunction, odeint, RkStepper, rkStep, stabilityBoundary, taylorPolynomial } from '../src/index.js';

const decay: OdeFunction = (_t, y, dy) => {
  for (let i = 0; i < y.length; i++) dy[i] = -y[i];
};
const nanField: OdeFunction = (_t, _y, dy) => {
  dy[0] = Number.NaN;
};

describe('odeint: a right-hand side that returns NaN', () => {
  it('fixed step: throws naming f and the component instead of returning NaN', () => {
    expect(() => odeint(nanField, [1], [0, 1], { method: 'rk4', step: 0.1 })).toThrow(
      /f returned a non-finite derivative dydt\[0\] = NaN at t = 0/,
    );
  });
  it('adaptive: throws naming f, not the first step', () => {
    expect(() => odeint(nanField, [1], [0, 1], { method: 'dopri5' })).toThrow(
      /f returned a non-finite derivative dydt\[0\] = NaN at t = 0/,
    );
  });
  it('backwards in time: the message gives the caller’s time', () => {
    const inf: OdeFunction = (_t, _y, dy) => {
      dy[0] = Number.POSITIVE_INFINITY;
    };
    expect(() => odeint(inf, [1], [2, 1], { method: 'euler', step: 0.1 })).toThrow(/dydt\[0\] = -Infinity at t = 2/);
  });
  it('a blow-up after the first step is still returned (fixed-step instability is a result, not an error)', () => {
    // y' = 1e300·y with Euler h = 0.5: y_1 = 5e299, y_2 = Infinity
    const fast: OdeFunction = (_t, y, dy) => {
      dy[0] = 1e300 * y[0];
    };
    const sol = odeint(fast, [1], [0, 0.5, 1, 1.5], { method: 'euler', step: 0.5 });
    expect(sol.y[1]).toBe(1 + 0.5e300);
    expect(sol.y[3]).not.toBeLessThan(Number.POSITIVE_INFINITY);
  });
});

describe('odeint: tolerances so small that no first step can be estimated', () => {
  it('throws naming rtol and atol', () => {
    expect(() => odeint(decay, [1], [0, 1], { method: 'dopri5', rtol: 1e-300, atol: 1e-300 })).toThrow(
      /no first step could be estimated \(h0 = NaN\) with rtol = 1e-300, atol = 1e-300/,
    );
  });
});

describe('rkStep: t and h must be finite numbers', () => {
  for (const h of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(`h = ${h} throws naming h`, () => {
      expect(() => rkStep('rk4', decay, 0, [1], h)).toThrow(new RegExp(`rkStep: h must be a finite number, got ${h}`));
    });
  }
  it('t = NaN throws naming t', () => {
    expect(() => rkStep('euler', decay, Number.NaN, [1], 0.1)).toThrow(/rkStep: t must be a finite number, got NaN/);
  });
  it('a negative h is a valid backward step: Euler gives y(1 + h·(−1)) = 1.1', () => {
    expect(rkStep('euler', decay, 0, [1], -0.1)[0]).toBeCloseTo(1.1, 15);
  });
});

describe('stabilityBoundary: points is bounded', () => {
  it('points = 1e12 throws at once instead of running out of memory', () => {
    expect(() => stabilityBoundary(taylorPolynomial(1), { points: 1e12 })).toThrow(
      /points must be an integer in \[8, 1048576\], got 1000000000000/,
    );
  });
});

describe('RkStepper.step: the state has the stepper length', () => {
  it('a shorter or longer y is refused (it read past y or ignored entries before)', () => {
    const st = new RkStepper(getTableau('rk4'), 2);
    const f: OdeFunction = (_t, y, dy) => dy.set(y);
    expect(() => st.step(f, 0, new Float64Array(1), 0.1)).toThrow(/RkStepper.step: y must have length 2 \(the stepper's n\), got 1/);
    expect(() => st.step(f, 0, new Float64Array(3), 0.1)).toThrow(/got 3/);
    // the right length still steps: y' = y, one RK4 step of h from 1 is 1 + h + h²/2 + h³/6 + h⁴/24
    st.step(f, 0, Float64Array.of(1, 2), 0.1);
    const g = 1 + 0.1 + 0.01 / 2 + 0.001 / 6 + 0.0001 / 24;
    expect(st.y1[0]).toBeCloseTo(g, 14);
    expect(st.y1[1]).toBeCloseTo(2 * g, 14);
  });
});
