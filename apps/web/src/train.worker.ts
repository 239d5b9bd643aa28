/// <reference lib="webworker" />
// Training worker: builds the teacher data (float64, @sii/datasets/teacher), two students (SII and baseline
// init, @sii/init) as tfjs MLP vector fields (@sii/neural-ode, WASM backend), and trains both with
// @sii/train's fitAsync on the same mini-batches (the same seeded batch order), posting losses and
// poles after every epoch. The two runs take turns batch by batch and meet after every epoch; a pause
// holds them there.

import { heInit, siiInit, verify } from '@sii/init';
import type { MlpSpec, MlpWeights } from '@sii/mlp';
import { generateTeacherStudent, type TeacherStudentData, type TeacherWindows } from '@sii/datasets/teacher';
import { Rng } from '@sii/linalg';
import { initBackend, MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { type EpochInfo, fitAsync, mse, NAdam, type StatefulOptimizer } from '@sii/train';
import * as tf from '@tensorflow/tfjs-core';
import type { FromWorker, ModelProgress, ToWorker, TrainConfig } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

interface Student {
  name: 'sii' | 'base';
  field: MlpVectorField;
  ode: NeuralODE;
  optimizer: StatefulOptimizer;
}

let cfg: TrainConfig;
let data: TeacherStudentData;
let spec: MlpSpec;
let students: Student[] = [];
let running = false;
let started = false;
let finished = false;
let epoch = 0;

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
    const s = rows ? rows[r] : r;
    for (let i = 0; i < n; i++) x0[r * n + i] = w.states[s * L * n + i];
    for (let k = 0; k < T; k++) {
      // Zero-order hold: step k uses the input sampled at its start; the target is the next sample.
      for (let j = 0; j < m; j++) u[(k * W + r) * m + j] = w.inputs[(s * L + k) * m + j];
      for (let i = 0; i < n; i++) y[(k * W + r) * n + i] = w.states[(s * L + k + 1) * n + i];
    }
  }
  return [tf.tensor2d(x0, [W, n]), tf.tensor3d(u, [T, W, m]), tf.tensor3d(y, [T, W, n])];
}

/** MSE of a window rollout: rollout returns [x_1, …, x_T] as [T, batch, n], like the targets. */
function rolloutLoss(ode: NeuralODE, x0: tf.Tensor, u: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return mse(ode.rollout(x0 as tf.Tensor2D, u as tf.Tensor3D), y);
}

function poles64(field: MlpVectorField): { re: number; im: number }[] {
  const check = verify(spec, field.getWeights(), { solver: cfg.solver, h: cfg.h });
  return check.hLambda.map((z) => ({ re: z.re, im: z.im }));
}

let valTensors: tf.Tensor[] = [];

function evaluate(s: Student, loss: number): ModelProgress {
  const val = tf.tidy(() => rolloutLoss(s.ode, valTensors[0], valTensors[1], valTensors[2]).dataSync()[0]);
  return { loss, val, hLambda: poles64(s.field) };
}

/** Epoch batches: one permutation of the training windows from the run's batch-order stream. */
function* trainBatches(_epoch: number, rng: Rng): Generator<tf.Tensor[]> {
  const W = data.train.windows.count;
  const order = rng.permutation(W);
  for (let start = 0; start < W; start += cfg.batch) {
    yield windowTensors(data.train.windows, order.subarray(start, Math.min(W, start + cfg.batch)), spec.states, spec.inputs);
  }
}

async function setup(config: TrainConfig, wasmPaths: Record<string, string>): Promise<void> {
  // The page checks every field against its limits; refuse anything non-finite that still gets here.
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`config.${key} must be a finite number, got ${value}`);
  }
  if (!(config.lr > 0)) throw new RangeError(`config.lr must be > 0, got ${config.lr}`);
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
  const weights: Record<Student['name'], MlpWeights> = {
    sii: siiInit({ ...spec, solver: config.solver, h: config.h, complex: true, rng: rng.fork('sii') }),
    base: heInit(spec, rng.fork('base')),
  };
  students = (['sii', 'base'] as const).map((name) => {
    const field = new MlpVectorField(spec, weights[name]);
    return {
      name,
      field,
      ode: new NeuralODE(field, { method: config.solver, step: config.h, checkFinite: false }),
      optimizer: new NAdam({ learningRate: config.lr }),
    };
  });
  valTensors = windowTensors(data.val.windows, null, spec.states, spec.inputs);
  const [sii, base] = students.map((s) => evaluate(s, Number.NaN)) as [ModelProgress, ModelProgress];
  // Epoch 0: training loss of the untrained models on the whole training set.
  const all = windowTensors(data.train.windows, null, spec.states, spec.inputs);
  for (const [k, s] of students.entries()) {
    const p = k === 0 ? sii : base;
    p.loss = tf.tidy(() => rolloutLoss(s.ode, all[0], all[1], all[2]).dataSync()[0]);
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

/** The students' epoch reports waiting for each other (and, while paused, for 'start'). */
let arrived: ({ progress: ModelProgress; release: () => void } | null)[] = [];
let held: (() => void)[] | null = null;
let epochStart = 0;

/** Student k finished an epoch: once both have, post the epoch and go on (or hold while paused). */
function arrive(k: number, s: Student, info: EpochInfo): Promise<void> {
  return new Promise((release) => {
    arrived[k] = { progress: evaluate(s, info.trainLoss), release };
    if (arrived.length < students.length || arrived.some((a) => a == null)) return;
    const [sii, base] = arrived.map((a) => a!.progress) as [ModelProgress, ModelProgress];
    const releases = arrived.map((a) => a!.release);
    arrived = [];
    epoch = info.epoch;
    post({ type: 'epoch', epoch, sii, base, ms: performance.now() - epochStart, tensors: tf.memory().numTensors });
    // A macrotask turn, so that a 'pause' message sent during the epoch is seen before going on.
    setTimeout(() => {
      if (running || epoch >= cfg.epochs) {
        epochStart = performance.now();
        for (const r of releases) r();
      } else {
        held = releases;
        post({ type: 'paused', epoch });
      }
    }, 0);
  });
}

/** Train both students with fitAsync: NAdam, gradient clipped to global norm `clip` (METHOD.md §7). */
function train(): Promise<void> {
  epochStart = performance.now();
  return Promise.all(
    students.map((s, k) =>
      fitAsync({
        variables: s.field.variables,
        optimizer: s.optimizer,
        epochs: cfg.epochs,
        seed: `students-${cfg.seed}`,
        batches: trainBatches,
        loss: (b) => rolloutLoss(s.ode, b[0], b[1], b[2]),
        disposeBatch: (b) => tf.dispose(b),
        clipNorm: cfg.clip,
        // a turn of the event loop after every batch, so that messages ('pause') get in
        onBatch: yieldToEvents,
        onEpoch: (info) => arrive(k, s, info),
      }),
    ),
  ).then(() => {
    finished = true;
    running = false;
    post({ type: 'done', epoch });
  });
}

function start(): void {
  running = true;
  if (finished) {
    running = false;
    post({ type: 'done', epoch });
  } else if (!started) {
    started = true;
    train().catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
  } else if (held) {
    const h = held;
    held = null;
    epochStart = performance.now();
    for (const r of h) r();
  }
}

self.addEventListener('message', (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  const fail = (e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  try {
    if (msg.type === 'setup') setup(msg.config, msg.wasmPaths).catch(fail);
    else if (msg.type === 'start' && !running) start();
    else if (msg.type === 'pause') running = false;
    else if (msg.type === 'probe') post({ type: 'probe', epoch, held: held !== null });
  } catch (e) {
    fail(e);
  }
});
