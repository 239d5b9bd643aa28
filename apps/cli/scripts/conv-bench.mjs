// Forward + backward time of the latent model's 3-D convolutions: im2col + matMul vs tfjs' Conv3D
// kernel, on the wasm backend, at the laptop and paper shapes. Run after building @sii/cli:
//   node apps/cli/scripts/conv-bench.mjs
import { initBackend } from '@sii/neural-ode';
import * as tf from '@tensorflow/tfjs-core';
import { conv3d, registerConvGradients } from '../dist/experiments/layers/index.js';

await initBackend({ backend: 'wasm' });
registerConvGradients();
const cases = [
  { name: 'laptop decoder 1x3x3, 8->8 ch, 16x16, 320 frames', x: [16, 20, 16, 16, 8], k: [1, 3, 3, 8, 8] },
  { name: 'laptop encoder 3x3x3, 8->8 ch, 16x16, 10 frames', x: [16, 10, 16, 16, 8], k: [3, 3, 3, 8, 8] },
  { name: 'paper decoder 1x3x3, 64->64 ch, 32x32, 8 frames', x: [1, 8, 32, 32, 64], k: [1, 3, 3, 64, 64] },
  { name: 'paper encoder 3x3x3, 64->64 ch, 32x32, 10 frames', x: [1, 10, 32, 32, 64], k: [3, 3, 3, 64, 64] },
];
for (const c of cases) {
  const x = tf.randomNormal(c.x);
  const w = tf.randomNormal(c.k, 0, 0.1);
  const pad = c.k.slice(0, 3).map((k) => (k - 1) / 2);
  const row = [c.name];
  for (const impl of ['im2col', 'native']) {
    const step = () =>
      tf.tidy(() => {
        const g = tf.grads((a, b) => tf.sum(tf.square(conv3d(a, b, pad, impl))))([x, w]);
        g[1].dataSync();
      });
    step();
    const reps = 3;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) step();
    row.push(`${impl} ${((performance.now() - t0) / reps).toFixed(1)} ms`);
  }
  console.log(row.join(' | '));
  tf.dispose([x, w]);
}
