// eig(∂f/∂x at the origin) through tfjs float32 (@sii/neural-ode's MlpVectorField + jacobian).
import { type Complex, eigenvalues } from '@sii/linalg';
import type { ActivationName, MlpSpec, MlpWeights } from '@sii/mlp';
import { initBackend, jacobian, MlpVectorField } from '@sii/neural-ode';
import { beforeAll, describe, expect, it } from 'vitest';
import { siiInit } from '../src/index.js';
import { maxMatchedRelError, scalePoles } from './helpers.js';

function tfjsOriginPoles(spec: MlpSpec, w: MlpWeights): Complex[] {
  const field = new MlpVectorField(spec, w);
  try {
    const x = [new Array(spec.states).fill(0)];
    const u = spec.inputs > 0 ? [new Array(spec.inputs).fill(0)] : undefined;
    const [J] = jacobian(field, x, u);
    return eigenvalues({ rows: spec.states, cols: spec.states, data: J });
  } finally {
    field.dispose();
  }
}

describe('tfjs float32 (via @sii/neural-ode): eig(∂f/∂x at the origin) = poles to 1e-3', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('ELU, L = 2, 3, 4, real and complex, m = 0 and m > 0', () => {
    for (const layers of [2, 3, 4]) {
      for (const complex of [false, true]) {
        for (const inputs of [0, 2]) {
          const spec: MlpSpec = { states: 5, inputs, hidden: 16, layers, activation: 'elu' };
          const w = siiInit({ ...spec, solver: 'midpoint', h: 0.1, complex, seed: `tf-${layers}-${complex}-${inputs}` });
          expect(maxMatchedRelError(tfjsOriginPoles(spec, w), w.poles), `L=${layers} complex=${complex} m=${inputs}`).toBeLessThan(1e-3);
        }
      }
    }
  });

  it("SiLU and GELU with 'exact' compensation; SiLU by default gives poles·0.5^(L−1)", () => {
    for (const activation of ['silu', 'gelu'] as ActivationName[]) {
      for (const layers of [2, 3]) {
        const spec: MlpSpec = { states: 4, inputs: 1, hidden: 16, layers, activation };
        const w = siiInit({ ...spec, solver: 'rk4', h: 0.1, complex: true, compensation: 'exact', seed: `tf-${activation}-${layers}` });
        expect(maxMatchedRelError(tfjsOriginPoles(spec, w), w.poles)).toBeLessThan(1e-3);
      }
    }
    for (const layers of [2, 3, 4]) {
      const spec: MlpSpec = { states: 4, inputs: 0, hidden: 16, layers, activation: 'silu' };
      const w = siiInit({ ...spec, solver: 'midpoint', h: 0.1, complex: true, seed: layers, biasScale: 0 });
      expect(maxMatchedRelError(tfjsOriginPoles(spec, w), scalePoles(w.poles, 0.5 ** (layers - 1)))).toBeLessThan(1e-3);
    }
  });
});
