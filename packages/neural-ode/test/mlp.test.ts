import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES, defaultWeights, layerShapes, mlpForward64 } from '@sii/mlp';
import { initBackend, MlpVectorField } from '../src/index.js';
import { lcg, mlp64, type Net, relErr } from './helpers/ref64.js';

beforeAll(async () => {
  await initBackend();
});

const spec = (activation: (typeof ACTIVATION_NAMES)[number]) => ({ states: 3, inputs: 2, hidden: 7, layers: 3, activation });

describe('MlpVectorField', () => {
  it('has the layer shapes of the spec, (n+m)→H→…→H→n, and L=1 maps (n+m)→n', () => {
    expect(layerShapes({ states: 3, inputs: 2, hidden: 7, layers: 3, activation: 'elu' })).toEqual([
      [5, 7],
      [7, 7],
      [7, 3],
    ]);
    expect(layerShapes({ states: 4, inputs: 0, hidden: 9, layers: 1, activation: 'elu' })).toEqual([[4, 4]]);
    const f = new MlpVectorField(spec('elu'));
    expect(f.variables.map((v) => v.shape)).toEqual([[5, 7], [7], [7, 7], [7], [7, 3], [3]]);
    expect(f.parameterCount).toBe(5 * 7 + 7 + 7 * 7 + 7 + 7 * 3 + 3);
    f.dispose();
  });

  it("without weights a field starts from @sii/mlp's PyTorch default init for its seed (float32-rounded)", () => {
    const s = spec('elu');
    const f = new MlpVectorField(s, undefined, { seed: 3 });
    const want = defaultWeights(s, 3);
    f.getWeights().weights.forEach((W, k) => {
      expect(Array.from(W.data)).toEqual(Array.from(want.weights[k].data, Math.fround));
    });
    f.dispose();
  });

  it("implements @sii/mlp's float64 forward pass for every activation (to float32 precision)", () => {
    const r = lcg(17);
    for (const act of ACTIVATION_NAMES) {
      const s = spec(act);
      const w = defaultWeights(s, `same-${act}`);
      const X = Array.from({ length: 5 }, () => [2 * r(), 2 * r(), 2 * r()]);
      const U = X.map(() => [r(), r()]);
      const f = new MlpVectorField(s, w);
      const got = tf.tidy(() => f.apply(tf.tensor2d(X), tf.tensor2d(U)).arraySync());
      X.forEach((x, i) => {
        const want = mlpForward64(s, w, x, U[i]);
        for (let j = 0; j < 3; j++)
          expect(Math.abs(got[i][j] - want[j]), `${act} sample ${i} state ${j}`).toBeLessThan(1e-5 * (1 + Math.abs(want[j])));
      });
      f.dispose();
    }
  });

  it('setWeights/getWeights round-trips Float64Array matrices through float32', () => {
    const f = new MlpVectorField(spec('tanh'));
    const w = defaultWeights(f.spec, 11);
    w.weights[0].data[0] = 0.1; // not representable in float32
    f.setWeights(w);
    const back = f.getWeights();
    back.weights.forEach((W, k) => {
      expect(W.rows).toBe(w.weights[k].rows);
      expect(Array.from(W.data)).toEqual(Array.from(w.weights[k].data, Math.fround));
      expect(Array.from(back.biases[k])).toEqual(Array.from(w.biases[k], Math.fround));
    });
    expect(back.weights[0].data[0]).toBe(Math.fround(0.1));
    f.dispose();
  });

  for (const act of ACTIVATION_NAMES) {
    it(`${act}: forward matches the float64 reference; custom and autodiff gradients agree`, () => {
      const w = defaultWeights(spec(act), act.length);
      const f = new MlpVectorField(spec(act), w);
      const back = f.getWeights(); // float32-rounded
      const net: Net = { n: 3, m: 2, act, W: back.weights, b: back.biases };
      const r = lcg(act.charCodeAt(1));
      const X = Array.from({ length: 5 }, () => [2 * r(), 2 * r(), 2 * r()]);
      const U = Array.from({ length: 5 }, () => [r(), r()]);
      const x = tf.tensor2d(X);
      const u = tf.tensor2d(U);
      const y = f.apply(x, u);
      const ref = X.flatMap((xb, b) => Array.from(mlp64(net, xb, U[b])));
      expect(relErr(y.dataSync(), ref)).toBeLessThan(2e-6);
      const seed = tf.tensor2d(Array.from({ length: 5 }, () => [r(), r(), r()]));
      const grads = (mode: 'custom' | 'autodiff') => {
        f.gradMode = mode;
        const { grads: g } = tf.variableGrads(() => tf.sum(tf.mul(f.apply(x, u), seed)) as tf.Scalar, f.variables);
        const dx = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(f.apply(z as tf.Tensor2D, u), seed)))(x);
        const out = [...f.variables.map((v) => g[v.name].dataSync()), dx.dataSync()];
        tf.dispose([...Object.values(g), dx]);
        return out;
      };
      const a = grads('custom');
      const b = grads('autodiff');
      a.forEach((ga, i) => {
        expect(relErr(ga, b[i])).toBeLessThan(1e-5);
      });
      tf.dispose([x, u, y, seed]);
      f.dispose();
    });
  }

  it('broadcasts a single input row over the batch', () => {
    const f = new MlpVectorField(spec('elu'));
    const x = tf.tensor2d([
      [0.1, 0.2, 0.3],
      [0.4, -0.5, 0.6],
    ]);
    const u1 = tf.tensor2d([[0.7, -0.2]]);
    const u2 = tf.tensor2d([
      [0.7, -0.2],
      [0.7, -0.2],
    ]);
    expect(Array.from(f.apply(x, u1).dataSync())).toEqual(Array.from(f.apply(x, u2).dataSync()));
    f.dispose();
  });
});
