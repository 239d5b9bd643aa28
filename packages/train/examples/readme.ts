import * as tf from '@tensorflow/tfjs-core';
import { initBackend, MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { fit, LinearLR, mse, NAdam } from '@sii/train';

await initBackend();
const field = new MlpVectorField({ states: 2, inputs: 0, hidden: 16, layers: 2, activation: 'tanh' }, undefined, { seed: 1 });
const ode = new NeuralODE(field, { method: 'rk4', step: 0.1 });

// 64 trajectories of dx/dt = [[-0.1, 1], [-1, -0.1]]·x, 10 steps each; 48 to train, 16 to validate
const A = tf.tensor2d([[-0.1, -1], [1, -0.1]]); // row-vector form: x·A
const x0: tf.Tensor2D = tf.randomUniform([64, 2], -1, 1, 'float32', 3);
const states: tf.Tensor2D[] = [];
let x: tf.Tensor2D = x0;
for (let k = 0; k < 10; k++) states.push((x = tf.add(x, tf.mul(tf.matMul(x, A), 0.1))));
const y = tf.stack(states) as tf.Tensor3D; // [10, 64, 2]
const split = <T extends tf.Tensor>(t: T, axis: 0 | 1, a: number, n: number): T => tf.slice(t, axis === 0 ? [a, 0] : [0, a, 0], axis === 0 ? [n, 2] : [10, n, 2]);
const [trainX, valX, trainY, valY] = [split(x0, 0, 0, 48), split(x0, 0, 48, 16), split(y, 1, 0, 48), split(y, 1, 48, 16)];

const optimizer = new NAdam({ learningRate: 1e-2 });
const result = fit({
  variables: field.variables,
  optimizer,
  epochs: 8,
  seed: 'example',
  // one shuffled pass per epoch in batches of 16 trajectories
  batches: function* (epoch, rng) {
    const order = Array.from(rng.permutation(48));
    for (let s = 0; s < 48; s += 16) {
      const ids = tf.tensor1d(order.slice(s, s + 16), 'int32');
      yield { x: tf.gather(trainX, ids), y: tf.gather(trainY, ids, 1) };
      ids.dispose();
    }
  },
  loss: (b) => mse(ode.rollout(b.x, 10), b.y),
  disposeBatch: (b) => tf.dispose([b.x, b.y]),
  clipNorm: 1,
  schedule: new LinearLR({ startFactor: 1, endFactor: 0.1, totalIters: 8 }),
  validate: () => ({ loss: tf.tidy(() => mse(ode.rollout(valX, 10), valY)).dataSync()[0] }),
  divergence: { factor: 100 },
  earlyStop: { patience: 3 },
  onEpoch: (e) => console.log(`epoch ${e.epoch}: train ${e.trainLoss.toFixed(5)}, val ${e.metrics.loss.toFixed(5)}, lr ${e.learningRate.toFixed(5)}`),
});
console.log(`initial val ${result.initial.loss.toFixed(5)}; best val ${result.best.value.toFixed(5)} at epoch ${result.best.epoch}`);
// result.state (JSON) resumes the run: fit({ ...sameOptions, epochs: 12, state: result.state })
