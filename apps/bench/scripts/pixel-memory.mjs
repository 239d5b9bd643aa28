#!/usr/bin/env node
/**
 * Memory and time of one paper-scale pixel training step (sequential MNIST: 784 steps, batch 512,
 * states 128, hidden 256, 3 layers, ELU, midpoint; the CLI's PixelModel, weighted CE and Adam on
 * random images) for several recomputation settings of the fast rollout (checkpointEvery) and for
 * the gradient-accumulation path (--micro-batch). Each setting runs in its own process, so that its
 * peaks are its own: the WebAssembly memories (the SIMD kernels' and the tfjs wasm backend's; they
 * never shrink, so their size is their peak) and the process's peak resident set. Time per step as
 * CPU time of the process (user + system; an upper bound on a loaded machine) and wall time.
 *
 *   node apps/bench/scripts/pixel-memory.mjs [--steps 784] [--batch 512] [--iters 1] [--settings full,1,28,auto,micro64] [--phases] [--tensor-peak]
 *
 * --iters 0 times the first step alone (V8 tier-up included; use it when steps take minutes).
 * --tensor-peak runs one more step under tf.profile for the peak of live tfjs tensor bytes (after the
 * resident set's peak is read: the profile's bookkeeping is not part of a training step).
 * --phases prints, for the last step of each setting, the memory at each phase of the step (the
 * encoder, the rollout and the decoder's loss, forward and backward, found by wrapping the tfjs
 * engine's runKernelFunc, which records the hand-written operations): resident set, its high-water
 * mark, the JavaScript heap (used, external, array buffers: process.memoryUsage), the SIMD kernels'
 * memory and the part of it in use, the tfjs wasm heap and the bytes of live tfjs tensors.
 *
 * Needs the built packages (pnpm turbo run build --filter=@sii/bench...). A setting is `full`
 * (checkpointEvery null), a number k, `auto`, or `microN` (gradient accumulation over chunks of N
 * with checkpointEvery auto; `microN:full` with the full tape).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const steps = Number(opt('steps', '784'));
const batch = Number(opt('batch', '512'));
const iters = Number(opt('iters', '1'));
const child = opt('one', null);
const phases = argv.includes('--phases');
const tensorPeak = argv.includes('--tensor-peak');

function parseSetting(s) {
  const micro = /^micro(\d+)(?::(\w+))?$/.exec(s);
  if (micro) return { label: s, micro: Number(micro[1]), checkpointEvery: micro[2] === 'full' ? null : micro[2] ? Number(micro[2]) || micro[2] : 'auto' };
  if (s === 'full') return { label: s, micro: null, checkpointEvery: null };
  if (s === 'auto') return { label: s, micro: null, checkpointEvery: 'auto' };
  const k = Number(s);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`--settings: unknown setting ${JSON.stringify(s)}`);
  return { label: s, micro: null, checkpointEvery: k };
}

const MB = 2 ** 20;

async function runOne(setting) {
  const tf = await import('@tensorflow/tfjs-core');
  const { initBackend } = await import('@sii/neural-ode');
  const { simdArena, resolveCheckpointEvery } = await import('@sii/neural-ode/internal');
  const { Adam } = await import('@sii/train');
  const { accumulatedStep, PixelModel, pixelPreset, stepWeights } = await import('@sii/cli');
  await initBackend({ backend: 'wasm' });
  const c = {
    ...pixelPreset('paper', 'smnist'),
    dataset: 'smnist',
    data: null,
    seed: 0,
    inits: ['baseline'],
    backend: 'wasm',
    scale: 'paper',
    compensation: 'none',
    batch,
    checkpointEvery: setting.checkpointEvery,
  };
  const classes = 10;
  const model = new PixelModel(c, 1, classes, 'baseline', 'pixel-memory');
  // Seeded images in [0, 1) and labels (a 32-bit LCG: the data do not matter, only their sizes).
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const x = Float32Array.from({ length: batch * steps }, next);
  const y = Int32Array.from({ length: batch }, () => Math.floor(next() * classes));
  const w = stepWeights(steps);
  const opt = new Adam({ learningRate: c.lr });
  const shape = [batch, steps, 1];
  const step = () => accumulatedStep(model, opt, x, y, shape, w, setting.micro ?? batch, null);
  const probe = phases ? phaseProbe(tf, simdArena) : null;
  const cpu = [];
  const wall = [];
  let loss = Number.NaN;
  let tensorPeakMB = Number.NaN;
  for (let i = 0; i <= iters; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    if (i === iters) probe?.start();
    loss = step();
    if (i === iters) probe?.stop();
    const dc = process.cpuUsage(c0);
    if (i > 0 || iters === 0) {
      cpu.push((dc.user + dc.system) / 1e6);
      wall.push((performance.now() - t0) / 1e3);
    }
  }
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  // With --tensor-peak, one more step under tf.profile for the peak of live tfjs tensor bytes (as the
  // engine counts them: a reshape's bytes count again though it shares its input's memory), after
  // the resident set's peak was read.
  if (tensorPeak) {
    const info = await tf.profile(() => {
      step();
    });
    tensorPeakMB = info.peakBytes / MB;
  }
  const arena = simdArena();
  const kernelsMB = arena ? arena.k.memory.buffer.byteLength / MB : 0;
  const backend = tf.backend();
  const tfjsMB = backend.wasm?.HEAPU8 ? backend.wasm.HEAPU8.buffer.byteLength / MB : Number.NaN;
  const odeRows = setting.micro ?? batch;
  const resolved = resolveCheckpointEvery(
    {
      n: c.states,
      m: c.states,
      widths: [c.hidden, c.hidden, c.states],
      activation: c.activation,
      alpha: 0.01,
      batch: odeRows,
      steps,
      a: [[], [0.5 * c.h]],
      b: [0, c.h],
      includeInitial: false,
      output: 'all',
      uBatch: odeRows,
    },
    setting.checkpointEvery,
  );
  const out = {
    setting: setting.label,
    micro: setting.micro,
    k: resolved,
    kernelsMB,
    tfjsMB,
    tensorPeakMB,
    peakRssMB,
    cpuS: Math.min(...cpu),
    wallS: Math.min(...wall),
    loss,
    tensors: tf.memory().numTensors,
  };
  console.log(`RESULT ${JSON.stringify(out)}`);
  if (probe) console.log(`PHASES ${JSON.stringify(probe.samples)}`);
}

/**
 * Memory samples at the phases of a training step: the engine's runKernelFunc (which runs the
 * hand-written operations: the encoder's linearRows, the rollout, the decoder's chunked loss) is
 * wrapped so that its forward function, its backward function and the gradient closures that
 * backward function returns take a sample before and after.
 */
function phaseProbe(tf, simdArena) {
  const engine = tf.engine();
  const original = engine.runKernelFunc;
  const originalKernel = engine.runKernel;
  const samples = [];
  let on = false;
  // The largest resident set seen after any kernel since the last sample, and that kernel.
  let between = { rss: 0, kernel: '' };
  engine.runKernel = function (name, ...rest) {
    const out = originalKernel.call(this, name, ...rest);
    if (on) {
      const rss = process.memoryUsage.rss() / MB;
      if (rss > between.rss) between = { rss, kernel: name };
    }
    return out;
  };
  const sample = (label) => {
    if (!on) return;
    const m = process.memoryUsage();
    const peakBetween = between;
    between = { rss: 0, kernel: '' };
    const arena = simdArena();
    const backend = tf.backend();
    samples.push({
      label,
      rss: m.rss / MB,
      maxRss: process.resourceUsage().maxRSS / 1024,
      rssBetween: peakBetween.rss,
      kernelBetween: peakBetween.kernel,
      heapUsed: m.heapUsed / MB,
      external: m.external / MB,
      arrayBuffers: m.arrayBuffers / MB,
      arena: arena ? arena.k.memory.buffer.byteLength / MB : 0,
      arenaUsed: arena ? arena.used / MB : 0,
      tfjsHeap: backend.wasm?.HEAPU8 ? backend.wasm.HEAPU8.buffer.byteLength / MB : Number.NaN,
      tensors: tf.memory().numBytes / MB,
    });
  };
  const nameOf = (inputs) => {
    const keys = Object.keys(inputs);
    if ('x0' in inputs) return 'rollout';
    if (keys.length === 3) return 'encoder';
    if (keys.length === 5) return 'decoder+loss';
    return `op(${keys.length})`;
  };
  engine.runKernelFunc = function (params) {
    if (params.forwardFunc == null || !on) return original.call(this, params);
    const name = nameOf(params.inputs);
    const forwardFunc = (...a) => {
      sample(`${name} forward: start`);
      const out = params.forwardFunc(...a);
      sample(`${name} forward: end`);
      return out;
    };
    const backwardsFunc = (...a) => {
      sample(`${name} backward: start`);
      const grads = params.backwardsFunc(...a);
      sample(`${name} backward: end`);
      const wrapped = {};
      for (const [k, g] of Object.entries(grads)) {
        // The big gradients: the rollout's inputs u and the decoder's states.
        wrapped[k] = k !== 'u' && !(name === 'decoder+loss' && k === '0') ? g : () => {
          const t = g();
          sample(`${name} backward: gradient ${k}`);
          return t;
        };
      }
      return wrapped;
    };
    return original.call(this, { ...params, forwardFunc, backwardsFunc });
  };
  return {
    samples,
    start() {
      on = true;
      sample('step start');
    },
    stop() {
      sample('step end');
      on = false;
    },
  };
}

function printPhases(label, samples) {
  const f = (v) => (Number.isFinite(v) ? v.toFixed(0) : '—');
  console.log(`\nphases of setting ${label} (MB)`);
  console.log('| phase | RSS | largest RSS after a kernel since the last row (kernel) | peak RSS so far | JS heap used | external | array buffers | SIMD memory | SIMD in use | tfjs wasm heap | tfjs tensors |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of samples) {
    const between = s.kernelBetween ? `${f(s.rssBetween)} (${s.kernelBetween})` : '';
    console.log(`| ${s.label} | ${f(s.rss)} | ${between} | ${f(s.maxRss)} | ${f(s.heapUsed)} | ${f(s.external)} | ${f(s.arrayBuffers)} | ${f(s.arena)} | ${f(s.arenaUsed)} | ${f(s.tfjsHeap)} | ${f(s.tensors)} |`);
  }
}

if (child != null) {
  await runOne(JSON.parse(child));
} else {
  const settings = opt('settings', 'full,1,28,112,784,auto,micro64:full,micro64').split(',').map(parseSetting);
  const self = fileURLToPath(import.meta.url);
  console.log(`pixel step: ${steps} steps, batch ${batch}, states 128, hidden 256, 3 layers, ELU, midpoint; ${iters === 0 ? 'one step timed (with warm-up effects)' : `best of ${iters} timed step(s) after one warm-up`}`);
  console.log('| setting | k used | SIMD kernels memory MB | tfjs wasm memory MB | tfjs tensors peak MB | peak RSS MB | CPU s/step | wall s/step | loss |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const phaseTables = [];
  for (const s of settings) {
    let row;
    try {
      const args = [self, '--one', JSON.stringify(s), '--steps', String(steps), '--batch', String(batch), '--iters', String(iters)];
      if (phases) args.push('--phases');
      if (tensorPeak) args.push('--tensor-peak');
      const text = execFileSync(process.execPath, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * MB,
      });
      const line = text.split('\n').find((l) => l.startsWith('RESULT '));
      const r = JSON.parse(line.slice(7));
      const phaseLine = text.split('\n').find((l) => l.startsWith('PHASES '));
      if (phaseLine) phaseTables.push([s.label, JSON.parse(phaseLine.slice(7))]);
      const f = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '—');
      row = `| ${s.label} | ${r.k === 0 ? 'full tape' : r.k} | ${f(r.kernelsMB)} | ${f(r.tfjsMB)} | ${f(r.tensorPeakMB)} | ${f(r.peakRssMB)} | ${f(r.cpuS, 1)} | ${f(r.wallS, 1)} | ${r.loss.toPrecision(7)} |`;
    } catch (err) {
      const msg = String(err.stderr ?? err.message).split('\n').find((l) => /Error|memory/i.test(l)) ?? 'failed';
      row = `| ${s.label} | — | failed: ${msg.trim().slice(0, 160)} | | | | | | |`;
    }
    console.log(row);
  }
  for (const [label, samples] of phaseTables) printPhases(label, samples);
}
