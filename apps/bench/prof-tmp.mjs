import * as tf from '@tensorflow/tfjs-core';
import { NAdam, defaultWeights, fastRollout, initBackend, MlpVectorField, mse, NeuralODE, trainStep } from '@sii/neural-ode';
await initBackend({ backend: 'wasm' });
const C = { n: 4, m: 1, H: 128, L: 3, method: 'midpoint', h: 0.1, T: 10, B: 20, loss: 'all' };
const spec = { states: C.n, inputs: C.m, hidden: C.H, layers: C.L, activation: 'elu' };
const field = new MlpVectorField(spec, defaultWeights(spec, 0), { gradMode: 'custom' });
const ode = new NeuralODE(field, { method: C.method, step: C.h, checkFinite: false });
const x0 = tf.randomNormal([C.B, C.n], 0, 1, 'float32', 1); const u = tf.randomNormal([C.T, C.B, C.m], 0, 1, 'float32', 2);
const target = tf.randomNormal([C.T, C.B, C.n], 0, 1, 'float32', 3);
const opt = new NAdam({ learningRate: 1e-4 });
const loss = () => mse(fastRollout(ode, x0, u, { output: C.loss }), target);
const step = () => trainStep(loss, opt, { variables: field.variables, clipNorm: 1 });
for (let i = 0; i < 100; i++) step();
const ts = [];
for (let i = 0; i < 1500; i++) { const t0 = performance.now(); step(); ts.push(performance.now() - t0); }
ts.sort((a, b) => a - b); console.log('median', ts[750].toFixed(3), 'min', ts[0].toFixed(3));
