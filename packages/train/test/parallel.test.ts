import { fastRollout, initBackend, MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { lcg, relErr } from '@sii/vitest-preset/numbers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataParallelTrainer, fitAsync, flatten, mse, NAdam, NonFiniteStepError, fit as runFit, trainStep } from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

const trainers: DataParallelTrainer[] = [];
afterAll(async () => {
  await Promise.all(trainers.map((t) => t.dispose()));
});

function data(B: number, T: number, n: number, m: number, uBatch: number, seed: number) {
  const r = lcg(seed);
  const fill = (k: number) => Array.from({ length: k }, () => r());
  return {
    x0: tf.tensor2d(fill(B * n), [B, n]),
    u: m > 0 ? tf.tensor3d(fill(T * uBatch * m), [T, uBatch, m]) : null,
    yAll: tf.tensor3d(fill(T * B * n), [T, B, n]),
    yFinal: tf.tensor2d(fill(B * n), [B, n]),
  };
}

/** Single-thread full-batch loss and flat gradient (the reference). */
function single(ode: NeuralODE, field: MlpVectorField, x0: tf.Tensor2D, u: tf.Tensor3D | number, y: tf.Tensor, loss: 'all' | 'final') {
  const { value, grads } = tf.variableGrads(() => mse(fastRollout(ode, x0, u, { output: loss }), y), field.variables);
  const flat = flatten(field.variables.map((v) => grads[v.name]));
  const out = { loss: value.dataSync()[0], grads: Array.from(flat.dataSync()) };
  tf.dispose([value, flat, ...Object.values(grads)]);
  return out;
}

describe('DataParallelTrainer (worker threads, one wasm backend each)', () => {
  const cases = [
    { method: 'midpoint', m: 2, uBatch: 7, loss: 'all' as const, replicas: 2 },
    { method: 'rk4', m: 0, uBatch: 0, loss: 'final' as const, replicas: 3 },
    { method: 'midpoint', m: 1, uBatch: 1, loss: 'final' as const, replicas: 2 },
  ];
  for (const c of cases) {
    it(`${c.method} m=${c.m}${c.uBatch === 1 ? ' (u batch 1)' : ''} loss ${c.loss}, ${c.replicas} replicas: loss and gradient equal the single-thread ones`, async () => {
      const n = 3;
      const B = 7; // uneven shards
      const T = 5;
      const field = new MlpVectorField({ states: n, inputs: c.m, hidden: 16, layers: 3, activation: 'elu' }, undefined, { seed: 4 });
      const ode = new NeuralODE(field, { method: c.method, step: 0.1 });
      const d = data(B, T, n, c.m, c.uBatch, 11);
      const u = d.u ?? T;
      const y = c.loss === 'all' ? d.yAll : d.yFinal;
      const opt = new NAdam();
      const trainer = await DataParallelTrainer.create(ode, opt, { replicas: c.replicas, loss: c.loss });
      trainers.push(trainer);
      const want = single(ode, field, d.x0, u, y, c.loss);
      const before = tf.memory().numTensors;
      const got = await trainer.computeGradients(d.x0, u, y);
      expect(tf.memory().numTensors).toBe(before);
      expect(got.grads.length).toBe(field.parameterCount);
      expect(want.grads.some((g) => Math.abs(g) > 1e-3)).toBe(true);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-6 * want.loss);
      expect(relErr(Array.from(got.grads), want.grads)).toBeLessThan(1e-5);
      await trainer.dispose();
      opt.dispose();
      field.dispose();
      tf.dispose([d.x0, d.yAll, d.yFinal, ...(d.u ? [d.u] : [])]);
    });
  }

  it('three NAdam steps with clipping match trainStep on the full batch (same parameters after)', async () => {
    const spec = { states: 2, inputs: 1, hidden: 12, layers: 3, activation: 'elu' as const };
    const a = new MlpVectorField(spec, undefined, { seed: 8 });
    const b = new MlpVectorField(spec, a.getWeights());
    const odeA = new NeuralODE(a, { method: 'midpoint', step: 0.1 });
    const odeB = new NeuralODE(b, { method: 'midpoint', step: 0.1 });
    const d = data(10, 6, 2, 1, 10, 3);
    const optA = new NAdam({ learningRate: 1e-2 });
    const optB = new NAdam({ learningRate: 1e-2 });
    const trainer = await DataParallelTrainer.create(odeB, optB, { replicas: 2, loss: 'all', clipNorm: 0.05 });
    trainers.push(trainer);
    const theta0 = Array.from(flatten(a.variables).dataSync());
    for (let s = 0; s < 3; s++) {
      const ra = trainStep(() => mse(fastRollout(odeA, d.x0, d.u!), d.yAll), optA, { clipNorm: 0.05, variables: a.variables });
      const rb = await trainer.step(d.x0, d.u!, d.yAll);
      expect(ra.gradNorm).toBeGreaterThan(0.05); // clipping active
      expect(Math.abs(rb.gradNorm - ra.gradNorm)).toBeLessThan(1e-5 * ra.gradNorm);
      expect(Math.abs(rb.loss - ra.loss)).toBeLessThan(1e-5 * ra.loss);
    }
    const fa = flatten(a.variables);
    const fb = flatten(b.variables);
    const dA = Array.from(fa.dataSync(), (v, i) => v - theta0[i]);
    const dB = Array.from(fb.dataSync(), (v, i) => v - theta0[i]);
    expect(relErr(dB, dA)).toBeLessThan(1e-4);
    tf.dispose([fa, fb, d.x0, d.yAll, d.yFinal, d.u!]);
    await trainer.dispose();
    await expect(trainer.computeGradients(d.x0, d.u!, d.yAll)).rejects.toThrow(/disposed/);
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
  });

  it('fitAsync with the data-parallel step gives the curves of fit with trainStep (float32 tolerance)', async () => {
    const spec = { states: 2, inputs: 1, hidden: 8, layers: 2, activation: 'elu' as const };
    const a = new MlpVectorField(spec, undefined, { seed: 4 });
    const b = new MlpVectorField(spec, a.getWeights(), {});
    const odeA = new NeuralODE(a, { method: 'midpoint', step: 0.1 });
    const odeB = new NeuralODE(b, { method: 'midpoint', step: 0.1 });
    const d = data(12, 5, 2, 1, 12, 6);
    const rows = (t: tf.Tensor, ids: number[], axis: number) => tf.tidy(() => tf.gather(t, tf.tensor1d(ids, 'int32'), axis));
    const batches = function* (_e: number, rng: { permutation(n: number): Int32Array }) {
      const order = Array.from(rng.permutation(12));
      for (let s = 0; s < 12; s += 6) {
        const ids = order.slice(s, s + 6);
        yield { x0: rows(d.x0, ids, 0) as tf.Tensor2D, u: rows(d.u!, ids, 1) as tf.Tensor3D, y: rows(d.yAll, ids, 1) };
      }
    };
    const common = {
      epochs: 3,
      seed: 'dp',
      batches,
      disposeBatch: (x: { x0: tf.Tensor; u: tf.Tensor; y: tf.Tensor }) => tf.dispose([x.x0, x.u, x.y]),
    };
    const optA = new NAdam({ learningRate: 1e-2 });
    const ra = runFit({
      ...common,
      variables: a.variables,
      optimizer: optA,
      clipNorm: 0.05,
      loss: (x) => mse(fastRollout(odeA, x.x0, x.u), x.y),
    });
    const optB = new NAdam({ learningRate: 1e-2 });
    const trainer = await DataParallelTrainer.create(odeB, optB, { replicas: 2, loss: 'all', clipNorm: 0.05 });
    trainers.push(trainer);
    const rb = await fitAsync({
      ...common,
      variables: b.variables,
      optimizer: optB,
      loss: () => {
        throw new Error('not used: the trainer takes every step');
      },
      step: async (x) => (await trainer.step(x.x0, x.u, x.y)).loss,
    });
    expect(rb.trainCurve.length).toBe(3);
    expect(relErr(rb.trainCurve, ra.trainCurve)).toBeLessThan(1e-5);
    const values = (vars: tf.Variable[]) => tf.tidy(() => Array.from(flatten(vars).dataSync()));
    expect(relErr(values(b.variables), values(a.variables))).toBeLessThan(1e-5);
    // a synchronous fit refuses an asynchronous step
    expect(() =>
      runFit({
        ...common,
        variables: b.variables,
        optimizer: optB,
        loss: (x) => mse(fastRollout(odeB, x.x0, x.u), x.y),
        step: (() => Promise.resolve(1)) as never,
      }),
    ).toThrow(/options.step returned a promise; use fitAsync/);
    await trainer.dispose();
    tf.dispose([d.x0, d.yAll, d.yFinal, d.u!]);
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
  });

  it('a NaN gradient in one replica applies no update: clear error naming the replica, parameters and optimizer unchanged', async () => {
    const spec = { states: 2, inputs: 1, hidden: 8, layers: 2, activation: 'elu' as const };
    const field = new MlpVectorField(spec, undefined, { seed: 5 });
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const opt = new NAdam({ learningRate: 1e-2 });
    const trainer = await DataParallelTrainer.create(ode, opt, { replicas: 2, loss: 'all' });
    trainers.push(trainer);
    const B = 6;
    const T = 4;
    const d = data(B, T, 2, 1, B, 9);
    expect(trainer.shards(B)).toEqual([
      [0, 3],
      [3, 6],
    ]);
    const values = () => tf.tidy(() => Array.from(flatten(field.variables).dataSync()));
    // A NaN in the target of a row of one shard only: that replica's loss and gradient are NaN, the
    // other replica's are finite.
    const poisoned = (row: number) => {
      const y = d.yAll.arraySync();
      y[1][row][0] = Number.NaN;
      return tf.tensor3d(y);
    };
    for (const [row, replica] of [
      [4, 1], // a worker thread's shard
      [0, 0], // the calling thread's shard
    ] as const) {
      const bad = poisoned(row);
      const { nonFiniteReplicas } = await trainer.computeGradients(d.x0, d.u!, bad);
      expect(nonFiniteReplicas).toEqual([replica]);
      const theta = values();
      const iterations = opt.iterations;
      const tensors = tf.memory().numTensors;
      await expect(trainer.step(d.x0, d.u!, bad)).rejects.toThrow(
        new RegExp(`DataParallelTrainer\\.step: loss NaN is not finite .*replica ${replica} of 2 .*the update was not applied`),
      );
      await expect(trainer.step(d.x0, d.u!, bad)).rejects.toBeInstanceOf(NonFiniteStepError);
      expect(values()).toEqual(theta); // bit for bit
      expect(opt.iterations).toBe(iterations);
      expect(tf.memory().numTensors).toBe(tensors);
      bad.dispose();
    }
    // The trainer is not broken: a finite batch then updates the parameters.
    const theta = values();
    const ok = await trainer.step(d.x0, d.u!, d.yAll);
    expect(Number.isFinite(ok.loss) && ok.skipped === undefined).toBe(true);
    expect(values()).not.toEqual(theta);
    // nonFinite 'skip': flagged result, still no update.
    const skipper = await DataParallelTrainer.create(ode, opt, { replicas: 2, loss: 'all', nonFinite: 'skip' });
    trainers.push(skipper);
    const bad = poisoned(5);
    const before = values();
    const r = await skipper.step(d.x0, d.u!, bad);
    expect(r.skipped).toBe(true);
    expect(r.loss).toBeNaN();
    expect(values()).toEqual(before);
    await expect(DataParallelTrainer.create(ode, opt, { nonFinite: 'ignore' as never })).rejects.toThrow(
      /options.nonFinite must be 'throw' or 'skip', got "ignore"/,
    );
    await skipper.dispose();
    await trainer.dispose();
    tf.dispose([bad, d.x0, d.yAll, d.yFinal, d.u!]);
    opt.dispose();
    field.dispose();
  });

  it('rejects bad arguments with clear errors', async () => {
    const field = new MlpVectorField({ states: 2, inputs: 0, hidden: 4, layers: 2, activation: 'elu' });
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const opt = new NAdam();
    await expect(DataParallelTrainer.create(ode, opt, { replicas: 0 })).rejects.toThrow(
      /options.replicas must be an integer in \[1, 64\], got 0/,
    );
    await expect(DataParallelTrainer.create(ode, opt, { loss: 'mean' as never })).rejects.toThrow(/options.loss must be 'final' or 'all'/);
    const plain = new NeuralODE({ states: 2, inputs: 0, variables: [], apply: (x: tf.Tensor2D) => x }, { method: 'euler', step: 1 });
    await expect(DataParallelTrainer.create(plain, opt)).rejects.toThrow(/field must be an MlpVectorField/);
    const one = await DataParallelTrainer.create(ode, opt, { replicas: 1 });
    const x0 = tf.zeros([3, 2]) as tf.Tensor2D;
    await expect(one.computeGradients(x0, 4, tf.zeros([3, 3]))).rejects.toThrow(/target must have shape \[3, 2\]/);
    tf.dispose(x0);
    await one.dispose();
    opt.dispose();
    field.dispose();
  });
});
