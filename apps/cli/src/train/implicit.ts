/**
 * Implicit regularization by the solver (paper, Figure 3): a student MLP with 3 states and no input
 * is fitted to trajectories of a linear teacher dx/dt = A·x with known poles, trained through one
 * solver (euler / midpoint / rk4) at step h. The poles the student ends with (eigenvalues of
 * ∂f/∂x at 0) show where each solver lets the model place them.
 */
import { heInit } from '@sii/init';
import { eigenvalues, Rng } from '@sii/linalg';
import { type MlpSpec, mlpJacobian64 } from '@sii/mlp';
import { MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { fit, NAdam } from '@sii/train';
import { odeint } from '@sii/rk';
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { linearRhs, linearSystem } from '../linear.js';

export interface ImplicitConfig {
  /** Teacher poles λ as [re, im]; complex ones in conjugate pairs, adjacent. */
  teacherPoles: [number, number][];
  h: number;
  hidden: number;
  layers: number;
  activation: string;
  /** Training trajectories, samples per trajectory, window length. */
  trajectories: number;
  samples: number;
  window: number;
  batch: number;
  lr: number;
  clip: number;
  epochs: number;
  backend: 'wasm' | 'cpu';
}

export interface ImplicitTask {
  kind: 'implicit';
  solver: string;
  /** Student seed (init and batch order); the teacher data come from config.teacherSeed. */
  seed: string;
  teacherSeed: string;
  config: ImplicitConfig;
}

export interface ImplicitResult {
  solver: string;
  seed: string;
  /** Student poles λ at the origin after training, [re, im]. */
  poles: [number, number][];
  initialLoss: number;
  finalLoss: number;
  diverged: boolean;
  wallMs: number;
}

/** Teacher windows [window, count, n] (float32) from trajectories simulated with dopri5 in float64. */
export function implicitData(config: ImplicitConfig, teacherSeed: string): { windows: Float32Array; count: number; n: number } {
  const rng = new Rng(teacherSeed);
  const { A } = linearSystem(config.teacherPoles, rng.fork('A'));
  const n = A.rows;
  const f = linearRhs(A);
  const t = Float64Array.from({ length: config.samples }, (_, k) => k * config.h);
  const perTraj = config.samples - config.window + 1;
  const count = config.trajectories * perTraj;
  const out = new Float32Array(config.window * count * n);
  const y0Rng = rng.fork('y0');
  for (let r = 0; r < config.trajectories; r++) {
    const y0 = y0Rng.fillUniform(new Float64Array(n), -1, 1);
    const sol = odeint(f, y0, t, { method: 'dopri5', rtol: 1e-9, atol: 1e-11 });
    for (let s = 0; s < perTraj; s++) {
      const w = r * perTraj + s;
      for (let k = 0; k < config.window; k++) {
        for (let i = 0; i < n; i++) out[(k * count + w) * n + i] = sol.y[(s + k) * n + i];
      }
    }
  }
  return { windows: out, count, n };
}

export function runImplicitTask(task: ImplicitTask, onEpoch?: (epoch: number, val: number, train: number) => void): ImplicitResult {
  const t0 = Date.now();
  const c = task.config;
  const data = implicitData(c, task.teacherSeed);
  const n = data.n;
  const spec: MlpSpec = { states: n, inputs: 0, hidden: c.hidden, layers: c.layers, activation: c.activation as MlpSpec['activation'] };
  const rng = new Rng(task.seed);
  const w0 = heInit(spec, rng.fork('init'));
  const field = new MlpVectorField(spec, w0);
  const ode = new NeuralODE(field, { method: task.solver, step: c.h, checkFinite: false });
  const S = tf.tensor3d(data.windows, [c.window, data.count, n]);
  const opt = new NAdam({ learningRate: c.lr });
  const loss = (X: Tensor3D): Scalar =>
    tf.tidy(() => {
      const B = X.shape[1];
      const x0 = tf.reshape(tf.slice(X, [0, 0, 0], [1, B, n]), [B, n]) as Tensor2D;
      const pred = ode.rollout(x0, c.window - 1);
      return tf.mean(tf.squaredDifference(pred, tf.slice(X, [1, 0, 0], [c.window - 1, B, n]))) as Scalar;
    });
  const fullLoss = () => {
    const l = loss(S);
    const v = l.dataSync()[0];
    l.dispose();
    return v;
  };
  /** One shuffled pass: a permutation of the windows from the seed's 'batches' stream, in batches. */
  function* batches(_epoch: number, order: Rng): Generator<Tensor3D> {
    const perm = Array.from(order.permutation(data.count));
    for (let s = 0; s < perm.length; s += c.batch) {
      yield tf.tidy(() => tf.gather(S, tf.tensor1d(perm.slice(s, s + c.batch), 'int32'), 1) as Tensor3D);
    }
  }
  try {
    const result = fit({
      variables: field.variables,
      optimizer: opt,
      epochs: c.epochs,
      seed: task.seed,
      batches,
      loss,
      disposeBatch: (X) => X.dispose(),
      clipNorm: c.clip,
      validate: () => ({ loss: fullLoss() }),
      // only a non-finite batch loss stops the run (no limit relative to the initial loss)
      divergence: {},
      onEpoch: ({ epoch, trainLoss, metrics }) => onEpoch?.(epoch, metrics.loss, trainLoss),
    });
    const initialLoss = result.initial.loss;
    const finalLoss = result.valCurves.loss.at(-1) ?? initialLoss;
    const diverged = result.diverged !== undefined;
    const J = mlpJacobian64(spec, field.getWeights(), new Float64Array(n));
    const poles = eigenvalues(J).map((z) => [z.re, z.im] as [number, number]);
    return { solver: task.solver, seed: task.seed, poles, initialLoss, finalLoss, diverged, wallMs: Date.now() - t0 };
  } finally {
    opt.dispose();
    field.dispose();
    S.dispose();
  }
}
