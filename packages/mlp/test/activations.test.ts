import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_NAMES,
  type ActivationName,
  activation64,
  activationDerivative64,
  activationSlopeAtZero,
  activationSupSlope,
  getActivation,
  SELU_ALPHA,
  SELU_SCALE,
} from '../src/index.js';

const smooth: ActivationName[] = ['elu', 'silu', 'gelu', 'tanh', 'softplus', 'sigmoid', 'none'];

describe('activations (float64)', () => {
  it('derivatives match central finite differences away from kinks', () => {
    const xs = [-3.7, -1.2, -0.3, -1e-3, 2e-3, 0.4, 1.1, 2.9];
    const step = 1e-6;
    for (const name of ACTIVATION_NAMES) {
      for (const x of xs) {
        const fd = (activation64(name, x + step) - activation64(name, x - step)) / (2 * step);
        expect(activationDerivative64(name, x), `${name}'(${x})`).toBeCloseTo(fd, 7);
      }
    }
  });

  it('smooth activations have matching one-sided slopes at 0 equal to activationSlopeAtZero', () => {
    const step = 1e-7;
    for (const name of smooth) {
      const right = (activation64(name, step) - activation64(name, 0)) / step;
      const left = (activation64(name, 0) - activation64(name, -step)) / step;
      expect(right, name).toBeCloseTo(activationSlopeAtZero(name), 6);
      expect(left, name).toBeCloseTo(activationSlopeAtZero(name), 6);
    }
  });

  it('slopes at zero are the documented constants', () => {
    const expected: Record<ActivationName, number> = {
      elu: 1,
      silu: 0.5,
      gelu: 0.5,
      tanh: 1,
      relu: 1, // right derivative (documented choice)
      leaky_relu: 1, // right derivative
      selu: 1.0507009873554805,
      softplus: 0.5,
      sigmoid: 0.25,
      none: 1,
    };
    for (const name of ACTIVATION_NAMES) expect(activationSlopeAtZero(name), name).toBe(expected[name]);
  });

  it('kinks follow the autodiff convention at exactly 0', () => {
    expect(activationDerivative64('relu', 0)).toBe(0);
    expect(activationDerivative64('leaky_relu', 0)).toBe(0.01);
    expect(activationDerivative64('selu', 0)).toBeCloseTo(SELU_SCALE * SELU_ALPHA, 15);
    expect(activationDerivative64('relu', 1e-300)).toBe(1);
  });

  it('values agree with closed forms', () => {
    expect(activation64('softplus', 0)).toBeCloseTo(Math.LN2, 15);
    expect(activation64('sigmoid', 0)).toBe(0.5);
    expect(activation64('silu', 1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    // GELU tanh approximation at x = 1: 0.5 (1 + tanh(√(2/π)·1.044715))
    expect(activation64('gelu', 1)).toBeCloseTo(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), 15);
    expect(activation64('elu', -1)).toBeCloseTo(Math.exp(-1) - 1, 15);
    expect(activation64('selu', -1)).toBeCloseTo(SELU_SCALE * SELU_ALPHA * (Math.exp(-1) - 1), 15);
    expect(activation64('leaky_relu', -2)).toBe(-0.02);
  });

  it('stays finite for large arguments', () => {
    expect(activation64('sigmoid', -800)).toBe(0);
    expect(activation64('sigmoid', 800)).toBe(1);
    expect(activation64('softplus', 800)).toBe(800);
    expect(activation64('softplus', -800)).toBe(0);
    expect(Math.abs(activationDerivative64('silu', -800))).toBe(0);
  });

  it('supremum slopes sup|σ′| agree with a dense grid refined by golden-section search', () => {
    // Independent check: the largest central finite difference of σ over x ∈ [−40, 40] (step 1e-3),
    // then a golden-section search for the maximum of |σ′| (analytic, itself checked against finite
    // differences above) around the best grid point.
    const slope = (name: ActivationName, x: number) => Math.abs(activationDerivative64(name, x));
    const fdSlope = (name: ActivationName, x: number) => Math.abs((activation64(name, x + 1e-7) - activation64(name, x - 1e-7)) / 2e-7);
    const supremum = (name: ActivationName) => {
      let best = -40;
      for (let x = -40; x <= 40; x += 1e-3) if (fdSlope(name, x) > fdSlope(name, best)) best = x;
      let a = best - 2e-3;
      let b = best + 2e-3;
      const g = (Math.sqrt(5) - 1) / 2;
      for (let i = 0; i < 60; i++) {
        const c = b - g * (b - a);
        const d = a + g * (b - a);
        if (slope(name, c) > slope(name, d)) b = d;
        else a = c;
      }
      return { x: (a + b) / 2, value: slope(name, (a + b) / 2) };
    };
    const silu = supremum('silu');
    expect(silu.x).toBeCloseTo(2.3994, 3);
    expect(activationSupSlope('silu')).toBeCloseTo(silu.value, 10);
    expect(activationSupSlope('silu')).toBeCloseTo(1.0998, 4);
    const gelu = supremum('gelu');
    expect(gelu.x).toBeCloseTo(1.4185, 3);
    expect(activationSupSlope('gelu')).toBeCloseTo(gelu.value, 10);
    expect(activationSupSlope('gelu')).toBeCloseTo(1.129, 3);
    // Monotone slopes: the supremum is a limit or an endpoint of the grid.
    for (const name of ['elu', 'tanh', 'relu', 'leaky_relu', 'softplus', 'sigmoid', 'none'] as ActivationName[]) {
      expect(activationSupSlope(name), name).toBeCloseTo(supremum(name).value, 6);
    }
    expect(activationSupSlope('sigmoid')).toBe(0.25);
    expect(activationSupSlope('softplus')).toBe(1);
    // selu: σ′ = scale·alpha·e^x on x ≤ 0, so the supremum scale·alpha ≈ 1.7581 is reached at 0⁻.
    expect(activationSupSlope('selu')).toBeCloseTo(1.7581, 4);
    expect(activationSupSlope('selu')).toBeCloseTo(supremum('selu').value, 5);
    // No grid point exceeds the stated supremum.
    for (const name of ACTIVATION_NAMES) {
      for (let x = -20; x <= 20; x += 0.01) {
        expect(Math.abs(activationDerivative64(name, x)), `${name}'(${x})`).toBeLessThanOrEqual(activationSupSlope(name) * (1 + 1e-12));
      }
    }
  });

  it('getActivation bundles σ, σ′ and both slopes', () => {
    const silu = getActivation('silu');
    expect(silu.name).toBe('silu');
    expect(silu.fn(1)).toBe(activation64('silu', 1));
    expect(silu.derivative(-0.3)).toBe(activationDerivative64('silu', -0.3));
    expect(silu.slopeAtZero).toBe(0.5);
    expect(silu.supSlope).toBe(activationSupSlope('silu'));
  });

  it('rejects unknown names, naming the argument and the known names', () => {
    expect(() => activationSlopeAtZero('swish' as ActivationName)).toThrow(/swish/);
    expect(() => activationSupSlope('swish' as ActivationName)).toThrow(/name: unknown activation "swish"; known: elu, silu/);
    expect(() => getActivation('swish' as ActivationName)).toThrow(/swish/);
  });
});
