/**
 * The window loss of the teacher–student study under the two targets (types.ts StudentTarget):
 * 'aligned' compares x̂_1..x̂_{w−1} with x_1..x_{w−1}; 'authors' (the paper's base_ts.py) rolls w steps
 * and compares x̂_1..x̂_w with x_0..x_{w−1}, over one window fewer, and validates with the mean of the
 * batch MSEs.
 */
import type { NeuralODE } from '@sii/neural-ode';
import type { RolloutBatch } from '@sii/train';
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { StudentTarget } from './types.js';

/**
 * MSE of one batch of windows, states S [w, B, n] and inputs U [w, B, m] (step-major): rolled from
 * S[0] with U[0..k−1], k = w − 1 (aligned) or w (authors), against S[1..w−1] (aligned) or S[0..w−1]
 * (authors).
 */
export function windowMse(ode: NeuralODE, S: Tensor3D, U: Tensor3D, target: StudentTarget): Scalar {
  const [w, B, n] = S.shape;
  const m = U.shape[2];
  const steps = target === 'authors' ? w : w - 1;
  const x0 = tf.reshape(tf.slice(S, [0, 0, 0], [1, B, n]), [B, n]) as Tensor2D;
  const u = tf.slice(U, [0, 0, 0], [steps, B, m]) as Tensor3D;
  const truth = target === 'authors' ? tf.slice(S, [0, 0, 0], [w, B, n]) : tf.slice(S, [1, 0, 0], [w - 1, B, n]);
  return tf.mean(tf.squaredDifference(ode.rollout(x0, u), truth)) as Scalar;
}

/**
 * One batch of windows as fit()'s rollout loss takes it (the same loss as {@link windowMse}): x_0 =
 * S[0], the inputs U[0..k−1] and the target S[1..w−1] (aligned) or S[0..w−1] (authors), as views of
 * one copy of S and U (step-major, so each piece is contiguous).
 */
export function windowBatch(S: Tensor3D, U: Tensor3D, target: StudentTarget): RolloutBatch {
  const [w, B, n] = S.shape;
  const m = U.shape[2];
  const steps = target === 'authors' ? w : w - 1;
  const s = S.dataSync() as Float32Array;
  const u = U.dataSync() as Float32Array;
  return {
    x0: s.subarray(0, B * n),
    inputs: u.subarray(0, steps * B * m),
    target: target === 'authors' ? s.subarray(0, w * B * n) : s.subarray(B * n, w * B * n),
  };
}

/** Windows used out of `count` (all starts): the paper's code drops the last start (T − w + 1 → T − w). */
export function usedWindows(count: number, target: StudentTarget): number {
  return target === 'authors' ? count - 1 : count;
}

/**
 * Validation loss over the windows S, U [w, W, ·] (all starts). Aligned: the MSE over every window at
 * once. Authors: windows 0..W−2 in order, in batches of `batch`, the mean of the batch MSEs (the last,
 * smaller batch weighs as much as a full one, as Lightning's epoch mean of the step losses there).
 */
export function validationMse(ode: NeuralODE, S: Tensor3D, U: Tensor3D, target: StudentTarget, batch: number): number {
  const value = (f: () => Scalar): number => {
    const l = tf.tidy(f);
    const v = l.dataSync()[0];
    l.dispose();
    return v;
  };
  if (target !== 'authors') return value(() => windowMse(ode, S, U, target));
  const [w, W, n] = S.shape;
  const m = U.shape[2];
  const used = usedWindows(W, target);
  let sum = 0;
  let batches = 0;
  for (let s = 0; s < used; s += batch) {
    const b = Math.min(batch, used - s);
    sum += value(() =>
      windowMse(ode, tf.slice(S, [0, s, 0], [w, b, n]) as Tensor3D, tf.slice(U, [0, s, 0], [w, b, m]) as Tensor3D, target),
    );
    batches++;
  }
  return sum / batches;
}
