/**
 * The SIMD rollout's in-place tensor I/O on the wasm backend (simd/tfjs_heap.ts): u read from its
 * tensor's heap memory, the states written into the output tensor's, dy read and du written in
 * place. Against the copying path (the same operation with every array through JavaScript copies,
 * withoutTensorHeap), the output, loss and every gradient must be the same bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationName } from '@sii/mlp';
import { type FastRolloutCheckpoint, fastRollout, initBackend, MlpVectorField, NeuralODE } from '../src/index.js';
import { heapTensor, heapView, wasmTensorHeap, withoutTensorHeap } from '../src/internal.js';
import { lcg } from './helpers/ref64.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

interface Case {
  method: string;
  activation: ActivationName;
  inputs: number;
  output: 'all' | 'final';
  checkpointEvery: FastRolloutCheckpoint;
  uBatch1?: boolean;
  includeInitial?: boolean;
}

/** Output, loss Σ target ⊙ output and its gradients (field variables, x0, u) as float32 arrays. */
function run(c: Case): Float32Array[] {
  const before = tf.memory().numTensors;
  const n = 3;
  const B = 5;
  const T = 7;
  const field = new MlpVectorField({ states: n, inputs: c.inputs, hidden: 9, layers: 3, activation: c.activation }, undefined, { seed: 4 });
  const ode = new NeuralODE(field, { method: c.method, step: 0.25, fastEngine: 'simd', checkpointEvery: c.checkpointEvery });
  const r = lcg(7);
  const rand = (count: number) => Array.from({ length: count }, () => r() - 0.5);
  const x0 = tf.tensor2d(rand(B * n), [B, n]);
  const ub = c.uBatch1 ? 1 : B;
  const u = c.inputs > 0 ? tf.tensor3d(rand(T * ub * c.inputs), [T, ub, c.inputs]) : null;
  const T1 = c.includeInitial ? T + 1 : T;
  const target = c.output === 'all' ? tf.tensor3d(rand(T1 * B * n), [T1, B, n]) : tf.tensor2d(rand(B * n), [B, n]);
  const opts = { output: c.output, includeInitial: c.includeInitial ?? false, engine: 'simd' as const, checkpointEvery: c.checkpointEvery };
  const roll = (x: Tensor, uu: Tensor | null) => fastRollout(ode, x as Tensor2D, (uu as Tensor3D | null) ?? T, opts);
  const loss = (x: Tensor, uu: Tensor | null) => tf.sum(tf.mul(roll(x, uu), target)) as Scalar;
  const out = roll(x0, u);
  const { value, grads } = tf.variableGrads(() => loss(x0, u), field.variables);
  const gx = tf.grad((x: Tensor) => loss(x, u))(x0);
  const gu = u ? tf.grad((uu: Tensor) => loss(x0, uu))(u) : null;
  const list = [out, value, ...field.variables.map((v) => grads[v.name]), gx, ...(gu ? [gu] : [])];
  const arrays = list.map((t) => (t.dataSync() as Float32Array).slice());
  tf.dispose([...list, x0, target, ...(u ? [u] : [])]);
  field.dispose();
  expect(tf.memory().numTensors, 'tensors left').toBe(before);
  return arrays;
}

describe('SIMD rollout with in-place tensor memory (wasm backend)', () => {
  it('reaches the wasm heap, and not inside withoutTensorHeap', () => {
    expect(wasmTensorHeap()).not.toBeNull();
    expect(withoutTensorHeap(() => wasmTensorHeap())).toBeNull();
  });

  it('views and creates float32 tensors in the heap; other dtypes have no view', () => {
    const heap = wasmTensorHeap()!;
    const a = tf.tensor1d([1.5, -2, 3]);
    expect(Array.from(heapView(heap, a)!)).toEqual([1.5, -2, 3]);
    const ints = tf.tensor1d([1, 2], 'int32');
    expect(heapView(heap, ints)).toBeNull();
    const t = heapTensor(heap, [2, 2]);
    heapView(heap, t)!.set([4, 3, 2, 1]);
    expect(Array.from(t.dataSync())).toEqual([4, 3, 2, 1]);
    expect(t.shape).toEqual([2, 2]);
    tf.dispose([a, ints, t]);
  });

  const cases: Case[] = [
    { method: 'midpoint', activation: 'elu', inputs: 2, output: 'all', checkpointEvery: 3 },
    { method: 'midpoint', activation: 'elu', inputs: 2, output: 'all', checkpointEvery: null },
    { method: 'rk4', activation: 'silu', inputs: 1, output: 'all', checkpointEvery: 2, includeInitial: true },
    // u shared by the batch: du is reduced over the rows, through a copy (not in place)
    { method: 'heun3', activation: 'gelu', inputs: 1, output: 'all', checkpointEvery: null, uBatch1: true },
    // the final state only: its output through a copy, dy and u in place
    { method: 'dopri5', activation: 'tanh', inputs: 2, output: 'final', checkpointEvery: 4 },
    { method: 'euler', activation: 'relu', inputs: 0, output: 'all', checkpointEvery: 2 },
  ];
  for (const c of cases) {
    const name = `${c.method} ${c.activation} m=${c.inputs} ${c.output} k=${c.checkpointEvery}${c.uBatch1 ? ' u batch 1' : ''}${c.includeInitial ? ' +x0' : ''}`;
    it(`${name}: the same bits as the copying path`, () => {
      const inPlace = run(c);
      const copied = withoutTensorHeap(() => run(c));
      expect(inPlace.length).toBe(copied.length);
      inPlace.forEach((a, i) => {
        expect(a.length, `tensor ${i}`).toBe(copied[i].length);
        expect(bits(a), `tensor ${i}`).toEqual(bits(copied[i]));
      });
      // not a vacuous comparison: the output and gradients are nonzero
      for (const a of inPlace) expect(a.some((v) => v !== 0)).toBe(true);
    });
  }
});
