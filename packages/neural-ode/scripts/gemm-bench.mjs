// Microbenchmark of the SIMD kernels' products (not part of the tests; no timing is asserted anywhere):
// GFLOP/s of gemm (C = b + A·W, rows × K by K × N) and gemmTN (G += Aᵀ·D over R rows) for square
// layers of several widths, plain SIMD and relaxed SIMD (fused multiply-add), and XNNPACK's matMul
// (tfjs-backend-wasm, one thread) on the same shapes (gemmTN: Aᵀ given transposed). Each figure is
// the median over repeats of ~30 ms runs, the variants interleaved; 'cpu' divides by the process's
// CPU time instead of the wall time (on a loaded machine the wall time includes waiting for a core).
//   node scripts/gemm-bench.mjs [--rows 64] [--tn-rows 2048] [--widths 64,128,256,512,1024]
//        [--repeats 7] [--baseline OLD_SOURCE.ts] [--no-xnnpack]
import v8 from 'node:v8';
import { compileKernels } from './build-wasm.mjs';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const rows = Number(arg('rows', 64));
const tnRows = Number(arg('tn-rows', 2048));
const widths = arg('widths', '64,128,256,512,1024').split(',').map(Number);
const repeats = Number(arg('repeats', 7));
const baseline = arg('baseline', null);

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Calls of fn per run for ~30 ms. */
function calibrate(fn) {
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - t0 > 30) return calls;
    calls *= 2;
  }
}

function run(fn, calls) {
  const c0 = cpuNow();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return { wall: (performance.now() - t0) / 1000 / calls, cpu: (cpuNow() - c0) / calls };
}

function instance(bytes) {
  const k = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  let top = 65536;
  const alloc = (floats) => {
    const p = top;
    top += Math.ceil((floats * 4) / 16) * 16 + 16;
    const need = top - k.memory.buffer.byteLength;
    if (need > 0) k.memory.grow(Math.ceil(need / 65536));
    return p;
  };
  const fill = (p, n) => {
    const f = new Float32Array(k.memory.buffer, p, n);
    for (let i = 0; i < n; i++) f[i] = Math.sin(i * 0.37);
  };
  return { k, alloc, fill };
}

const variants = [];
if (baseline) variants.push(['baseline', await compileKernels(false, baseline)]);
variants.push(['plain', await compileKernels(false)]);
const relaxedBytes = await compileKernels(true);
if (WebAssembly.validate(relaxedBytes)) variants.push(['relaxed', relaxedBytes]);
else console.log('relaxed SIMD: not validated by this runtime');

/** name → width → [flops, fn] */
const cases = [];
for (const [name, bytes] of variants) {
  for (const w of widths) {
    const { k, alloc, fill } = instance(bytes);
    const a = alloc(rows * w);
    const W = alloc(w * w);
    const b = alloc(w);
    const c = alloc(rows * w);
    const A2 = alloc(tnRows * w);
    const D2 = alloc(tnRows * w);
    const G = alloc(w * w);
    const work = k.gemmTNWork ? alloc(k.gemmTNWork(w)) : 0;
    for (const [p, n] of [[a, rows * w], [W, w * w], [b, w], [A2, tnRows * w], [D2, tnRows * w]]) fill(p, n);
    k.zero(G, w * w);
    cases.push([`${name} gemm`, w, 2 * rows * w * w, () => k.gemm(a, w, W, c, w, rows, w, w, 1, b)]);
    cases.push([`${name} gemmTN`, w, 2 * tnRows * w * w, () => k.gemmTN(A2, w, D2, w, G, tnRows, w, w, work)]);
  }
}

if (!process.argv.includes('--no-xnnpack')) {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount?.(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const product = (f) => () => {
    const y = f();
    y.dataSync();
    y.dispose();
  };
  for (const w of widths) {
    const a = tf.randomNormal([rows, w]);
    const W = tf.randomNormal([w, w]);
    const b = tf.randomNormal([w]);
    const AT = tf.randomNormal([w, tnRows]);
    const D2 = tf.randomNormal([tnRows, w]);
    cases.push(['xnnpack gemm', w, 2 * rows * w * w, product(() => tf.fused.matMul({ a, b: W, bias: b }))]);
    cases.push(['xnnpack gemmTN', w, 2 * tnRows * w * w, product(() => tf.matMul(AT, D2))]);
  }
}

const calls = cases.map(([, , , fn]) => calibrate(fn));
const samples = cases.map(() => ({ wall: [], cpu: [] }));
for (let r = 0; r < repeats; r++) {
  cases.forEach(([, , , fn], i) => {
    const s = run(fn, calls[i]);
    samples[i].wall.push(s.wall);
    samples[i].cpu.push(s.cpu);
  });
}
const results = {};
cases.forEach(([name, w, flops], i) => {
  results[`${name} ${w}`] = [flops / median(samples[i].wall) / 1e9, flops / median(samples[i].cpu) / 1e9];
});

console.log(`GFLOP/s (wall / cpu), median of ${repeats}; gemm: ${rows} rows × K by K × N (K = N = width); gemmTN: ${tnRows} rows`);
const names = [...new Set(cases.map(([n]) => n))];
console.log(['product'.padEnd(18), ...widths.map((w) => String(w).padStart(12))].join(''));
for (const n of names) {
  const cell = (w) => {
    const r = results[`${n} ${w}`];
    return (r ? `${r[0].toFixed(1)} / ${r[1].toFixed(1)}` : '-').padStart(12);
  };
  console.log([n.padEnd(18), ...widths.map(cell)].join(''));
}
