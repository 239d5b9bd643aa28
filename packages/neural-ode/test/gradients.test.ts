import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { lcg } from './helpers/ref64.js';

beforeAll(async () => {
  await initBackend();
});

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/**
 * Check tf.grads of L = Σ w ⊙ fn(xs) against central differences of L evaluated in float64 from
 * float32 forward passes (step 1e-2 → truncation ~1e-4 relative; float32 round-off ~1e-5).
 */
function check(fn: Fn, shapes: number[][], opts: { positive?: boolean; scale?: number } = {}) {
  const r = lcg(shapes.flat().reduce((a, b) => a * 31 + b, 7));
  const vals = shapes.map((s) =>
    Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => {
      const v = (opts.scale ?? 1) * r();
      return opts.positive ? 0.5 + Math.abs(v) : v + (Math.abs(v) < 0.05 ? 0.1 : 0);
    }),
  );
  const xs = vals.map((v, i) => tf.tensor(v, shapes[i]));
  const outShape = fn(...xs).shape;
  const w = tf.tensor(
    Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => r()),
    outShape,
  );
  const L = (...ts: tf.Tensor[]) => tf.sum(tf.mul(fn(...ts), w));
  const g = tf
    .grads(L)(xs)
    .map((t) => t.dataSync());
  const evalL = () => tf.tidy(() => L(...vals.map((v, i) => tf.tensor(v, shapes[i]))).dataSync()[0]);
  const eps = 1e-2;
  vals.forEach((v, i) => {
    let maxErr = 0;
    let maxG = 1e-3;
    for (let k = 0; k < v.length; k++) {
      const x0 = v[k];
      v[k] = x0 + eps;
      const up = evalL();
      v[k] = x0 - eps;
      const down = evalL();
      v[k] = x0;
      const fd = (up - down) / (2 * eps);
      maxErr = Math.max(maxErr, Math.abs(fd - g[i][k]));
      maxG = Math.max(maxG, Math.abs(fd));
    }
    expect(maxErr / maxG, `input ${i}`).toBeLessThan(3e-3);
  });
  tf.dispose([...xs, w]);
}

describe('registered kernel gradients vs central differences', () => {
  const cases: Array<[string, Fn, number[][], { positive?: boolean; scale?: number }?]> = [
    ['Add (broadcast)', (a, b) => tf.add(a, b), [[3, 4], [4]]],
    [
      'Sub (broadcast)',
      (a, b) => tf.sub(a, b),
      [
        [3, 1],
        [1, 4],
      ],
    ],
    [
      'Multiply (broadcast)',
      (a, b) => tf.mul(a, b),
      [
        [2, 3, 4],
        [3, 1],
      ],
    ],
    [
      'RealDiv',
      (a, b) => tf.div(a, b),
      [
        [3, 4],
        [3, 4],
      ],
      { positive: true },
    ],
    [
      'Maximum/Minimum',
      (a, b) => tf.add(tf.maximum(a, b), tf.minimum(a, b)),
      [
        [3, 4],
        [3, 4],
      ],
    ],
    ['SquaredDifference', (a, b) => tf.squaredDifference(a, b), [[3, 4], [4]]],
    [
      'Pow',
      (a, b) => tf.pow(a, b),
      [
        [3, 2],
        [3, 2],
      ],
      { positive: true },
    ],
    [
      'AddN',
      (a, b, c) => tf.addN([a, b, c]),
      [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
    ],
    [
      'MatMul',
      (a, b) => tf.matMul(a, b),
      [
        [3, 4],
        [4, 2],
      ],
    ],
    [
      'MatMul Aᵀ',
      (a, b) => tf.matMul(a, b, true, false),
      [
        [4, 3],
        [4, 2],
      ],
    ],
    [
      'MatMul Bᵀ',
      (a, b) => tf.matMul(a, b, false, true),
      [
        [3, 4],
        [2, 4],
      ],
    ],
    [
      'MatMul AᵀBᵀ',
      (a, b) => tf.matMul(a, b, true, true),
      [
        [4, 3],
        [2, 4],
      ],
    ],
    [
      'batched MatMul',
      (a, b) => tf.matMul(a, b),
      [
        [2, 3, 4],
        [2, 4, 2],
      ],
    ],
    ['Neg/Exp/Log/Sqrt', (x) => tf.add(tf.neg(tf.exp(x)), tf.add(tf.log(x), tf.sqrt(x))), [[3, 3]], { positive: true }],
    ['Square/Abs', (x) => tf.add(tf.square(x), tf.abs(x)), [[3, 3]]],
    ['Reciprocal', (x) => tf.reciprocal(x), [[3, 3]], { positive: true }],
    ['Tanh/Sigmoid/Softplus', (x) => tf.add(tf.tanh(x), tf.add(tf.sigmoid(x), tf.softplus(x))), [[4, 3]], { scale: 2 }],
    ['Relu/LeakyRelu/Elu/Selu', (x) => tf.addN([tf.relu(x), tf.leakyRelu(x, 0.1), tf.elu(x), tf.selu(x)]), [[4, 3]], { scale: 2 }],
    ['ClipByValue', (x) => tf.clipByValue(x, -0.5, 0.5), [[4, 3]]],
    ['Reshape/Transpose/ExpandDims', (x) => tf.expandDims(tf.transpose(tf.reshape(x, [3, 4])), 1), [[2, 6]]],
    ['Slice', (x) => tf.slice(x, [1, 1], [2, 2]), [[4, 3]]],
    [
      'Concat',
      (a, b) => tf.concat([a, b], 1),
      [
        [3, 2],
        [3, 4],
      ],
    ],
    [
      'Stack/Unstack',
      (x) =>
        tf.stack(
          tf.unstack(x).map((t, i) => tf.mul(t, i + 1)),
          1,
        ),
      [[3, 2]],
    ],
    ['Tile', (x) => tf.tile(x, [2, 3]), [[2, 3]]],
    ['Sum/Mean', (x) => tf.add(tf.sum(x, 1, true), tf.mean(x, 0)), [[3, 4]]],
    [
      'Select (where) with comparison',
      (a, b) => tf.where(tf.greater(a, 0), a, tf.mul(b, 2)),
      [
        [3, 4],
        [3, 4],
      ],
    ],
    ['Step/Sign (zero gradient)', (x) => tf.mul(tf.add(tf.step(x), tf.sign(x)), x), [[3, 4]]],
    ['Cast/Identity', (x) => tf.clone(tf.cast(x, 'float32')), [[2, 2]]],
  ];
  for (const [name, fn, shapes, opts] of cases) {
    it(name, () => check(fn, shapes, opts));
  }
});
