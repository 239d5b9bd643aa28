/// <reference lib="webworker" />
// Training worker: builds the teacher data (float64, @sii/datasets), two students (SII and baseline
// init, @sii/init) as tfjs MLP vector fields (@sii/neural-ode, WASM backend), and trains both on the
// same mini-batches, posting losses and poles after every epoch. Pause is checked between batches.

import { heInit, siiInit, verify } from '@sii/init';
import type { MlpSpec, MlpWeights } from '@sii/mlp';
import { generateTeacherStudent, type TeacherStudentData, type TeacherWindows } from '@sii/datasets';
import { Rng } from '@sii/linalg';
import { initBackend, MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { mse, NAdam, type Optimizer, trainStep } from '@sii/train';
import * as tf from '@tensorflow/tfjs-core';
import type { FromWorker, ModelProgress, ToWorker, TrainConfig } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

interface Student {
  name: 'sii' | 'base';
  field: MlpVectorField;
  ode: NeuralODE;
  optimizer: Optimizer;
}

let cfg: TrainConfig;
let data: TeacherStudentData;
let spec: MlpSpec;
let students: Student[] = [];
let running = false;
let epoch = 0;
let trainBatches: tf.Tensor[][] = [];
let shuffleRng: Rng;

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

/** Window tensors: x0 [W, n], inputs [T, W, m] (time-major for rollout), targets [T, W, n]. */
function windowTensors(w: TeacherWindows, rows: Int32Array | null, n: number, m: number): tf.Tensor[] {
  const L = data.window;
  const W = rows ? rows.length : w.count;
  const T = L - 1;
  const x0 = new Float32Array(W * n);
  const u = new Float32Array(T * W * m);
  const y = new Float32Array(T * W * n);
  for (let r = 0; r < W; r++) {
    const s = rows ? rows[r]! : r;
    for (let i = 0; i < n; i++) x0[r * n + i] = w.states[(s * L) * n + i]!;
    for (let k = 0; k < T; k++) {
      // Zero-order hold: step k uses the input sampled at its start; the target is the next sample.
      for (let j = 0; j < m; j++) u[(k * W + r) * m + j] = w.inputs[(s * L + k) * m + j]!;
      for (let i = 0; i < n; i++) y[(k * W + r) * n + i] = w.states[(s * L + k + 1) * n + i]!;
    }
  }
  return [tf.tensor2d(x0, [W, n]), tf.tensor3d(u, [T, W, m]), tf.tensor3d(y, [T, W, n])];
}

/** MSE of a window rollout: rollout returns [x_1, …, x_T] as [T, batch, n], like the targets. */
function rolloutLoss(ode: NeuralODE, x0: tf.Tensor, u: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return mse(ode.rollout(x0 as tf.Tensor2D, u as tf.Tensor3D), y);
}

function poles64(field: MlpVectorField): { re: number; im: number }[] {
  const check = verify(spec, field.getWeights() as MlpWeights, { solver: cfg.solver, h: cfg.h });
  return check.hLambda.map((z) => ({ re: z.re, im: z.im }));
}

let valTensors: tf.Tensor[] = [];

function evaluate(s: Student, loss: number): ModelProgress {
  const val = tf.tidy(() => rolloutLoss(s.ode, valTensors[0]!, valTensors[1]!, valTensors[2]!).dataSync()[0]!);
  return { loss, val, hLambda: poles64(s.field) };
}

function makeBatches(): void {
  for (const b of trainBatches) tf.dispose(b);
  const W = data.train.windows.count;
  const order = shuffleRng.permutation(W);
  trainBatches = [];
  for (let start = 0; start < W; start += cfg.batch) {
    const rows = order.subarray(start, Math.min(W, start + cfg.batch));
    trainBatches.push(windowTensors(data.train.windows, rows, spec.states, spec.inputs));
  }
}

/** One NAdam step with the gradient clipped to global norm `clip` (spec §7); leaves no tensors. */
function step(s: Student, batch: tf.Tensor[]): number {
  return trainStep(() => rolloutLoss(s.ode, batch[0]!, batch[1]!, batch[2]!), s.optimizer, {
    variables: s.field.variables,
    clipNorm: cfg.clip,
  }).loss;
}

async function setup(config: TrainConfig, wasmPaths: Record<string, string>): Promise<void> {
  cfg = config;
  const info = await initBackend(config.backend === 'wasm' ? { backend: 'wasm', wasmPaths } : { backend: 'cpu' });
  data = generateTeacherStudent({
    setting: config.teacher,
    seed: config.seed,
    samples: config.samples,
    window: config.window,
    trajectoryPoles: false,
  });
  spec = { states: data.spec.states, inputs: data.spec.inputs, hidden: config.hidden, layers: config.layers, activation: 'elu' };
  const rng = new Rng(`students-${config.seed}`);
  shuffleRng = rng.fork('batches');
  const weights: Record<Student['name'], MlpWeights> = {
    sii: siiInit({ ...spec, solver: config.solver, h: config.h, complex: true, rng: rng.fork('sii') }),
    base: heInit(spec, rng.fork('base')),
  };
  students = (['sii', 'base'] as const).map((name) => {
    const field = new MlpVectorField(spec, weights[name]);
    return { name, field, ode: new NeuralODE(field, { method: config.solver, step: config.h, checkFinite: false }), optimizer: new NAdam({ learningRate: config.lr }) };
  });
  valTensors = windowTensors(data.val.windows, null, spec.states, spec.inputs);
  const [sii, base] = students.map((s) => evaluate(s, Number.NaN)) as [ModelProgress, ModelProgress];
  // Epoch 0: training loss of the untrained models on the whole training set.
  const all = windowTensors(data.train.windows, null, spec.states, spec.inputs);
  for (const [k, s] of students.entries()) {
    const p = k === 0 ? sii : base;
    p.loss = tf.tidy(() => rolloutLoss(s.ode, all[0]!, all[1]!, all[2]!).dataSync()[0]!);
  }
  tf.dispose(all);
  post({
    type: 'ready',
    backend: info.backend,
    simd: info.simd,
    threads: info.threads,
    teacherHLambda: data.teacherPoles.map((z) => ({ re: z.re * cfg.h, im: z.im * cfg.h })),
    sii,
    base,
    windows: data.train.windows.count,
  });
}

const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function loop(): Promise<void> {
  while (running && epoch < cfg.epochs) {
    const t0 = performance.now();
    makeBatches();
    const sums = [0, 0];
    for (const batch of trainBatches) {
      students.forEach((s, k) => {
        sums[k]! += step(s, batch);
      });
      // Let 'pause' messages in; a pause takes effect at the end of the epoch.
      await yieldToEvents();
    }
    epoch++;
    const [sii, base] = students.map((s, k) => evaluate(s, sums[k]! / trainBatches.length)) as [ModelProgress, ModelProgress];
    post({ type: 'epoch', epoch, sii, base, ms: performance.now() - t0, tensors: tf.memory().numTensors });
  }
  if (epoch >= cfg.epochs) post({ type: 'done', epoch });
  else post({ type: 'paused', epoch });
  running = false;
}

self.addEventListener('message', (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  const fail = (e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  try {
    if (msg.type === 'setup') setup(msg.config, msg.wasmPaths).catch(fail);
    else if (msg.type === 'start' && !running) {
      running = true;
      loop().catch(fail);
    } else if (msg.type === 'pause') running = false;
  } catch (e) {
    fail(e);
  }
});
