/**
 * torch MaxPool3d(2) and AvgPool3d(2) (kernel 2, stride 2, floor: a trailing odd row is dropped) on
 * channels-last [N, D, H, W, C], built from slices and pairwise maximum / mean along one axis at a
 * time, whose gradients are registered (ties: the first element gets the gradient, as torch's
 * first-max index).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor5D } from '@tensorflow/tfjs-core';

function pairwise(x: Tensor5D, axis: 1 | 2 | 3, combine: (a: Tensor, b: Tensor) => Tensor): Tensor5D {
  const n = Math.floor(x.shape[axis] / 2);
  if (n < 1) throw new RangeError(`pool: axis ${axis} of shape [${x.shape}] is shorter than the pooling window 2`);
  const shape: number[] = [...x.shape];
  shape[axis] = 2 * n;
  const even = x.shape[axis] === 2 * n ? x : tf.slice(x, [0, 0, 0, 0, 0], shape as [number, number, number, number, number]);
  // [.., 2n, ..] → [.., n, 2·rest]: the two members of a pair sit in the two halves of the merged axis.
  const pre = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const rest = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const r = tf.reshape(even, [pre * n, 2, rest]);
  const a = tf.reshape(tf.slice(r, [0, 0, 0], [pre * n, 1, rest]), [pre * n, rest]);
  const b = tf.reshape(tf.slice(r, [0, 1, 0], [pre * n, 1, rest]), [pre * n, rest]);
  const out = [...shape];
  out[axis] = n;
  return tf.reshape(combine(a, b), out as [number, number, number, number, number]);
}

export function maxPool3d2(x: Tensor5D): Tensor5D {
  const m = (a: Tensor, b: Tensor) => tf.maximum(a, b);
  return pairwise(pairwise(pairwise(x, 1, m), 2, m), 3, m);
}

export function avgPool3d2(x: Tensor5D): Tensor5D {
  const m = (a: Tensor, b: Tensor) => tf.mul(tf.add(a, b), 0.5);
  return pairwise(pairwise(pairwise(x, 1, m), 2, m), 3, m);
}
