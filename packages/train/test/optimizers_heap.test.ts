import { initBackend } from '@sii/neural-ode';
import { withoutTensorHeap } from '@sii/neural-ode/internal';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, flatten, NAdam, SGD, type StatefulOptimizer, trainStep } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

// Sizes 3, 10, 21, 16, 1, 9: most not multiples of 4.
const SHAPES = [[3], [2, 5], [7, 1, 3], [4, 4], [1], [3, 3]];

/** Values from a fixed integer recurrence (reproducible, independent of any RNG). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648 - 0.5) * 2;
  }
  return out;
}

/** One tensor per entry of SHAPES, its values seeded by seed(k). */
function tensors(seed: (k: number) => number): tf.Tensor[] {
  return SHAPES.map((shape, k) =>
    tf.tensor(
      values(
        shape.reduce((a, b) => a * b, 1),
        seed(k),
      ),
      shape,
    ),
  );
}

interface Run {
  params: Float32Array[];
  state: ReturnType<StatefulOptimizer['getState']>;
  losses: number[];
}

/** `steps` updates of fresh variables: via optimizer.step (given gradients) or trainStep (a loss, optional clipping). */
function run(make: () => StatefulOptimizer, how: 'step' | 'trainStep', clipNorm?: number, steps = 4): Run {
  const vars = tf.tidy(() => tensors((k) => 7 + k).map((t) => tf.variable(t)));
  const opt = make();
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    if (how === 'step') {
      const grads = tensors((k) => 100 * s + k);
      opt.step(vars, grads);
      tf.dispose(grads);
    } else {
      const targets = tensors((k) => 50 * s + k);
      const r = trainStep(() => tf.addN(vars.map((v, k) => tf.sum(tf.square(tf.sub(tf.mul(v, v), targets[k]))))) as tf.Scalar, opt, {
        variables: vars,
        clipNorm,
      });
      losses.push(r.loss);
      tf.dispose(targets);
    }
  }
  const out = { params: vars.map((v) => v.dataSync() as Float32Array), state: opt.getState(vars), losses };
  opt.dispose();
  tf.dispose(vars);
  return out;
}

const OPTIMIZERS: [string, () => StatefulOptimizer][] = [
  ['Adam', () => new Adam({ learningRate: 0.01 })],
  ['NAdam', () => new NAdam({ learningRate: 0.01 })],
  ['SGD (momentum, Nesterov, weight decay)', () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
];

describe('optimizer updates in place on the wasm heap (no Split/Sub/Reshape/Concat kernels)', () => {
  it('runs on the wasm backend (where the in-place path applies)', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  for (const [name, make] of OPTIMIZERS) {
    for (const [how, clip] of [
      ['step', undefined],
      ['trainStep', undefined],
      ['trainStep', 0.5],
    ] as const) {
      it(`${name} via ${how}${clip ? ` with clipNorm ${clip}` : ''}: parameters, state and losses bitwise equal to the kernel path`, () => {
        const before = tf.memory().numTensors;
        const fast = run(make, how, clip);
        const mid = tf.memory().numTensors;
        const ref = withoutTensorHeap(() => run(make, how, clip));
        expect(mid).toBe(before);
        expect(tf.memory().numTensors).toBe(before);
        fast.params.forEach((p, i) => expect(Array.from(p)).toEqual(Array.from(ref.params[i])));
        expect(fast.state).toEqual(ref.state);
        expect(fast.losses).toEqual(ref.losses);
        // The run moved the parameters (the comparison is not between two untouched copies).
        expect(Array.from(fast.params[1])).not.toEqual(Array.from(values(10, 8)));
      });
    }
  }

  it('a reshape of a variable taken before a step keeps its old values (variables are never written in place)', () => {
    const v = tf.variable(tf.tensor(values(12, 3), [3, 4]));
    const w = tf.variable(tf.tensor(values(5, 4), [5]));
    const view = tf.reshape(v, [12]);
    const old = Array.from(view.dataSync());
    const opt = new Adam({ learningRate: 0.1 });
    const g = [tf.ones([3, 4]), tf.ones([5])];
    opt.step([v, w], g);
    expect(Array.from(view.dataSync())).toEqual(old);
    expect(Array.from(v.dataSync())).not.toEqual(old);
    tf.dispose([v, w, view, ...g]);
    opt.dispose();
  });

  it('flatten copies the values in order into a new tensor', () => {
    const a = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor([7], [1]);
    const c = tf.tensor([8, 9], [2, 1]);
    const f = flatten([a, b, c]);
    expect(f.shape).toEqual([9]);
    expect(Array.from(f.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    a.dispose();
    expect(Array.from(f.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    tf.dispose([b, c, f]);
  });
});
