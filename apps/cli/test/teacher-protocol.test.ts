/**
 * The teacher–student loss targets: a hand-made window with a linear field and Euler steps, the MSE
 * computed here by a plain float64 loop, against windowMse / validationMse (float32 tfjs).
 */
import { initBackend, MlpVectorField, NeuralODE } from '@sii/neural-ode';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { heInit } from '@sii/init';
import { Rng } from '@sii/linalg';
import { teacherStudentDeviations } from '../src/commands/teacherStudent.js';
import { runTeacherTask, teacherData, trainStudent } from '../src/train/student.js';
import { usedWindows, validationMse, windowBatch, windowMse } from '../src/train/targets.js';
import { NAdam, RolloutStep } from '@sii/train';
import { type InitName, type StudentConfig, studentProtocol, type TeacherResult } from '../src/train/types.js';

beforeAll(async () => {
  await initBackend();
});

// f(x, u) = −x + 2u (activation 'none', H 1, L 2), Euler with h 0.1: x̂_{k+1} = x̂_k + 0.1·(−x̂_k + 2u_k)
const spec = { states: 1, inputs: 1, hidden: 1, layers: 2, activation: 'none' as const };
const weights = {
  weights: [
    { rows: 2, cols: 1, data: Float64Array.of(-1, 2) },
    { rows: 1, cols: 1, data: Float64Array.of(1) },
  ],
  biases: [Float64Array.of(0), Float64Array.of(0)],
};
const step = (x: number, u: number) => x + 0.1 * (-x + 2 * u);

// windows (w = 3): x and u per window
const xs = [
  [1, 0.5, 0.2],
  [-0.3, 0.1, 0.4],
  [0.7, -0.2, 0.05],
  [0.2, 0.9, -0.4],
  [-1, 0.3, 0.6],
];
const us = [
  [0.5, -1, 2],
  [1, 0, -0.5],
  [-0.2, 0.4, 0.1],
  [0, 1.5, -1],
  [0.3, 0.3, 0.3],
];

/** Step-major tensors [w, W, 1] of windows `ids`. */
function windows(ids: number[]): [Tensor3D, Tensor3D] {
  const w = 3;
  const S = new Float32Array(w * ids.length);
  const U = new Float32Array(w * ids.length);
  for (let k = 0; k < w; k++) {
    ids.forEach((id, b) => {
      S[k * ids.length + b] = xs[id][k];
      U[k * ids.length + b] = us[id][k];
    });
  }
  return [tf.tensor3d(S, [w, ids.length, 1]), tf.tensor3d(U, [w, ids.length, 1])];
}

/** Hand MSE of windows `ids`: aligned compares x̂_1, x̂_2 with x_1, x_2; authors x̂_1..x̂_3 with x_0..x_2. */
function handMse(ids: number[], target: 'aligned' | 'authors'): number {
  let sum = 0;
  let count = 0;
  for (const id of ids) {
    const x = xs[id];
    const u = us[id];
    let xh = x[0];
    const steps = target === 'authors' ? 3 : 2;
    for (let k = 0; k < steps; k++) {
      xh = step(xh, u[k]);
      const truth = target === 'authors' ? x[k] : x[k + 1];
      sum += (xh - truth) ** 2;
      count++;
    }
  }
  return sum / count;
}

describe('teacher–student targets', () => {
  let ode: NeuralODE;
  beforeAll(() => {
    ode = new NeuralODE(new MlpVectorField(spec, weights), { method: 'euler', step: 0.1 });
  });

  it("one window: 'authors' is the off-by-one MSE of x̂_1..x̂_3 against x_0..x_2, 'aligned' x̂_1..x̂_2 against x_1..x_2", () => {
    // window 0 by hand: x̂1 = 1 + 0.1(−1 + 1) = 1, x̂2 = 1 + 0.1(−1 − 2) = 0.7, x̂3 = 0.7 + 0.1(−0.7 + 4) = 1.03
    const authors = ((1 - 1) ** 2 + (0.7 - 0.5) ** 2 + (1.03 - 0.2) ** 2) / 3;
    const aligned = ((1 - 0.5) ** 2 + (0.7 - 0.2) ** 2) / 2;
    expect(handMse([0], 'authors')).toBeCloseTo(authors, 14);
    expect(handMse([0], 'aligned')).toBeCloseTo(aligned, 14);
    const [S, U] = windows([0]);
    for (const [target, want] of [
      ['authors', authors],
      ['aligned', aligned],
    ] as const) {
      const l = windowMse(ode, S, U, target);
      expect(l.dataSync()[0]).toBeCloseTo(want, 6);
      l.dispose();
    }
    tf.dispose([S, U]);
  });

  it('a batch of windows: the mean over windows, steps and states', () => {
    const ids = [0, 1, 3];
    const [S, U] = windows(ids);
    for (const target of ['authors', 'aligned'] as const) {
      const l = windowMse(ode, S, U, target);
      expect(l.dataSync()[0]).toBeCloseTo(handMse(ids, target), 6);
      l.dispose();
    }
    tf.dispose([S, U]);
  });

  it('a batch of windows as fit() trains on it (windowBatch): the hand MSE on both step engines', () => {
    const ids = [0, 1, 3];
    const [S, U] = windows(ids);
    for (const target of ['authors', 'aligned'] as const) {
      const batch = windowBatch(S, U, target);
      for (const engine of ['simd', 'tfjs'] as const) {
        // learning rate 0: the step reports the loss and leaves the weights as they are
        const opt = new NAdam({ learningRate: 0 });
        const step = new RolloutStep({ ode, optimizer: opt, engine });
        expect(step.step(batch).loss, `${target}, ${engine}`).toBeCloseTo(handMse(ids, target), 6);
        step.dispose();
        opt.dispose();
      }
    }
    tf.dispose([S, U]);
  });

  it("validation: 'aligned' = MSE over every window; 'authors' = mean of batch MSEs over windows 0..W−2", () => {
    const before = tf.memory().numTensors;
    const all = [0, 1, 2, 3, 4];
    const [S, U] = windows(all);
    expect(usedWindows(5, 'authors')).toBe(4);
    expect(usedWindows(5, 'aligned')).toBe(5);
    expect(validationMse(ode, S, U, 'aligned', 2)).toBeCloseTo(handMse(all, 'aligned'), 6);
    // batch 2: {0, 1}, {2, 3}; window 4 is not used
    expect(validationMse(ode, S, U, 'authors', 2)).toBeCloseTo((handMse([0, 1], 'authors') + handMse([2, 3], 'authors')) / 2, 6);
    // batch 3: {0, 1, 2}, {3}: the short last batch weighs as much as the full one
    const want = (handMse([0, 1, 2], 'authors') + handMse([3], 'authors')) / 2;
    expect(validationMse(ode, S, U, 'authors', 3)).toBeCloseTo(want, 6);
    expect(Math.abs(want - handMse([0, 1, 2, 3], 'authors'))).toBeGreaterThan(1e-3); // the weighting matters here
    tf.dispose([S, U]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('teacher–student protocol options in training', () => {
  const config = {
    setting: 'excl' as const,
    hidden: 8,
    layers: 2,
    activation: 'elu',
    solver: 'midpoint',
    h: 0.1,
    eps: -0.01,
    complex: true,
    window: 10,
    batch: 20,
    lr: 1e-3,
    clip: 1,
    epochs: 2,
    samples: 40,
    divergeFactor: 1e6,
    backend: 'wasm' as const,
  };
  const task = (extra: Partial<StudentConfig>) => ({
    kind: 'teacher' as const,
    teacher: 0,
    teacherSeed: 't/0',
    studentSeed: 's/0',
    inits: ['sii', 'baseline'] as InitName[],
    config: { ...config, ...extra },
  });
  const strip = (r: TeacherResult) =>
    JSON.stringify({ ...r, runs: Object.fromEntries(Object.entries(r.runs).map(([k, v]) => [k, { ...v, wallMs: 0 }])) });

  it('defaults are aligned and paired: the same numbers as naming them', () => {
    expect(studentProtocol(config)).toEqual({ target: 'aligned', pairing: 'paired' });
    const a = runTeacherTask(task({}));
    const b = runTeacherTask(task({ target: 'aligned', pairing: 'paired' }));
    expect(strip(a)).toBe(strip(b));
    expect(a.armTeacherPoles).toBeUndefined();
    expect(a.teacherPoles).toEqual(teacherData(task({})).teacherPoles.map((z) => [z.re, z.im]));
  });

  it("--pairing authors: each init trains on its own teacher (poles, y0, noise), 'paired' on one", () => {
    const t = task({ pairing: 'authors' });
    const sii = teacherData(t, 'sii');
    const base = teacherData(t, 'baseline');
    expect(sii.teacherPoles).not.toEqual(base.teacherPoles);
    expect(Array.from(sii.train.y0)).not.toEqual(Array.from(base.train.y0));
    expect(Buffer.from(sii.train.windows.states.buffer).equals(Buffer.from(base.train.windows.states.buffer))).toBe(false);
    const paired = [teacherData(task({})), teacherData(task({}))];
    expect(Buffer.from(paired[0].train.windows.states.buffer).equals(Buffer.from(paired[1].train.windows.states.buffer))).toBe(true);
    const r = runTeacherTask(t);
    expect(r.armTeacherPoles!.sii).toEqual(sii.teacherPoles.map((z) => [z.re, z.im]));
    expect(r.armTeacherPoles!.baseline).toEqual(base.teacherPoles.map((z) => [z.re, z.im]));
    expect(r.teacherPoles).toEqual(r.armTeacherPoles!.sii);
  });

  it('--target authors: the validation loss is the off-by-one mean of batch MSEs on windows 0..W−2', () => {
    const t = task({ target: 'authors' });
    const data = teacherData(t);
    const student = { teacher: 0, teacherSeed: 't/0', init: 'baseline' as const, studentSeed: 's/0', config: t.config };
    const run = trainStudent(student, data);
    // the same initial student, built independently: heInit from the student's 'init:baseline' stream
    const spec = { states: 2, inputs: 1, hidden: 8, layers: 2, activation: 'elu' as const };
    const w = heInit(spec, new Rng('s/0').fork('init:baseline'));
    const field = new MlpVectorField(spec, w);
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const steps = (arr: Float32Array, ch: number) =>
      tf.tidy(() => tf.transpose(tf.tensor3d(arr, [data.val.windows.count, 10, ch]), [1, 0, 2]) as Tensor3D);
    const S = steps(data.val.windows.states, 2);
    const U = steps(data.val.windows.inputs, 1);
    expect(run.initialValLoss).toBeCloseTo(validationMse(ode, S, U, 'authors', 20), 6);
    expect(Math.abs(run.initialValLoss - validationMse(ode, S, U, 'aligned', 20))).toBeGreaterThan(1e-4);
    tf.dispose([S, U]);
    field.dispose();
    expect(run.valCurve).toHaveLength(2);
    expect(run.diverged).toBeNull();
  });
});

describe('teacher–student report: differences from the paper', () => {
  it('names the target, the pairing and every other value off the paper', () => {
    const student: StudentConfig = {
      setting: 'excl',
      hidden: 32,
      layers: 2,
      activation: 'elu',
      solver: 'midpoint',
      h: 0.1,
      eps: -0.01,
      complex: true,
      window: 10,
      batch: 20,
      lr: 1e-4,
      clip: 1,
      epochs: 100,
      samples: 300,
      divergeFactor: 1e6,
      backend: 'wasm',
    };
    expect(teacherStudentDeviations({ teachers: 500, inits: ['sii', 'baseline'], seed: 0, student })).toEqual([
      'target aligned (paper authors)',
      'pairing paired (paper authors)',
    ]);
    expect(
      teacherStudentDeviations({
        teachers: 500,
        inits: ['sii', 'baseline'],
        seed: 0,
        student: { ...student, target: 'authors', pairing: 'authors' },
      }),
    ).toEqual([]);
    expect(
      teacherStudentDeviations({
        teachers: 20,
        inits: ['sii'],
        seed: 0,
        student: { ...student, hidden: 64, target: 'authors', pairing: 'authors' },
      }),
    ).toEqual(['teachers 20 (paper 500)', 'hidden 64 (paper 32)']);
  });
});
