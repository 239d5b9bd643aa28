/**
 * SIMD rollouts split by rows over worker threads (startSimdThreads): the same values and gradients
 * as on one thread (to float32 rounding of the summed weight gradients), no leaks, clean start/stop.
 */

import type { Scalar, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivationName } from '@sii/mlp';
import { initBackend, MlpVectorField, NeuralODE, simdThreads, startSimdThreads, stopSimdThreads } from '../src/index.js';
import { MIN_ROWS_PER_THREAD } from '../src/internal.js';
import { splitRows } from '../src/simd/threads.js';
import { lcg, scaledErr } from './helpers/ref64.js';
import { mse, sgdStep } from './helpers/sgd.js';

beforeAll(async () => {
  await initBackend();
});
afterAll(async () => {
  await stopSimdThreads();
});

interface Case {
  method: string;
  activation: ActivationName;
  inputs: number;
  batch: number;
  uBatch1?: boolean;
  includeInitial?: boolean;
}

/** Rollout values and gradients (variables, x0, u) of a fixed problem with the current threads. */
function run(c: Case): Float32Array[] {
  const n = 3;
  const T = 6;
  const B = c.batch;
  const field = new MlpVectorField({ states: n, inputs: c.inputs, hidden: 19, layers: 3, activation: c.activation }, undefined, {
    seed: 4,
  });
  const ode = new NeuralODE(field, { method: c.method, step: 0.15, fastEngine: 'simd' });
  const r = lcg(9);
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
  const target = tf.tensor3d(
    Array.from({ length: (T + 1) * B * n }, () => r()),
    [T + 1, B, n],
  );
  const f = (x: Tensor, uu?: Tensor) => {
    const all = ode.rollout(x as Tensor2D, (uu as Tensor3D | undefined) ?? T, { includeInitial: c.includeInitial ?? false });
    const tgt = c.includeInitial ? target : tf.slice(target, [1, 0, 0], [T, B, n]);
    return mse(all, tgt);
  };
  const values = tf.tidy(() => ode.rollout(x0, u ?? T, { includeInitial: c.includeInitial ?? false }));
  const { value, grads } = tf.variableGrads(() => f(x0, u ?? undefined), field.variables);
  const gx = tf.grad((x: Tensor) => f(x, u ?? undefined))(x0);
  const gu = u ? tf.grad((uu: Tensor) => f(x0, uu))(u) : null;
  const list = [values, value, ...field.variables.map((v) => grads[v.name]), gx, ...(gu ? [gu] : [])];
  const out = list.map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([...list, x0, target, ...(u ? [u] : [])]);
  field.dispose();
  return out;
}

describe('SIMD rollout threads', () => {
  it('splitRows: contiguous, as even as possible', () => {
    expect(splitRows(20, 2)).toEqual([10, 10]);
    expect(splitRows(13, 3)).toEqual([5, 4, 4]);
    expect(splitRows(8, 2)).toEqual([4, 4]);
  });

  const cases: Case[] = [
    { method: 'midpoint', activation: 'elu', inputs: 1, batch: 20 },
    { method: 'rk4', activation: 'tanh', inputs: 0, batch: 13, includeInitial: true },
    { method: 'heun3', activation: 'silu', inputs: 2, batch: 9, uBatch1: true },
    { method: 'midpoint', activation: 'relu', inputs: 1, batch: 2 * MIN_ROWS_PER_THREAD - 1 }, // stays on one thread
  ];
  for (const threads of [2, 3]) {
    it(`${threads} threads: values and gradients equal one thread's`, async () => {
      await startSimdThreads(1);
      const ref = cases.map(run);
      expect(await startSimdThreads(threads)).toBe(threads);
      expect(simdThreads()).toBe(threads);
      const got = cases.map(run);
      cases.forEach((c, ci) => {
        ref[ci].forEach((r, i) => {
          expect(got[ci][i].length).toBe(r.length);
          expect(scaledErr(got[ci][i], r), `${c.method} ${c.activation} B ${c.batch}: tensor ${i}`).toBeLessThan(1e-5);
        });
      });
      await stopSimdThreads();
      expect(simdThreads()).toBe(1);
    }, 60_000);
  }

  it('a training loop on 2 threads leaks no tensors and reproduces the one-thread losses', async () => {
    const train = async (threads: number) => {
      await startSimdThreads(threads);
      const field = new MlpVectorField({ states: 2, inputs: 1, hidden: 16, layers: 3, activation: 'elu' }, undefined, { seed: 3 });
      const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
      const x0 = tf.tensor2d(
        Array.from({ length: 24 }, (_, i) => Math.cos(i)),
        [12, 2],
      );
      const u = tf.tensor3d(
        Array.from({ length: 5 * 12 }, (_, i) => Math.sin(i)),
        [5, 12, 1],
      );
      const target = tf.zeros([5, 12, 2]);
      const losses = [sgdStep(() => mse(ode.rollout(x0, u), target), 1e-2).loss];
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) losses.push(sgdStep(() => mse(ode.rollout(x0, u), target), 1e-2).loss);
      expect(tf.memory().numTensors).toBe(tensors);
      tf.dispose([x0, u, target]);
      field.dispose();
      return losses;
    };
    const one = await train(1);
    const two = await train(2);
    expect(two[20]).toBeLessThan(two[0]);
    two.forEach((l, i) => {
      expect(Math.abs(l - one[i])).toBeLessThan(1e-5 * Math.max(1, one[i]));
    });
    await stopSimdThreads();
  }, 60_000);

  it('two split rollouts on one tape (both kept by the worker until their backward pass)', async () => {
    const grads = () => {
      const field = new MlpVectorField({ states: 3, inputs: 1, hidden: 12, layers: 3, activation: 'tanh' }, undefined, { seed: 8 });
      const ode = new NeuralODE(field, { method: 'rk4', step: 0.2, fastEngine: 'simd' });
      const r = lcg(5);
      const xa = tf.tensor2d(
        Array.from({ length: 10 * 3 }, () => r()),
        [10, 3],
      );
      const xb = tf.tensor2d(
        Array.from({ length: 16 * 3 }, () => r()),
        [16, 3],
      );
      const ua = tf.tensor3d(
        Array.from({ length: 5 * 10 }, () => r()),
        [5, 10, 1],
      );
      const ub = tf.tensor3d(
        Array.from({ length: 7 }, () => r()),
        [7, 1, 1],
      );
      const loss = () => tf.add(tf.sum(tf.square(ode.rollout(xa, ua))), tf.mean(ode.rollout(xb, ub))) as Scalar;
      const { value, grads: g } = tf.variableGrads(loss, field.variables);
      const out = [value, ...field.variables.map((v) => g[v.name])].map((t) => t.dataSync().slice() as Float32Array);
      tf.dispose([value, ...Object.values(g), xa, xb, ua, ub]);
      field.dispose();
      return out;
    };
    await startSimdThreads(1);
    const one = grads();
    await startSimdThreads(2);
    const two = grads();
    one.forEach((ref, i) => {
      expect(scaledErr(two[i], ref), `tensor ${i}`).toBeLessThan(1e-5);
    });
    await stopSimdThreads();
  }, 60_000);

  it('a backward pass after stopSimdThreads fails with a clear error', async () => {
    await startSimdThreads(2);
    const field = new MlpVectorField({ states: 2, inputs: 0, hidden: 8, layers: 2, activation: 'elu' }, undefined, { seed: 1 });
    const ode = new NeuralODE(field, { method: 'euler', step: 0.1, fastEngine: 'simd' });
    const x0 = tf.ones([8, 2]) as Tensor2D;
    let stopping: Promise<void> | null = null;
    const loss = () => {
      const y = ode.rollout(x0, 3);
      stopping = stopSimdThreads(); // the workers go away between forward and backward
      return tf.mean(y) as Scalar;
    };
    expect(() => tf.variableGrads(loss, field.variables)).toThrow(/SIMD rollout worker unavailable: stopped by stopSimdThreads/);
    await stopping;
    tf.dispose(x0);
    field.dispose();
  }, 60_000);

  it('rejects bad thread counts', async () => {
    await expect(startSimdThreads(0)).rejects.toThrow(/threads must be an integer in \[1, 16\]/);
    await expect(startSimdThreads(2.5)).rejects.toThrow(/threads must be an integer/);
    await expect(startSimdThreads(2, { spinMs: -1 })).rejects.toThrow(/spinMs/);
  });
});
