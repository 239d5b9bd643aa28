import * as tf from '@tensorflow/tfjs-core';
const { initBackend } = await import('@sii/neural-ode');
await initBackend({ backend: 'wasm' });
const L = await import('../cli/dist/experiments/layers/index.js');
const x = tf.randomNormal([8, 10, 16, 16, 8]);
const y = tf.randomNormal([8, 10, 8, 8, 32]);
const b = tf.randomNormal([8]);
const f1 = () => tf.tidy(() => { L.maxPool3d2(x).dataSync(); });
const f2 = () => tf.tidy(() => { tf.grad((v) => tf.sum(L.maxPool3d2(v)))(x).dataSync(); });
const f3 = () => tf.tidy(() => { L.depthToSpaceBias(y, [1, 2, 2], 8, b).dataSync(); });
const f4 = () => tf.tidy(() => { x.dataSync(); });
for (const [n, f] of [['maxpool fwd', f1], ['maxpool fwd+bwd', f2], ['d2s+bias fwd', f3], ['dataSync 164K', f4]]) {
  for (let i = 0; i < 5; i++) f();
  const c0 = process.cpuUsage(); for (let i = 0; i < 20; i++) f(); const c = process.cpuUsage(c0);
  console.log(n, ((c.user + c.system) / 20000).toFixed(2), 'ms');
}
