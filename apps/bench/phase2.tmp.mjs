import * as tf from '@tensorflow/tfjs-core';
import { buildLatentModel, registerConvGradients } from '@sii/cli';
import { latentBenchConfig } from './dist/index.js';
const { initBackend } = await import('@sii/neural-ode');
await initBackend({ backend: 'wasm' });
registerConvGradients();
const c = latentBenchConfig();
const m = buildLatentModel(c, 'sii', '0/run/0');
const S = c.frameSize, B = c.batch;
const x = tf.randomUniform([B, c.inputFrames, S, S, 3]);
const y = tf.randomUniform([B, c.horizon, S, S, 3]);
const f = () => tf.tidy(() => { tf.variableGrads(() => tf.mean(tf.squaredDifference(m.decode(m.ode.rollout(m.encode(x, true), c.horizon), B, true), y))); });
for (let i = 0; i < 3; i++) f();
const info = await tf.profile(f);
const by = {};
for (const k of info.kernels) { const e = by[k.name] ?? [0, 0, new Set()]; by[k.name] = e; e[0]++; e[1] += k.kernelTimeMs; e[2].add(k.inputShapes.map(s=>'['+s+']').join('')); }
for (const [n, [cnt, ms, shapes]] of Object.entries(by).sort((a,b)=>b[1][1]-a[1][1]).slice(0, 14)) console.log(n.padEnd(16), cnt, ms.toFixed(2), [...shapes].slice(0,4).join(' '));
