// Where does the SIMD engine of the fast rollout stop beating the tfjs engine (XNNPACK on the WASM
// backend)? Times one training step — fast rollout forward, a sum-of-squares loss, gradients of the
// field's variables — with engine 'simd' and engine 'tfjs', for layers of several widths (one thread).
// Not part of the tests; uses the built package (pnpm --filter @sii/neural-ode build). Medians over
// repeats, the engines interleaved; 'cpu' is the process's CPU time per step (on a loaded machine the
// wall time includes waiting for a core).
//   node scripts/engine-crossover.mjs [--widths 128,256,384,512,768,1024] [--batch 64] [--steps 4]
//        [--states 32] [--method rk4] [--activation silu] [--repeats 7]
import * as tf from '@tensorflow/tfjs-core';
import { fastRollout, initBackend, MlpVectorField, NeuralODE } from '../dist/index.js';
import { simdKernelVariant } from '../dist/internal.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const widths = arg('widths', '128,256,384,512,768,1024').split(',').map(Number);
const batch = Number(arg('batch', 64));
const steps = Number(arg('steps', 4));
const states = Number(arg('states', 32));
const method = arg('method', 'rk4');
const activation = arg('activation', 'silu');
const repeats = Number(arg('repeats', 7));

await initBackend();
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

console.log(`kernels: ${simdKernelVariant()}; ${method}, ${steps} steps, batch ${batch}, ${states} states, 3 layers, ${activation}`);
console.log('width   simd ms (wall / cpu)   tfjs ms (wall / cpu)   tfjs/simd (cpu)');
for (const H of widths) {
  const field = new MlpVectorField({ states, inputs: 0, hidden: H, layers: 3, activation }, undefined, { seed: 1 });
  const ode = new NeuralODE(field, { method, step: 0.05 });
  const x0 = tf.randomNormal([batch, states], 0, 1, 'float32', 7);
  const stepOf = (engine) => () => {
    const { value, grads } = tf.variableGrads(() => fastRollout(ode, x0, steps, { output: 'final', engine }).square().mean());
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const engines = { simd: stepOf('simd'), tfjs: stepOf('tfjs') };
  for (const f of Object.values(engines)) for (let i = 0; i < 3; i++) f(); // warm up (V8 tiers up)
  const samples = { simd: { wall: [], cpu: [] }, tfjs: { wall: [], cpu: [] } };
  for (let r = 0; r < repeats; r++) {
    for (const [name, f] of Object.entries(engines)) {
      const c0 = cpuNow();
      const t0 = performance.now();
      f();
      samples[name].wall.push(performance.now() - t0);
      samples[name].cpu.push(cpuNow() - c0);
    }
  }
  const m = (name, kind) => median(samples[name][kind]);
  const cell = (name) => `${m(name, 'wall').toFixed(1)} / ${m(name, 'cpu').toFixed(1)}`.padStart(22);
  console.log(`${String(H).padStart(5)} ${cell('simd')} ${cell('tfjs')} ${(m('tfjs', 'cpu') / m('simd', 'cpu')).toFixed(2).padStart(17)}`);
  x0.dispose();
  field.dispose();
}
