import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, MlpVectorField, NeuralODE } from '../src/index.js';
import { relErr } from './helpers/ref64.js';
import { mse } from './helpers/sgd.js';

afterAll(async () => {
  await initBackend();
});

async function lossAndGrads(backend: 'wasm' | 'cpu', mode: 'custom' | 'autodiff') {
  await initBackend({ backend });
  const field = new MlpVectorField({ states: 3, inputs: 2, hidden: 16, layers: 3, activation: 'silu' }, undefined, {
    seed: 42,
    gradMode: mode,
  });
  const ode = new NeuralODE(field, { method: 'rk4', step: 0.1 });
  const x0 = tf.tensor2d([
    [0.5, -0.1, 0.3],
    [1, 0.2, -0.7],
  ]);
  const u = tf.tensor3d(
    Array.from({ length: 6 }, (_, k) => [
      [Math.sin(k), 1],
      [Math.cos(k), -1],
    ]),
  );
  const y = tf.tensor3d(
    Array.from({ length: 6 }, (_, k) => [
      [0.1 * k, 0, 1],
      [0, -0.1 * k, 0.5],
    ]),
  );
  const { value, grads } = tf.variableGrads(() => mse(ode.rollout(x0, u), y), field.variables);
  const out = { loss: value.dataSync()[0], grads: field.variables.map((v) => Float64Array.from(grads[v.name].dataSync())) };
  tf.dispose([value, x0, u, y, ...Object.values(grads)]);
  field.dispose();
  return out;
}

describe('wasm and cpu backends', () => {
  it('give the same loss and gradients to float32 tolerance (both gradient modes)', async () => {
    for (const mode of ['custom', 'autodiff'] as const) {
      const w = await lossAndGrads('wasm', mode);
      const c = await lossAndGrads('cpu', mode);
      expect(Math.abs(w.loss - c.loss)).toBeLessThan(1e-6 * Math.abs(c.loss));
      w.grads.forEach((g, i) => {
        expect(relErr(g, c.grads[i])).toBeLessThan(1e-5);
      });
    }
  });
});
