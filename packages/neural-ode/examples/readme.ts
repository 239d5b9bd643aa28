import * as tf from '@tensorflow/tfjs-core';
import { initBackend, MlpVectorField, NeuralODE } from '@sii/neural-ode';

console.log(await initBackend()); // { backend: 'wasm', simd: true, threads: false }

// dx/dt = f(x, u): 2 states, 1 input, hidden width 32, 3 Linear layers, ELU
const field = new MlpVectorField({ states: 2, inputs: 1, hidden: 32, layers: 3, activation: 'elu' }, undefined, { seed: 1 });
const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });

const x = tf.tensor2d([[1, 0], [0, 1]]); // batch of 2 states
const u = tf.tensor2d([[0.5], [-0.5]]); // their inputs, held constant over the step
ode.step(x, u).print();

// rollout over 10 samples of input, MSE against targets
const inputs = tf.tensor3d(Array.from({ length: 10 }, (_, k) => [[Math.sin(k)], [Math.cos(k)]]));
const targets = tf.tensor3d(Array.from({ length: 10 }, (_, k) => [[Math.exp(-0.1 * k), 0], [0, Math.exp(-0.1 * k)]]));
const loss = () => tf.mean(tf.squaredDifference(ode.rollout(x, inputs), targets)) as tf.Scalar;
for (let i = 0; i < 5; i++) {
  const { value, grads } = tf.variableGrads(loss, field.variables);
  tf.tidy(() => field.variables.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], 0.2)))));
  console.log(`step ${i}: loss ${value.dataSync()[0].toFixed(5)}`);
  tf.dispose([value, ...Object.values(grads)]);
}

// Jacobian and poles at the origin, and whether h·λ lies in the midpoint method's stability region:
import { jacobian, poles, stabilityCheck } from '@sii/neural-ode';

const J = jacobian(field, [[0, 0]], [[0]])[0]; // Float64Array, J[i*n + j] = ∂f_i/∂x_j
const [p] = poles(field, [[0, 0]], [[0]]); // Complex[] ({ re, im })
console.log(stabilityCheck(p, { method: 'midpoint', step: 0.1 })); // { hLambda, abs, inside }
