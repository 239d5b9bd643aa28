/**
 * Diagnostics of METHOD.md §8: the Jacobian ∂f/∂x at a batch of points (exact, by reverse-mode autodiff),
 * its eigenvalues (poles, float64 via @sii/linalg), poles along a trajectory, and whether h·λ lies
 * in the solver's stability region (@sii/rk).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { type Complex, type DenseMatrix, eigenvalues } from '@sii/linalg';
import { isStable, stabilityAbs, stabilityPolynomial } from '@sii/rk';
import { requireBackend } from './backend.js';
import type { VectorField } from './mlp.js';
import type { NeuralODE } from './neural_ode.js';
import { resolveTableau, type TableauLike } from './tableau.js';
import { assertFiniteTensor, assertPositive, assertTensor, show } from './validate.js';

type Points = Tensor2D | number[][] | number[];

function toTensor2D(where: string, arg: string, v: Points | undefined, cols: number): Tensor2D | undefined {
  if (v == null) return undefined;
  if (v instanceof tf.Tensor) {
    assertTensor(where, arg, v, 2);
    return v;
  }
  if (!Array.isArray(v)) throw new TypeError(`${where}: ${arg} must be a Tensor2D or an array, got ${show(v)}`);
  const rows = (Array.isArray(v[0]) ? v : [v]) as number[][];
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== cols) {
      throw new RangeError(`${where}: ${arg}[${i}] must have ${cols} values, got ${show(r)}`);
    }
    r.forEach((x, k) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new RangeError(`${where}: ${arg}[${i}][${k}] must be a finite number, got ${show(x)}`);
      }
    });
  });
  return tf.tensor2d(rows, [rows.length, cols]);
}

/**
 * ∂f_i/∂x_j at each row of x (with the matching row of u): one n×n row-major Float64Array per point.
 * Exact up to float32 round-off: one reverse pass over the batch tiled n times with one-hot seeds.
 */
export function jacobian(field: VectorField, x: Points, u?: Points): Float64Array[] {
  const where = 'jacobian';
  requireBackend(where);
  const n = field.states;
  const m = field.inputs;
  const xs = toTensor2D(where, 'x', x, n)!;
  const us = toTensor2D(where, 'u', u, m);
  try {
    if (xs.shape[1] !== n) throw new RangeError(`${where}: x must have shape [batch, ${n}], got [${xs.shape.join(', ')}]`);
    if (m > 0 && us == null) throw new RangeError(`${where}: u is required (the field has ${m} inputs)`);
    const B = xs.shape[0];
    if (us != null && (us.shape[1] !== m || (us.shape[0] !== B && us.shape[0] !== 1))) {
      throw new RangeError(`${where}: u must have shape [${B} or 1, ${m}], got [${us.shape.join(', ')}]`);
    }
    assertFiniteTensor(where, 'x', xs);
    if (us != null) assertFiniteTensor(where, 'u', us);
    const data = tf.tidy(() => {
      // Row i·B + b of the tiled batch carries point b with seed e_i: its gradient row is ∂f_i/∂x (b).
      const X = tf.tile(xs, [n, 1]) as Tensor2D;
      const U = us == null ? undefined : (tf.tile(us.shape[0] === B ? us : tf.tile(us, [B, 1]), [n, 1]) as Tensor2D);
      const seed = tf.reshape(tf.tile(tf.reshape(tf.eye(n), [n, 1, n]), [1, B, 1]), [n * B, n]);
      const g = tf.grad((z: Tensor) => field.apply(z as Tensor2D, U))(X, seed);
      return g.dataSync();
    });
    const out: Float64Array[] = [];
    for (let b = 0; b < B; b++) {
      const J = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) J[i * n + j] = data[(i * B + b) * n + j];
      }
      out.push(J);
    }
    return out;
  } finally {
    if (xs !== x) xs.dispose();
    if (us != null && us !== u) us.dispose();
  }
}

/** The Jacobians of {@link jacobian} as DenseMatrix (n×n, entry (i, j) = ∂f_i/∂x_j). */
export function jacobianMatrices(field: VectorField, x: Points, u?: Points): DenseMatrix[] {
  const n = field.states;
  return jacobian(field, x, u).map((data) => ({ rows: n, cols: n, data }));
}

/** Eigenvalues of ∂f/∂x at each point (conjugate pairs adjacent, sorted as @sii/linalg does). */
export function poles(field: VectorField, x: Points, u?: Points): Complex[][] {
  const n = field.states;
  return jacobian(field, x, u).map((data) => eigenvalues({ rows: n, cols: n, data }));
}

export interface TrajectoryPoles {
  /** States x_0 … x_{T−1} where the Jacobians were taken: [T, batch, n]. */
  states: Float32Array[][];
  /** poles[k][b]: eigenvalues at (x_k, u_k) of batch member b. */
  poles: Complex[][][];
}

/**
 * Roll the model out over the inputs [T, batch, m] (or T steps without inputs) and return the poles
 * at every visited state x_k with its input u_k, k = 0 … T−1.
 */
export function polesAlongTrajectory(ode: NeuralODE, x0: Tensor2D, inputs: Tensor3D | number): TrajectoryPoles {
  const where = 'polesAlongTrajectory';
  const traj = ode.rollout(x0, inputs, { includeInitial: true });
  try {
    const T = typeof inputs === 'number' ? inputs : inputs.shape[0];
    const [, B, n] = traj.shape;
    const m = ode.field.inputs;
    const states = tf.tidy(() => tf.reshape(tf.slice(traj, [0, 0, 0], [T, B, n]), [T * B, n]) as Tensor2D);
    const us =
      typeof inputs === 'number'
        ? undefined
        : tf.tidy(() => tf.reshape(inputs.shape[1] === B ? inputs : tf.tile(inputs, [1, B, 1]), [T * B, m]) as Tensor2D);
    try {
      const all = poles(ode.field, states, us);
      const flat = states.dataSync() as Float32Array;
      const out: TrajectoryPoles = { states: [], poles: [] };
      for (let k = 0; k < T; k++) {
        out.states.push([]);
        out.poles.push([]);
        for (let b = 0; b < B; b++) {
          out.states[k].push(flat.slice((k * B + b) * n, (k * B + b + 1) * n));
          out.poles[k].push(all[k * B + b]);
        }
      }
      return out;
    } finally {
      states.dispose();
      us?.dispose();
    }
  } catch (err) {
    if (err instanceof Error && !err.message.startsWith(where)) err.message = `${where}: ${err.message}`;
    throw err;
  } finally {
    traj.dispose();
  }
}

export interface StabilityReport {
  /** h·λ for each pole. */
  hLambda: Complex[];
  /** |R(h·λ)|. */
  abs: number[];
  /** |R(h·λ)| ≤ 1 + margin. */
  inside: boolean[];
}

/**
 * Whether h·λ lies in the stability region of the method (|R(hλ)| ≤ 1 + margin), with R the
 * method's stability polynomial from @sii/rk.
 */
export function stabilityCheck(
  polesList: readonly Complex[],
  opts: { method: string | TableauLike; step: number; margin?: number },
): StabilityReport {
  const where = 'stabilityCheck';
  if (opts == null) throw new TypeError(`${where}: options { method, step } are required`);
  assertPositive(where, 'options.step', opts.step);
  const margin = opts.margin ?? 0;
  if (!Number.isFinite(margin)) throw new RangeError(`${where}: options.margin must be finite, got ${show(margin)}`);
  const tab = resolveTableau(opts.method, where);
  const R = stabilityPolynomial(tab as Parameters<typeof stabilityPolynomial>[0]);
  const h = opts.step;
  const hLambda = polesList.map((p, i) => {
    if (p == null || !Number.isFinite(p.re) || !Number.isFinite(p.im)) {
      throw new RangeError(`${where}: poles[${i}] must be a finite complex number, got ${show(p)}`);
    }
    return { re: h * p.re, im: h * p.im };
  });
  return {
    hLambda,
    abs: hLambda.map((z) => stabilityAbs(R, z.re, z.im)),
    inside: hLambda.map((z) => isStable(R, z, margin)),
  };
}
