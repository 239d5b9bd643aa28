import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationName } from '@sii/mlp';
import { type FastRolloutEngine, fastRollout, initBackend, MlpVectorField, NeuralODE } from '../src/index.js';
import { fastRolloutApplies, fastRolloutEngine } from '../src/internal.js';
import { lcg, scaledErr } from './helpers/ref64.js';
import { mse, sgdStep } from './helpers/sgd.js';

beforeAll(async () => {
  await initBackend();
});

interface Case {
  method: string;
  activation: ActivationName;
  inputs: number;
  layers: number;
  output: 'all' | 'final';
  uBatch1?: boolean;
  includeInitial?: boolean;
  /** Sizes (defaults hidden 7, batch 5, steps 4). */
  hidden?: number;
  batch?: number;
  steps?: number;
}

/**
 * Loss and gradients (variables, x0 and inputs) through the per-op tape (field in 'autodiff' mode,
 * NeuralODE.rollout without the fast path) and through fastRollout, same weights and data.
 */
function compare(c: Case, engine: FastRolloutEngine): { loss: [number, number]; errs: number[] } {
  const n = 3;
  const B = c.batch ?? 5;
  const T = c.steps ?? 4;
  const spec = { states: n, inputs: c.inputs, hidden: c.hidden ?? 7, layers: c.layers, activation: c.activation };
  const ref = new MlpVectorField(spec, undefined, { seed: 3, gradMode: 'autodiff' });
  const fast = new MlpVectorField(spec, ref.getWeights(), { gradMode: 'custom' });
  const odeRef = new NeuralODE(ref, { method: c.method, step: 0.3, fast: false });
  const odeFast = new NeuralODE(fast, { method: c.method, step: 0.3 });
  const r = lcg(11);
  const x0 = tf.tensor2d(
    Array.from({ length: B * n }, () => r()),
    [B, n],
  );
  const ub = c.uBatch1 ? 1 : B;
  const u =
    c.inputs > 0
      ? tf.tensor3d(
          Array.from({ length: T * ub * c.inputs }, () => r()),
          [T, ub, c.inputs],
        )
      : null;
  const T1 = c.includeInitial ? T + 1 : T;
  const target =
    c.output === 'all'
      ? tf.tensor3d(
          Array.from({ length: T1 * B * n }, () => r()),
          [T1, B, n],
        )
      : tf.tensor2d(
          Array.from({ length: B * n }, () => r()),
          [B, n],
        );
  const run = (ode: NeuralODE, useFast: boolean) => {
    const xs: Tensor[] = [x0, ...(u ? [u] : []), ...ode.field.variables];
    const f = (...args: Tensor[]) => {
      const [x, uu] = [args[0] as Tensor2D, (u ? args[1] : undefined) as Tensor3D | undefined];
      const inp = uu ?? T;
      let pred: Tensor;
      if (useFast) pred = fastRollout(ode, x, inp, { output: c.output, includeInitial: c.includeInitial ?? false, engine });
      else {
        const all = ode.rollout(x, inp, { includeInitial: c.includeInitial ?? false });
        pred = c.output === 'all' ? all : tf.squeeze(tf.slice(all, [all.shape[0] - 1, 0, 0], [1, B, n]), [0]);
      }
      return mse(pred, target);
    };
    const { value, grads } = tf.variableGrads(() => f(...xs.slice(0, u ? 2 : 1)), ode.field.variables);
    const gx = tf.grad((x: Tensor) => f(x, ...(u ? [u] : [])))(x0);
    const gu = u ? tf.grad((uu: Tensor) => f(x0, uu))(u) : null;
    const list = [...ode.field.variables.map((v) => grads[v.name]), gx, ...(gu ? [gu] : [])];
    const out = { loss: value.dataSync()[0], grads: list.map((t) => t.dataSync().slice()) };
    tf.dispose([value, ...list]);
    return out;
  };
  const a = run(odeRef, false);
  const b = run(odeFast, true);
  tf.dispose([x0, target, ...(u ? [u] : [])]);
  ref.dispose();
  fast.dispose();
  return { loss: [a.loss, b.loss], errs: a.grads.map((g, i) => scaledErr(b.grads[i], g)) };
}

describe('fastRollout equals the per-op autodiff rollout (loss and gradients, float32 tolerance)', () => {
  const cases: Case[] = [
    { method: 'midpoint', activation: 'elu', inputs: 2, layers: 3, output: 'all' },
    { method: 'midpoint', activation: 'elu', inputs: 0, layers: 3, output: 'final' },
    { method: 'rk4', activation: 'elu', inputs: 0, layers: 2, output: 'final' },
    { method: 'rk4', activation: 'tanh', inputs: 1, layers: 3, output: 'all', uBatch1: true },
    { method: 'midpoint', activation: 'relu', inputs: 1, layers: 2, output: 'all', includeInitial: true },
    { method: 'rk4', activation: 'sigmoid', inputs: 2, layers: 2, output: 'final' },
    { method: 'heun3', activation: 'silu', inputs: 1, layers: 3, output: 'all' },
    { method: 'midpoint', activation: 'leaky_relu', inputs: 0, layers: 1, output: 'all' },
    { method: 'dopri5', activation: 'gelu', inputs: 1, layers: 2, output: 'final' },
    // ELU with one stage (Euler), b = (½, ½) (Heun), a zero weight (heun3) and a_31 ≠ 0 (rk38)
    { method: 'euler', activation: 'elu', inputs: 1, layers: 2, output: 'all' },
    { method: 'heun', activation: 'elu', inputs: 2, layers: 3, output: 'final', uBatch1: true },
    { method: 'heun3', activation: 'elu', inputs: 0, layers: 1, output: 'all', includeInitial: true },
    { method: 'rk38', activation: 'elu', inputs: 1, layers: 2, output: 'final' },
    // every other activation of the SIMD kernels, and softplus (tfjs engine only)
    { method: 'midpoint', activation: 'selu', inputs: 1, layers: 3, output: 'all', uBatch1: true },
    { method: 'rk4', activation: 'silu', inputs: 0, layers: 2, output: 'all', includeInitial: true },
    { method: 'ralston', activation: 'none', inputs: 2, layers: 2, output: 'final' },
    { method: 'kutta3', activation: 'softplus', inputs: 1, layers: 2, output: 'all' },
    // larger: full 4×8 register blocks with remainders, and a rollout that grows the kernels' memory
    { method: 'midpoint', activation: 'elu', inputs: 1, layers: 3, output: 'all', hidden: 37, batch: 13, steps: 9 },
    { method: 'rk4', activation: 'tanh', inputs: 0, layers: 2, output: 'final', hidden: 24, batch: 64, steps: 60 },
    // wide: reductions over more than one block of 256, packed panels (products of gemm and gemmTN)
    { method: 'midpoint', activation: 'silu', inputs: 1, layers: 3, output: 'final', hidden: 300, batch: 9, steps: 2 },
  ];
  for (const engine of ['tfjs', 'simd'] as const) {
    for (const c of cases) {
      if (engine === 'simd' && c.activation === 'softplus') continue;
      const name = `${c.method} ${c.activation} m=${c.inputs} L=${c.layers} ${c.output}${c.uBatch1 ? ' u batch 1' : ''}${c.includeInitial ? ' +x0' : ''}`;
      it(`${engine}: ${name}`, () => {
        const { loss, errs } = compare(c, engine);
        if (process.env.FAST_DEBUG) console.log(engine, name, loss, errs);
        expect(Math.abs(loss[1] - loss[0])).toBeLessThan(1e-5 * Math.max(1, Math.abs(loss[0])));
        for (const e of errs) expect(e).toBeLessThan(2e-5);
      });
    }
  }
});

describe('fastRollout engines', () => {
  it("'auto' picks the SIMD kernels on wasm for every width and tfjs for softplus", () => {
    const make = (hidden: number, activation: ActivationName) =>
      new NeuralODE(new MlpVectorField({ states: 2, inputs: 1, hidden, layers: 2, activation }), { method: 'rk4', step: 0.1 });
    const cases: Array<[number, ActivationName, string]> = [
      [16, 'elu', 'simd'],
      [384, 'gelu', 'simd'],
      [1025, 'elu', 'simd'],
      [16, 'softplus', 'tfjs'],
    ];
    for (const [hidden, act, want] of cases) {
      const ode = make(hidden, act);
      expect(fastRolloutEngine(ode), `${hidden} ${act}`).toBe(want);
      (ode.field as MlpVectorField).dispose();
    }
  });

  it('two SIMD rollouts on one tape: the first is evicted and restored for its backward pass', () => {
    const spec = { states: 3, inputs: 1, hidden: 12, layers: 3, activation: 'silu' as const };
    const field = new MlpVectorField(spec, undefined, { seed: 8 });
    const r = lcg(5);
    const xa = tf.tensor2d(
      Array.from({ length: 6 * 3 }, () => r()),
      [6, 3],
    );
    const xb = tf.tensor2d(
      Array.from({ length: 4 * 3 }, () => r()),
      [4, 3],
    );
    const ua = tf.tensor3d(
      Array.from({ length: 5 * 6 }, () => r()),
      [5, 6, 1],
    );
    const ub = tf.tensor3d(
      Array.from({ length: 7 }, () => r()),
      [7, 1, 1],
    );
    const grads = (engine: FastRolloutEngine) => {
      const ode = new NeuralODE(field, { method: 'rk4', step: 0.2, fastEngine: engine });
      const loss = () => tf.add(tf.sum(tf.square(ode.rollout(xa, ua))), tf.mean(ode.rollout(xb, ub, { includeInitial: true }))) as Scalar;
      const { value, grads: g } = tf.variableGrads(loss, field.variables);
      const out = [value, ...field.variables.map((v) => g[v.name])].map((t) => t.dataSync().slice());
      tf.dispose([value, ...Object.values(g)]);
      return out;
    };
    const a = grads('tfjs');
    const b = grads('simd');
    a.forEach((ref, i) => {
      expect(scaledErr(b[i], ref), `tensor ${i}`).toBeLessThan(2e-5);
    });
    tf.dispose([xa, xb, ua, ub]);
    field.dispose();
  });

  it('rejects an unknown engine, and engine simd for a field it cannot run', () => {
    const field = new MlpVectorField({ states: 2, inputs: 0, hidden: 4, layers: 2, activation: 'softplus' });
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const x0 = tf.zeros([3, 2]) as Tensor2D;
    expect(() => fastRollout(ode, x0, 2, { engine: 'gpu' as FastRolloutEngine })).toThrow(/options.engine must be one of auto, simd, tfjs/);
    expect(() => fastRollout(ode, x0, 2, { engine: 'simd' })).toThrow(/engine 'simd' cannot run this field \(activation "softplus"/);
    expect(() => new NeuralODE(field, { method: 'euler', step: 1, fastEngine: 'x' as FastRolloutEngine })).toThrow(
      /fastEngine must be one of/,
    );
    tf.dispose(x0);
    field.dispose();
  });
});

describe('fast path as the NeuralODE.rollout default', () => {
  it('applies to custom-mode MLP fields only, and rollout values equal the tape path', () => {
    const spec = { states: 2, inputs: 1, hidden: 6, layers: 2, activation: 'elu' as const };
    const field = new MlpVectorField(spec, undefined, { seed: 5 });
    const ode = new NeuralODE(field, { method: 'rk4', step: 0.1 });
    expect(ode.fast).toBe(true);
    expect(fastRolloutApplies(ode)).toBe(true);
    field.gradMode = 'autodiff';
    expect(fastRolloutApplies(ode)).toBe(false);
    field.gradMode = 'custom';
    const x0 = tf.tensor2d([
      [0.3, -0.2],
      [1, 0.5],
    ]);
    const u = tf.tensor3d([[[0.1]], [[-0.4]], [[0.7]]]);
    const a = ode.rollout(x0, u, { includeInitial: true });
    ode.fast = false;
    const b = ode.rollout(x0, u, { includeInitial: true });
    expect(a.shape).toEqual([4, 2, 2]);
    expect(scaledErr(a.dataSync(), b.dataSync())).toBeLessThan(1e-6);
    tf.dispose([a, b, x0, u]);
    field.dispose();
  });

  it.each(['simd', 'tfjs'] as const)('a training loop leaks no tensors and no backend buffers (engine %s)', (engine) => {
    const field = new MlpVectorField({ states: 2, inputs: 1, hidden: 8, layers: 3, activation: 'elu' }, undefined, { seed: 2 });
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1, fastEngine: engine });
    const x0 = tf.tensor2d([
      [0.3, -0.2],
      [1, 0.5],
    ]);
    const u = tf.tensor3d(
      Array.from({ length: 6 * 2 }, (_, i) => Math.sin(i)),
      [6, 2, 1],
    );
    const target = tf.zeros([6, 2, 2]);
    const step = () => sgdStep(() => mse(ode.rollout(x0, u), target), 1e-2);
    const first = step();
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    let last = first;
    for (let i = 0; i < 5; i++) last = step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    expect(last.loss).toBeLessThan(first.loss); // gradient descent on a small problem descends
    // inference (no tape): nothing saved, nothing kept
    const before = tf.memory().numTensors;
    tf.dispose(fastRollout(ode, x0, u, { output: 'final', engine }));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x0, u, target]);
    field.dispose();
  });

  it.each(['simd', 'tfjs'] as const)(
    'RK4 without inputs (final state): 60 training steps leak no tensors or buffers (engine %s)',
    (engine) => {
      const field = new MlpVectorField({ states: 3, inputs: 0, hidden: 8, layers: 2, activation: 'elu' }, undefined, { seed: 6 });
      const ode = new NeuralODE(field, { method: 'rk4', step: 0.05 });
      const x0 = tf.tensor2d([
        [0.3, -0.2, 0.1],
        [1, 0.5, -1],
      ]);
      const target = tf.zeros([2, 3]);
      const loss = () => mse(fastRollout(ode, x0, 7, { output: 'final', engine }), target);
      const first = sgdStep(loss, 1e-2);
      const tensors = tf.memory().numTensors;
      const buffers = tf.engine().backend.numDataIds();
      let last = first;
      for (let i = 0; i < 60; i++) last = sgdStep(loss, 1e-2);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(buffers);
      expect(last.loss).toBeLessThan(first.loss);
      tf.dispose(fastRollout(ode, x0, 7, { engine })); // inference, 'all'
      expect(tf.engine().backend.numDataIds()).toBe(buffers);
      tf.dispose([x0, target]);
      field.dispose();
    },
  );

  it('rejects bad arguments with clear errors', () => {
    const field = new MlpVectorField({ states: 2, inputs: 1, hidden: 4, layers: 2, activation: 'elu' });
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const x0 = tf.zeros([3, 2]) as Tensor2D;
    expect(() => fastRollout(ode, x0, 4)).toThrow(/has 1 inputs/);
    expect(() => fastRollout(ode, x0, tf.zeros([4, 2, 1]) as Tensor3D)).toThrow(/inputs must have shape \[T >= 1, 3 or 1, 1\]/);
    expect(() => fastRollout(ode, x0, tf.zeros([4, 3, 1]) as Tensor3D, { output: 'last' as 'final' })).toThrow(/options.output/);
    const plain = new NeuralODE({ states: 2, inputs: 0, variables: [], apply: (x: Tensor2D) => x }, { method: 'euler', step: 1 });
    expect(() => fastRollout(plain, x0, 2)).toThrow(/must be an MlpVectorField/);
    tf.dispose(x0);
    field.dispose();
  });

  it('NeuralODE.rollout and fastRollout check their arguments alike (same message, own name)', () => {
    const field = new MlpVectorField({ states: 2, inputs: 1, hidden: 4, layers: 2, activation: 'elu' });
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const message = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    const x0 = tf.zeros([3, 2]) as Tensor2D;
    const bad: Array<[string, unknown, unknown, RegExp]> = [
      ['x0 of the wrong width', tf.zeros([3, 5]), tf.zeros([4, 3, 1]), /x0 must have shape \[batch, 2\], got \[3, 5\]/],
      ['x0 of rank 3', tf.zeros([1, 3, 2]), tf.zeros([4, 3, 1]), /x0 must have rank 2, got shape \[1, 3, 2\]/],
      ['x0 with NaN', tf.tensor2d([[0, Number.NaN]]), tf.zeros([4, 1, 1]), /x0 contains NaN or Infinity/],
      ['a step count for a field with inputs', x0, 4, /the field has 1 inputs; pass inputs of shape \[T, batch, 1\]/],
      ['inputs of another batch', x0, tf.zeros([4, 2, 1]), /inputs must have shape \[T >= 1, 3 or 1, 1\], got \[4, 2, 1\]/],
      ['inputs with Infinity', x0, tf.fill([2, 3, 1], Number.POSITIVE_INFINITY), /inputs contains NaN or Infinity/],
      ['inputs of dtype int32', x0, tf.zeros([4, 3, 1], 'int32'), /inputs must have dtype float32, got int32/],
    ];
    for (const [what, x, inputs, want] of bad) {
      const a = message(() => ode.rollout(x as Tensor2D, inputs as Tensor3D));
      const b = message(() => fastRollout(ode, x as Tensor2D, inputs as Tensor3D));
      expect(a, what).toMatch(new RegExp(`^NeuralODE\\.rollout: ${want.source}`));
      expect(b.replace(/^fastRollout:/, 'NeuralODE.rollout:'), what).toBe(a);
    }
    tf.dispose([x0, ...bad.flatMap(([, x, u]) => [x, u]).filter((t): t is Tensor => t instanceof tf.Tensor)]);
    field.dispose();
  });
});
