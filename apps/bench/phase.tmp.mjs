import * as tf from '@tensorflow/tfjs-core';
import { buildLatentModel, registerConvGradients } from '@sii/cli';
import { latentBenchConfig } from './dist/index.js';
const { initBackend } = await import('@sii/neural-ode');
await initBackend({ backend: 'wasm' });
registerConvGradients();
const c = latentBenchConfig();
const m = buildLatentModel(c, 'sii', '0/run/0');
console.log('impl', m.impl);
const S = c.frameSize, B = c.batch;
const x = tf.randomUniform([B, c.inputFrames, S, S, 3]);
const y = tf.randomUniform([B, c.horizon, S, S, 3]);
const count = async (name, f) => { const info = await tf.profile(f); const by = {}; for (const k of info.kernels) by[k.name] = (by[k.name] ?? 0) + 1; console.log(name, info.kernels.length, JSON.stringify(Object.entries(by).sort((a,b)=>b[1]-a[1]).slice(0,8))); };
for (let r = 0; r < 2; r++) {
await count('encode', () => { tf.tidy(() => { m.encode(x, true); }); });
const z0 = tf.tidy(() => m.encode(x, true));
await count('rollout', () => { tf.tidy(() => { m.ode.rollout(z0, c.horizon); }); });
const zs = tf.tidy(() => m.ode.rollout(z0, c.horizon));
await count('decode', () => { tf.tidy(() => { m.decode(zs, B, true); }); });
await count('fwd+bwd', () => { tf.tidy(() => { tf.variableGrads(() => tf.mean(tf.squaredDifference(m.decode(m.ode.rollout(m.encode(x, true), c.horizon), B, true), y))); }); });
const T = (f) => { const t0 = performance.now(); for (let i = 0; i < 5; i++) tf.tidy(f); return ((performance.now() - t0) / 5).toFixed(1); };
console.log('ms encode', T(() => m.encode(x, true)), 'rollout', T(() => m.ode.rollout(z0, c.horizon)), 'decode', T(() => m.decode(zs, B, true)), 'fwd+bwd', T(() => tf.variableGrads(() => tf.mean(tf.squaredDifference(m.decode(m.ode.rollout(m.encode(x, true), c.horizon), B, true), y)))));
tf.dispose([z0, zs]);
}
