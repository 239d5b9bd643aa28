// Where the time of a whole training step on the SIMD kernels goes (not part of the tests; no timing
// is asserted anywhere): the bench's student and rk4 configurations through SimdTrainStep, and its
// phases apart — the rollout forward, the loss, the backward pass, the update — as process CPU time
// per step (on a loaded machine the wall time includes waiting for a core), the kernel calls per
// step by name, and the matrix-product GFLOP/s. Needs the built package (pnpm build).
//   node scripts/train-step-profile.mjs [--steps 300] [--configs student,rk4]
import { initBackend, MlpVectorField, NeuralODE } from '../dist/index.js';
import { simdArena, simdKernelVariant } from '../dist/simd/kernels.js';
import { SimdRollout } from '../dist/simd/mlp_rollout.js';
import { SimdTrainStep } from '../dist/simd/train_step.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const STEPS = Number(arg('steps', 300));
const CONFIGS = {
  // n, m, H, linear layers, method, h, T, batch, loss, optimizer, lr, clip (apps/bench/src/configs.ts)
  student: { n: 4, m: 1, H: 128, L: 3, method: 'midpoint', stages: 2, h: 0.1, T: 10, B: 20, output: 'all', opt: 'nadam', lr: 1e-4, clip: 1 },
  rk4: { n: 4, m: 0, H: 32, L: 2, method: 'rk4', stages: 4, h: 0.02, T: 50, B: 64, output: 'final', opt: 'adam', lr: 1e-3, clip: 0 },
};
const names = arg('configs', 'student,rk4').split(',');

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function perStep(fn, steps = STEPS) {
  for (let i = 0; i < Math.min(50, steps); i++) fn();
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) fn();
  return { cpu: (cpuMs() - c0) / steps, wall: (performance.now() - t0) / steps };
}
const r = (() => {
  let s = 7;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
})();

await initBackend();
console.log(`kernels: ${simdKernelVariant()}; ${STEPS} steps per figure; CPU ms per step (wall in brackets)`);
for (const name of names) {
  const c = CONFIGS[name];
  const spec = { states: c.n, inputs: c.m, hidden: c.H, layers: c.L, activation: 'elu' };
  const field = new MlpVectorField(spec, undefined, { seed: 1 });
  const ode = new NeuralODE(field, { method: c.method, step: c.h });
  const x0 = Float32Array.from({ length: c.B * c.n }, r);
  const u = c.m > 0 ? Float32Array.from({ length: c.T * c.B * c.m }, r) : undefined;
  const target = Float32Array.from({ length: (c.output === 'all' ? c.T : 1) * c.B * c.n }, r);
  const step = new SimdTrainStep(ode, {
    method: c.opt,
    learningRate: c.lr,
    output: c.output,
    steps: c.T,
    ...(c.clip > 0 ? { clipNorm: c.clip } : {}),
  });
  const whole = perStep(() => step.step(x0, target, u));
  // the phases apart, on the same problem
  const widths = field.variables.filter((_, i) => i % 2 === 0).map((v) => v.shape[1]);
  const problem = {
    n: c.n, m: c.m, widths, activation: 'elu', alpha: 0, batch: c.B, steps: c.T,
    a: ode.tableau.a.map((row) => (row ?? []).map((x) => x * ode.h)), b: ode.tableau.b.map((x) => x * ode.h),
    includeInitial: false, output: c.output, uBatch: c.B,
  };
  // count the kernel calls of one step through a counting view of the exports
  const arena = simdArena();
  const counts = {};
  const counting = {};
  /** Calls by kernel and shape: [count, the arguments of one call]. */
  const shapes = new Map();
  const shapeOf = (key, a) =>
    key === 'gemm' ? `gemm ${a[5]}×${a[6]}·${a[6]}×${a[7]}` : key === 'gemmPacked' ? `gemmPacked ${a[8]}×${a[9]}·${a[9]}×${a[10]}` : key === 'gemmTN' ? `gemmTN ${a[5]} rows, ${a[6]}×${a[7]}` : key === 'transpose' ? `transpose ${a[2]}×${a[3]}` : `${key} ${a.find((x, i) => i > 0 && Number.isInteger(x) && x > 1 && x < 1e6) ?? ''}`;
  for (const [key, v] of Object.entries(arena.k)) {
    counting[key] =
      typeof v === 'function'
        ? (...a) => {
            counts[key] = (counts[key] ?? 0) + 1;
            const sk = shapeOf(key, a);
            const e = shapes.get(sk) ?? [0, a, v];
            e[0] += 1;
            shapes.set(sk, e);
            return v(...a);
          }
        : v;
  }
  const weights = field.variables.filter((_, i) => i % 2 === 0).map((v) => v.dataSync());
  const biases = field.variables.filter((_, i) => i % 2 === 1).map((v) => v.dataSync());
  const data = { weights, biases, x0, u: u ?? null };
  const ro = new SimdRollout(problem, arena);
  const fwd = perStep(() => ro.forward(data));
  const out = ro.forward(data);
  const dy = Float32Array.from(out, (x, i) => (2 * (x - target[i])) / out.length);
  const fb = perStep(() => {
    ro.forward(data);
    ro.backward(dy, false);
  });
  const opt = step.optimizer;
  const loss = perStep(() => opt.mse(out, target));
  const grad = Float32Array.from({ length: opt.size }, () => 1e-3 * r());
  const upd = perStep(() => opt.step(grad));
  const counted = new SimdRollout(problem, { ...arena, k: counting, reset: () => arena.reset(), alloc: (n) => arena.alloc(n), write: (p, v) => arena.write(p, v), read: (p, n) => arena.read(p, n), f32: () => arena.f32() });
  counted.forward(data);
  counted.backward(dy, false);
  const E = c.T * c.stages * c.B;
  const sizes = [[c.n + c.m, c.H], ...Array.from({ length: c.L - 2 }, () => [c.H, c.H]), [c.H, c.n]];
  const fwdF = sizes.reduce((s, [i, o]) => s + i * o, 0);
  const dX = sizes.slice(1).reduce((s, [i, o]) => s + i * o, 0) + c.n * sizes[0][1];
  const flops = 2 * E * (2 * fwdF + dX);
  const f = (x) => `${x.cpu.toFixed(3)} (${x.wall.toFixed(3)})`;
  console.log(`\n${name}: ${(flops / 1e6).toFixed(1)} MFLOP of products per step`);
  console.log(`  whole step            ${f(whole)}  → ${(flops / (whole.cpu * 1e6)).toFixed(1)} GFLOP/s of CPU time`);
  console.log(`  forward               ${f(fwd)}`);
  console.log(`  forward + backward    ${f(fb)}  → ${(flops / (fb.cpu * 1e6)).toFixed(1)} GFLOP/s`);
  console.log(`  loss (mse)            ${f(loss)}`);
  console.log(`  norm, clip, update    ${f(upd)}  (${opt.size} parameters)`);
  console.log(`  rest (copies, calls)  ${(whole.cpu - fb.cpu - loss.cpu - upd.cpu).toFixed(3)}`);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`  kernel calls of the rollout per step: ${total} (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  // each call shape replayed alone (on the buffers the counted step left in the arena)
  const rows = [...shapes.entries()].map(([sk, [count, a, fn]]) => {
    const one = perStep(() => fn(...a), 2000);
    return [sk, count, one.cpu * count];
  });
  rows.sort((x, y) => y[2] - x[2]);
  console.log('  replayed alone, CPU ms per step by kernel and shape (top 12):');
  for (const [sk, count, ms] of rows.slice(0, 12)) console.log(`    ${sk.padEnd(36)} ${String(count).padStart(5)}×  ${ms.toFixed(3)}`);
  console.log(`    sum of all: ${rows.reduce((a, x) => a + x[2], 0).toFixed(3)}`);
  field.dispose();
}
