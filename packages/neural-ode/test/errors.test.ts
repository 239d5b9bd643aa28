import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fastRollout, initBackend, jacobian, MlpVectorField, NeuralODE, odeintTensor } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

const spec = { states: 2, inputs: 1, hidden: 4, layers: 2, activation: 'elu' as const };

describe('bad input gives clear errors', () => {
  it('MLP spec and weights', () => {
    expect(() => new MlpVectorField({ ...spec, states: 0 })).toThrow(/spec\.states must be an integer >= 1, got 0/);
    expect(() => new MlpVectorField({ ...spec, hidden: 2.5 })).toThrow(/spec\.hidden must be an integer >= 1, got 2\.5/);
    expect(() => new MlpVectorField({ ...spec, activation: 'swish' as 'elu' })).toThrow(/unknown activation "swish"; known: elu, silu/);
    const f = new MlpVectorField(spec);
    const w = f.getWeights();
    expect(() => f.setWeights({ ...w, weights: [w.weights[1], w.weights[0]] })).toThrow(/weights\[0\] must be 3×4 \(in×out\), got 4×2/);
    w.biases[1][0] = Number.NaN;
    expect(() => f.setWeights(w)).toThrow(/biases\[1\]\[0\] must be a finite number, got NaN/);
    expect(() => {
      f.gradMode = 'numeric' as 'custom';
    }).toThrow(/gradMode must be 'custom' or 'autodiff', got "numeric"/);
    f.dispose();
    expect(() => f.apply(tf.zeros([1, 2]) as tf.Tensor2D)).toThrow(/the field was disposed/);
  });

  it('shape mismatches', () => {
    const f = new MlpVectorField(spec);
    expect(() => f.apply(tf.zeros([3, 3]) as tf.Tensor2D, tf.zeros([3, 1]) as tf.Tensor2D)).toThrow(
      /x must have shape \[batch, 2\], got \[3, 3\]/,
    );
    expect(() => f.apply(tf.zeros([3, 2]) as tf.Tensor2D)).toThrow(/u is required \(the field has 1 inputs\)/);
    expect(() => f.apply(tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([2, 1]) as tf.Tensor2D)).toThrow(
      /u must have shape \[3 or 1, 1\], got \[2, 1\]/,
    );
    expect(() => f.apply(tf.zeros([2]) as unknown as tf.Tensor2D)).toThrow(/x must have rank 2, got shape \[2\]/);
    const ode = new NeuralODE(f, { method: 'midpoint', step: 0.1 });
    expect(() => ode.rollout(tf.zeros([2, 2]) as tf.Tensor2D, tf.zeros([5, 2, 3]) as tf.Tensor3D)).toThrow(
      /inputs must have shape \[T >= 1, 2 or 1, 1\], got \[5, 2, 3\]/,
    );
    expect(() => ode.rollout(tf.zeros([2, 2]) as tf.Tensor2D, 4)).toThrow(/the field has 1 inputs; pass inputs of shape \[T, batch, 1\]/);
    expect(() => jacobian(f, [[1, 2, 3]], [[0]])).toThrow(/x\[0\] must have 2 values, got \[1, 2, 3\]/);
    f.dispose();
  });

  it('unknown method, non-positive step, bad tableau', () => {
    const f = new MlpVectorField(spec);
    expect(() => new NeuralODE(f, { method: 'rk5000', step: 0.1 })).toThrow(/NeuralODE: unknown method "rk5000"/);
    expect(() => new NeuralODE(f, { method: 'rk4', step: 0 })).toThrow(/options\.step must be a finite number > 0, got 0/);
    expect(() => new NeuralODE(f, { method: 'rk4', step: -0.1 })).toThrow(/got -0\.1/);
    expect(() => new NeuralODE(f, { method: 'rk4', step: Number.NaN })).toThrow(/got NaN/);
    const implicit = { name: 'implicit', a: [[0.5]], b: [1], c: [0.5], order: 1 };
    expect(() => new NeuralODE(f, { method: implicit, step: 0.1 })).toThrow(/tableau "implicit" is not explicit \(a\[0\]\[0\] = 0\.5\)/);
    const g = (_t: number, y: tf.Tensor) => tf.neg(y);
    expect(() => odeintTensor(g, [1], [0, 1], { method: 'nope' })).toThrow(/odeintTensor: unknown method "nope"/);
    expect(() => odeintTensor(g, [1], [0, 1], { method: 'rk4' })).toThrow(/options\.step is required for the fixed-step method "rk4"/);
    expect(() => odeintTensor(g, [1], [0, 1], { method: 'rk4', step: -1 })).toThrow(/options\.step must be a finite number > 0, got -1/);
    expect(() => odeintTensor(g, [1], [1, 0], { method: 'rk4', step: 0.1 })).toThrow(
      /t must be strictly increasing, got t\[0\] = 1 and t\[1\] = 0/,
    );
    expect(() => odeintTensor(g, [1], [0, 1], { method: 'dopri5', rtol: -1 })).toThrow(/rtol and atol must be finite, >= 0/);
    expect(() => odeintTensor(g, [1], [0, 100], { method: 'dopri5', maxSteps: 3 })).toThrow(/maxSteps = 3 exceeded at t = /);
    f.dispose();
  });

  it('NaN weights (a diverged training step): every rollout path refuses them unless checkFinite is false', () => {
    const f = new MlpVectorField(spec, undefined, { seed: 1 });
    const x0 = tf.tensor2d([[0.5, -0.5]]);
    const u = tf.zeros([3, 1, 1]) as tf.Tensor3D;
    // what a NaN gradient leaves behind: one bias entry of the second layer is NaN (variable 3 = b_1)
    f.variables[3].assign(tf.tensor1d([0, Number.NaN]));
    const message = /the field's weights \(variable 3: b_1\) contains NaN or Infinity \(shape \[2\]\) \(a diverged training step\?\)/;
    for (const fast of [true, false]) {
      const ode = new NeuralODE(f, { method: 'midpoint', step: 0.1, fast });
      expect(() => ode.rollout(x0, u)).toThrow(new RegExp(`NeuralODE\\.rollout: ${message.source}`));
    }
    const ode = new NeuralODE(f, { method: 'midpoint', step: 0.1 });
    expect(() => fastRollout(ode, x0, u, { engine: 'tfjs' })).toThrow(new RegExp(`fastRollout: ${message.source}`));
    // opting out computes (NaN states, as the weights say)
    const off = new NeuralODE(f, { method: 'midpoint', step: 0.1, checkFinite: false });
    const y = off.rollout(x0, u);
    expect(Array.from(y.dataSync()).every(Number.isNaN)).toBe(true);
    f.variables[2].assign(tf.fill([4, 2], Number.POSITIVE_INFINITY) as tf.Tensor2D);
    expect(() => ode.rollout(x0, u)).toThrow(/variable 2: W_1\) contains NaN or Infinity \(shape \[4, 2\]\)/);
    tf.dispose([x0, u, y]);
    f.dispose();
  });

  it('NaN in inputs', () => {
    const f = new MlpVectorField(spec);
    const ode = new NeuralODE(f, { method: 'midpoint', step: 0.1 });
    const x0 = tf.tensor2d([[0, Number.NaN]]);
    expect(() => ode.rollout(x0, tf.zeros([3, 1, 1]) as tf.Tensor3D)).toThrow(/NeuralODE\.rollout: x0 contains NaN or Infinity/);
    const u = tf.tensor3d([[[0]], [[Number.POSITIVE_INFINITY]]]);
    expect(() => ode.rollout(tf.zeros([1, 2]) as tf.Tensor2D, u)).toThrow(/NeuralODE\.rollout: inputs contains NaN or Infinity/);
    expect(() => odeintTensor((_t, y) => y, [1, Number.NaN], [0, 1], { method: 'rk4', step: 0.1 })).toThrow(
      /odeintTensor: y0\[1\] must be a finite number, got NaN/,
    );
    expect(() => odeintTensor((_t, y) => y, tf.tensor1d([Number.NaN]), [0, 1], { method: 'rk4', step: 0.1 })).toThrow(
      /odeintTensor: y0 contains NaN/,
    );
    expect(() => odeintTensor((_t, y) => y, [1], [0, Number.NaN], { method: 'rk4', step: 0.1 })).toThrow(
      /odeintTensor: t\[1\] must be a finite number, got NaN/,
    );
    expect(() => jacobian(f, [[0, Number.NaN]], [[0]])).toThrow(/jacobian: x\[0\]\[1\] must be a finite number, got NaN/);
    expect(() => odeintTensor((_t, y) => tf.div(y, tf.zerosLike(y)), [1], [0, 1], { method: 'dopri5' })).toThrow(
      /odeintTensor: f\(t0, y0\) contains NaN or Infinity/,
    );
    // blows up after the start: reported by the error control
    expect(() => odeintTensor((t, y) => (t > 0.5 ? tf.div(y, tf.zerosLike(y)) : y), [1], [0, 1], { method: 'dopri5' })).toThrow(
      /error estimate is not finite/,
    );
    f.dispose();
  });
});
