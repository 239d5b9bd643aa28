import * as tf from '@tensorflow/tfjs-core';
const { initBackend } = await import('@sii/neural-ode');
const { conv3dSimd } = await import('@sii/neural-ode/internal');
await initBackend({ backend: 'wasm' });
const cases = [[[8,10,16,16,8],[3,3,3,8,8],[1,1,1]], [[8,10,16,16,8],[1,3,3,8,8],[0,1,1]], [[8,5,8,8,8],[3,3,3,8,16],[1,1,1]]];
for (const [xs, ws, pad] of cases) {
  const x = tf.randomNormal(xs), w = tf.randomNormal(ws), b = tf.randomNormal([ws[4]]);
  const M = xs[0]*xs[1]*xs[2]*xs[3]; const macs = M * ws[0]*ws[1]*ws[2]*ws[3]*ws[4];
  const fwd = () => tf.tidy(() => { conv3dSimd(x, w, b, pad); });
  const all = () => tf.tidy(() => { tf.grads((a, c, d) => tf.sum(conv3dSimd(a, c, d, pad)))([x, w, b]); });
  for (let i = 0; i < 3; i++) { fwd(); all(); }
  const time = (f, n = 10) => { const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1000 / n; };
  const tf_ = time(fwd), ta = time(all);
  console.log(JSON.stringify(ws), 'fwd', tf_.toFixed(2), 'ms', (2*macs/tf_/1e6).toFixed(1), 'GF/s; fwd+bwd', ta.toFixed(2), 'ms', (6*macs/ta/1e6).toFixed(1), 'GF/s');
}
