/**
 * Train one student on one teacher's data (METHOD.md §7): MLP vector field (ELU), one solver step of
 * size h per sample, windows of `window` samples rolled from the window's first true state with the
 * window's inputs (zero-order hold), MSE against the true states x_1..x_{window−1} (target 'aligned'; targets.ts has
 * the authors' off-by-one), on one teacher per index (pairing 'authors': one per init); NAdam (torch rules)
 * with global gradient-norm clipping, trained by @sii/train's fit() (one seeded shuffled pass per epoch);
 * validation MSE on every window of the validation trajectory after each epoch; poles of ∂f/∂x at the
 * origin after each epoch (float64, from the weights).
 */
import { generateTeacherStudent, type TeacherStudentData } from '@sii/datasets';
import { heInit, siiInit } from '@sii/init';
import { eigenvalues, Rng } from '@sii/linalg';
import { type MlpSpec, mlpJacobian64 } from '@sii/mlp';
import { MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { fit, NAdam } from '@sii/train';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D } from '@tensorflow/tfjs-core';
import { usedWindows, validationMse, windowBatch } from './targets.js';
import {
  emptyInitRun,
  type InitRun,
  type StudentConfig,
  type StudentTask,
  studentProtocol,
  type TeacherResult,
  type TeacherTask,
} from './types.js';

export function studentSpec(config: StudentConfig, states: number, inputs: number): MlpSpec {
  return {
    states,
    inputs,
    hidden: config.hidden,
    layers: config.layers,
    activation: config.activation as MlpSpec['activation'],
  };
}

/** The teacher's data; with `arm` (pairing 'authors') that arm's own poles, y0 and noise. */
export function teacherData(task: Pick<TeacherTask, 'teacherSeed' | 'config'>, arm?: string): TeacherStudentData {
  return generateTeacherStudent({
    setting: task.config.setting,
    seed: task.teacherSeed,
    samples: task.config.samples,
    window: task.config.window,
    trajectoryPoles: false,
    ...(arm !== undefined ? { arm } : {}),
  });
}

/** Float64 eigenvalues of the student's Jacobian at x = 0, u = 0. */
export function polesAtOrigin(spec: MlpSpec, field: MlpVectorField): [number, number][] {
  const w = field.getWeights();
  const J = mlpJacobian64(spec, w, new Float64Array(spec.states), new Float64Array(spec.inputs));
  return eigenvalues(J).map((z) => [z.re, z.im]);
}

export type EpochCallback = (epoch: number, valLoss: number, trainLoss: number) => void;

/** Train the student of `task` on `data`. Requires an initialised tfjs backend (initBackend). */
export function trainStudent(task: StudentTask, data: TeacherStudentData, onEpoch?: EpochCallback): InitRun {
  const t0 = Date.now();
  const c = task.config;
  const n = data.spec.states;
  const m = data.spec.inputs;
  const spec = studentSpec(c, n, m);
  const rng = new Rng(task.studentSeed);
  const initRng = rng.fork(`init:${task.init}`);
  const weights =
    task.init === 'sii'
      ? siiInit({ ...spec, solver: c.solver, h: c.h, eps: c.eps, complex: c.complex, rng: initRng })
      : heInit(spec, initRng);
  const field = new MlpVectorField(spec, { weights: weights.weights, biases: weights.biases });
  const ode = new NeuralODE(field, { method: c.solver, step: c.h, checkFinite: false });
  const win = data.window;
  const { target, pairing } = studentProtocol(c);

  // [window, W, ·] so that a batch is a gather along axis 1.
  const toSteps = (arr: Float32Array, count: number, ch: number) =>
    tf.tidy(() => tf.transpose(tf.tensor3d(arr, [count, win, ch]), [1, 0, 2]) as Tensor3D);
  const trainS = toSteps(data.train.windows.states, data.train.windows.count, n);
  const trainU = toSteps(data.train.windows.inputs, data.train.windows.count, m);
  const valS = toSteps(data.val.windows.states, data.val.windows.count, n);
  const valU = toSteps(data.val.windows.inputs, data.val.windows.count, m);
  const W = usedWindows(data.train.windows.count, target);

  const valLoss = (): number => validationMse(ode, valS, valU, target, c.batch);
  /** Epoch e: the windows in the order of one permutation of the student's 'batches' stream, in batches. */
  function* batches(_epoch: number, orderRng: Rng): Generator<[Tensor3D, Tensor3D]> {
    const order = Array.from(orderRng.permutation(W));
    for (let s = 0; s < W; s += c.batch) {
      const idx = order.slice(s, s + c.batch);
      yield tf.tidy(() => {
        const ids = tf.tensor1d(idx, 'int32');
        return [tf.gather(trainS, ids, 1) as Tensor3D, tf.gather(trainU, ids, 1) as Tensor3D];
      });
    }
  }

  const opt = new NAdam({ learningRate: c.lr });
  const run: InitRun = emptyInitRun(task.init);
  try {
    const result = fit({
      variables: field.variables,
      optimizer: opt,
      epochs: c.epochs,
      // pairing 'authors': each init draws its own batch order, as torch's generator does in the paper's code
      seed: pairing === 'authors' ? `${task.studentSeed}/arm:${task.init}` : task.studentSeed,
      batches,
      // the MSE of a batch of windows under the target (targets.ts): fit takes the whole step in the
      // SIMD module where it applies (the same loss, clipping and NAdam rule as the tfjs path)
      rollout: { ode, batch: ([S, U]) => windowBatch(S, U, target) },
      disposeBatch: (b) => tf.dispose(b),
      clipNorm: c.clip,
      validate: (epoch) => {
        const loss = valLoss();
        if (epoch === 0) {
          run.initialValLoss = loss;
          run.poles.push(polesAtOrigin(spec, field));
        }
        return { loss };
      },
      divergence: { factor: c.divergeFactor },
      onEpoch: ({ epoch, trainLoss, metrics, diverged, best }) => {
        run.trainCurve.push(trainLoss);
        run.valCurve.push(metrics.loss);
        run.epochsRun = epoch;
        run.minValLoss = best.value;
        run.minEpoch = best.epoch;
        if (!diverged) run.poles.push(polesAtOrigin(spec, field));
        onEpoch?.(epoch, metrics.loss, trainLoss);
      },
    });
    run.diverged = result.diverged ?? null;
  } catch (e) {
    run.error = e instanceof Error ? e.message : String(e);
    run.diverged ??= { epoch: run.epochsRun + 1, reason: `error: ${run.error}` };
  } finally {
    opt.dispose();
    field.dispose();
    for (const t of [trainS, trainU, valS, valU]) t.dispose();
  }
  run.wallMs = Date.now() - t0;
  return run;
}

/**
 * Generate a teacher's data once and train one student per init on it, in turn. Epochs are
 * reported as a running count over the inits (1 .. inits·epochs).
 */
export function runTeacherTask(task: TeacherTask, onEpoch?: EpochCallback): TeacherResult {
  const unpaired = studentProtocol(task.config).pairing === 'authors';
  const shared = unpaired ? null : teacherData(task);
  const result: TeacherResult = {
    teacher: task.teacher,
    teacherSeed: task.teacherSeed,
    setting: task.config.setting,
    teacherPoles: [],
    runs: {},
  };
  task.inits.forEach((init, k) => {
    const data = shared ?? teacherData(task, init);
    const poles = data.teacherPoles.map((z): [number, number] => [z.re, z.im]);
    if (k === 0) result.teacherPoles = poles;
    if (unpaired) result.armTeacherPoles = { ...result.armTeacherPoles, [init]: poles };
    const student: StudentTask = {
      teacher: task.teacher,
      teacherSeed: task.teacherSeed,
      init,
      studentSeed: task.studentSeed,
      config: task.config,
    };
    result.runs[init] = trainStudent(student, data, (e, v, t) => onEpoch?.(k * task.config.epochs + e, v, t));
  });
  return result;
}
