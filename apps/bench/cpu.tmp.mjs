// CPU time per latent training step (the bench's step), median of N
import * as tf from '@tensorflow/tfjs-core';
import { buildLatentModel, latentBatchLoss, registerConvGradients } from '@sii/cli';
import { Adam, trainStep } from '@sii/train';
import { latentBenchConfig } from './dist/index.js';
const { initBackend } = await import('@sii/neural-ode');
await initBackend({ backend: 'wasm' });
registerConvGradients();
const c = { ...latentBenchConfig(), ...(process.argv[3] ? { convImpl: process.argv[3] } : {}) };
const model = buildLatentModel(c, 'sii', '0/run/0');
const S = c.frameSize, B = c.batch;
let st = 1 >>> 0; const u = (n) => { const o = new Float32Array(n); for (let i = 0; i < n; i++) { st = (Math.imul(st, 1664525) + 1013904223) >>> 0; o[i] = (st + 0.5) / 4294967296; } return o; };
const batch = { inputs: tf.tensor5d(u(B * c.inputFrames * S * S * 3), [B, c.inputFrames, S, S, 3]), targets: tf.tensor5d(u(B * c.horizon * S * S * 3), [B, c.horizon, S, S, 3]), size: B };
const opt = new Adam({ learningRate: c.lr });
const step = () => trainStep(() => latentBatchLoss(model, c, batch, c.horizon), opt, { variables: model.variables });
for (let i = 0; i < 3; i++) step();
const n0 = tf.memory().numTensors;
const cpu = [], wall = [];
let loss;
for (let i = 0; i < Number(process.argv[2] ?? 20); i++) { const c0 = process.cpuUsage(); const t0 = performance.now(); loss = step().loss; wall.push(performance.now() - t0); const d = process.cpuUsage(c0); cpu.push((d.user + d.system) / 1000); }
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`impl ${model.impl} cpu median ${med(cpu).toFixed(1)} min ${Math.min(...cpu).toFixed(1)} ms; wall median ${med(wall).toFixed(1)} min ${Math.min(...wall).toFixed(1)}; tensors ${n0} -> ${tf.memory().numTensors}; loss ${loss}`);
