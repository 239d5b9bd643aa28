// eig(∂f/∂x at the origin) through tfjs float32 (@sii/neural-ode's MlpVectorField + jacobian).
import { type Complex, eigenvalues, Rng } from '@sii/linalg';
import { initBackend, jacobian, MlpVectorField, ACTIVATION_NAMES as NODE_ACTIVATIONS } from '@sii/neural-ode';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES, type ActivationName, heInit, type MlpSpec, type MlpWeights, mlpForward64, siiInit } from '../src/index.js';
import { maxMatchedRelError, scalePoles } from './helpers.js';

function tfjsOriginPoles(spec: MlpSpec, w: MlpWeights): Complex[] {
  const field = new MlpVectorField(spec, w);
  try {
    const x = [new Array(spec.states).fill(0)];
    const u = spec.inputs > 0 ? [new Array(spec.inputs).fill(0)] : undefined;
    const [J] = jacobian(field, x, u);
    return eigenvalues({ rows: spec.states, cols: spec.states, data: J! });
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

  it('SiLU and GELU with compensation; SiLU reference preset gives poles·0.5^(L−1)', () => {
    for (const activation of ['silu', 'gelu'] as ActivationName[]) {
      for (const layers of [2, 3]) {
        const spec: MlpSpec = { states: 4, inputs: 1, hidden: 16, layers, activation };
        const w = siiInit({ ...spec, solver: 'rk4', h: 0.1, complex: true, seed: `tf-${activation}-${layers}` });
        expect(maxMatchedRelError(tfjsOriginPoles(spec, w), w.poles)).toBeLessThan(1e-3);
      }
    }
    for (const layers of [2, 3, 4]) {
      const spec: MlpSpec = { states: 4, inputs: 0, hidden: 16, layers, activation: 'silu' };
      const w = siiInit({ ...spec, solver: 'midpoint', h: 0.1, complex: true, preset: 'reference', seed: layers, biasScale: 0 });
      expect(maxMatchedRelError(tfjsOriginPoles(spec, w), scalePoles(w.poles, 0.5 ** (layers - 1)))).toBeLessThan(1e-3);
    }
  });
});

describe('the float64 MLP of @sii/init and the tfjs MlpVectorField are the same function', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('share the activation names and agree to float32 precision for each of them', () => {
    expect([...NODE_ACTIVATIONS].sort()).toEqual([...ACTIVATION_NAMES].sort());
    const rng = new Rng('same-function');
    for (const activation of ACTIVATION_NAMES) {
      const spec: MlpSpec = { states: 3, inputs: 2, hidden: 8, layers: 3, activation };
      const w = heInit(spec, rng);
      const x = Array.from({ length: 5 }, () => [rng.normal(), rng.normal(), rng.normal()]);
      const u = x.map(() => [rng.normal(), rng.normal()]);
      const field = new MlpVectorField(spec, w);
      try {
        const got = tf.tidy(() => field.apply(tf.tensor2d(x), tf.tensor2d(u)).arraySync());
        x.forEach((xi, i) => {
          const want = mlpForward64(spec, w, xi, u[i]);
          for (let j = 0; j < spec.states; j++) {
            expect(Math.abs(got[i]![j]! - want[j]!), `${activation} sample ${i} state ${j}`).toBeLessThan(1e-5 * (1 + Math.abs(want[j]!)));
          }
        });
      } finally {
        field.dispose();
      }
    }
  });
});
