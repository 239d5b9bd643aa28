import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, MlpVectorField, NeuralODE } from '../src/index.js';
import { type Act, centralDiff, lcg, type Net, relErr, rolloutLoss64, TABLEAUX } from './helpers/ref64.js';

beforeAll(async () => {
  await initBackend();
});

/** Random problem: net weights (float32-representable), batch of x0, inputs, targets. */
function problem(act: Act, seed: number, n = 2, m = 1, H = 6, L = 3, B = 3, T = 4) {
  const r = lcg(seed);
  const f32 = (v: number) => Math.fround(v);
  const W: Net['W'] = [];
  const b: Float64Array[] = [];
  for (let k = 0; k < L; k++) {
    const rows = k === 0 ? n + m : H;
    const cols = k === L - 1 ? n : H;
    const s = 1.2 / Math.sqrt(rows);
    W.push({ rows, cols, data: Float64Array.from({ length: rows * cols }, () => f32(s * r())) });
    b.push(Float64Array.from({ length: cols }, () => f32(0.3 * r())));
  }
  const net: Net = { n, m, act, W, b };
  const x0 = Array.from({ length: B }, () => Array.from({ length: n }, () => f32(r())));
  const inputs = Array.from({ length: T }, () => Array.from({ length: B }, () => Array.from({ length: m }, () => f32(r()))));
  const targets = Array.from({ length: T }, () => Array.from({ length: B }, () => Array.from({ length: n }, () => f32(0.5 * r()))));
  return { net, x0, inputs, targets, spec: { states: n, inputs: m, hidden: H, layers: L, activation: act } };
}

function tfGrads(p: ReturnType<typeof problem>, method: string, h: number, mode: 'custom' | 'autodiff') {
  const field = new MlpVectorField(p.spec, { weights: p.net.W, biases: p.net.b }, { gradMode: mode });
  const ode = new NeuralODE(field, { method: TABLEAUX[method], step: h });
  const x0 = tf.tensor2d(p.x0);
  const u = tf.tensor3d(p.inputs);
  const y = tf.tensor3d(p.targets);
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(ode.rollout(x0, u), y))) as tf.Scalar, field.variables);
  const loss = value.dataSync()[0];
  const g = field.variables.map((v) => Float64Array.from(grads[v.name].dataSync()));
  tf.dispose([value, x0, u, y, ...Object.values(grads)]);
  field.dispose();
  return { loss, g };
}

const cases: Array<[Act, string, number]> = [
  ['elu', 'midpoint', 0.1],
  ['silu', 'rk4', 0.2],
  ['gelu', 'heun3', 0.2],
  ['tanh', 'euler', 0.1],
  ['relu', 'midpoint', 0.1],
  ['leaky_relu', 'rk4', 0.1],
  ['selu', 'midpoint', 0.1],
  ['softplus', 'heun3', 0.1],
  ['sigmoid', 'euler', 0.3],
  ['none', 'rk4', 0.1],
];

describe('rollout-loss gradients vs float64 central differences of an independent implementation', () => {
  for (const [act, method, h] of cases) {
    it(`${act} + ${method}: every weight, both gradient modes, rel. error <= 1e-3`, () => {
      const p = problem(act, act.length * 7919 + method.length);
      const params = p.net.W.flatMap((W, k) => [W.data, p.net.b[k]]);
      const loss64 = () => rolloutLoss64(p.net, p.x0, p.inputs, p.targets, TABLEAUX[method], h);
      const fd = centralDiff(loss64, params);
      for (const mode of ['custom', 'autodiff'] as const) {
        const { loss, g } = tfGrads(p, method, h, mode);
        expect(Math.abs(loss - loss64()) / loss64()).toBeLessThan(1e-5);
        g.forEach((gi, i) => {
          expect(relErr(gi, fd[i]), `${mode} variable ${i}`).toBeLessThanOrEqual(1e-3);
        });
      }
    });
  }
});
