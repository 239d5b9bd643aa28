import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_NAMES,
  type ActivationName,
  activation64,
  activationDerivative64,
  activationSlopeAtZero,
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

  it('rejects unknown names', () => {
    expect(() => activationSlopeAtZero('swish' as ActivationName)).toThrow(/swish/);
  });
});
