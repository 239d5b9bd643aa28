import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { Rng } from '@sii/linalg';
import { initBackend } from '@sii/neural-ode';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type FitOptions,
  type FitState,
  fit as runFit,
  fitAsync,
  LinearLR,
  mse,
  NAdam,
  type StatefulOptimizer,
  SGD,
} from '../src/index.js';
import { lcg } from '@sii/vitest-preset/numbers';

beforeAll(async () => {
  await initBackend();
});

/** Linear regression y = X·w* + noise: N rows, 3 features, batches of 8 rows in a seeded order. */
function regression(N = 40, batch = 8) {
  const r = lcg(3);
  const X = tf.tensor2d(
    Array.from({ length: N * 3 }, () => r()),
    [N, 3],
  );
  const Y = tf.tidy(() =>
    tf.add(
      tf.matMul(X, tf.tensor2d([[1], [-2], [0.5]])),
      tf.mul(
        tf.tensor2d(
          Array.from({ length: N }, () => r()),
          [N, 1],
        ),
        0.1,
      ),
    ),
  );
  const Xv = tf.tensor2d(
    Array.from({ length: 12 }, () => r()),
    [4, 3],
  );
  const Yv = tf.tidy(() => tf.matMul(Xv, tf.tensor2d([[1], [-2], [0.5]])));
  const w = tf.variable(tf.tensor2d([[0.1], [0.2], [0.3]]));
  const b = tf.variable(tf.zeros([1]));
  const orders: number[][] = [];
  const options = (optimizer: StatefulOptimizer, seed: number | string = 7): FitOptions<{ x: Tensor; y: Tensor }> => ({
    variables: [w, b],
    optimizer,
    epochs: 6,
    seed,
    batches: function* (_epoch, rng) {
      const order = Array.from(rng.permutation(N));
      orders.push(order);
      for (let s = 0; s < N; s += batch) {
        const ids = tf.tensor1d(order.slice(s, s + batch), 'int32');
        const out = { x: tf.gather(X, ids), y: tf.gather(Y, ids) };
        ids.dispose();
        yield out;
      }
    },
    loss: ({ x, y }) => mse(tf.add(tf.matMul(x, w), b), y),
    disposeBatch: ({ x, y }) => tf.dispose([x, y]),
    validate: () => {
      const l = tf.tidy(() => mse(tf.add(tf.matMul(Xv, w), b), Yv));
      const v = l.dataSync()[0];
      l.dispose();
      return { loss: v, neg: -v };
    },
  });
  const reset = () => {
    w.assign(tf.tensor2d([[0.1], [0.2], [0.3]]));
    b.assign(tf.zeros([1]));
  };
  const dispose = () => tf.dispose([X, Y, Xv, Yv, w, b]);
  return { options, reset, dispose, orders, w, b };
}

describe('fit', () => {
  it('seeded: same seed → identical curves; the batch order is new Rng(seed).fork(batches).permutation per epoch; train loss = mean of batch losses', () => {
    const p = regression();
    const run = (seed: number | string) => {
      p.reset();
      p.orders.length = 0;
      const opt = new NAdam({ learningRate: 0.05 });
      const batchLosses: number[][] = [];
      const res = runFit({
        ...p.options(opt, seed),
        onBatch: (i) => {
          batchLosses[i.epoch - 1] ??= [];
          batchLosses[i.epoch - 1].push(i.loss);
        },
      });
      opt.dispose();
      return { res, batchLosses, orders: [...p.orders] };
    };
    const a = run(7);
    const b = run(7);
    const c = run(8);
    expect(a.res.trainCurve).toEqual(b.res.trainCurve);
    expect(a.res.valCurves).toEqual(b.res.valCurves);
    expect(a.res.trainCurve).not.toEqual(c.res.trainCurve);
    const rng = new Rng(7).fork('batches');
    a.orders.forEach((order) => {
      expect(order).toEqual(Array.from(rng.permutation(40)));
    });
    expect(a.batchLosses.map((l) => l.length)).toEqual([5, 5, 5, 5, 5, 5]);
    a.batchLosses.forEach((l, e) => {
      expect(a.res.trainCurve[e]).toBe(l.reduce((s, x) => s + x, 0) / 5);
    });
    expect(a.res.epochsRun).toBe(6);
    expect(a.res.valCurves.loss.length).toBe(6);
    expect(a.res.valCurves.loss[5]).toBeLessThan(a.res.initial.loss / 4); // it learns
    const best = Math.min(...a.res.valCurves.loss);
    expect(a.res.best).toEqual({ epoch: a.res.valCurves.loss.indexOf(best) + 1, value: best });
    p.dispose();
  });

  it('resume from a JSON checkpoint gives the same numbers as the uninterrupted run', () => {
    const p = regression();
    const schedule = new LinearLR({ startFactor: 1, endFactor: 0.1, totalIters: 4 });
    p.reset();
    const opt = new NAdam({ learningRate: 0.05 });
    const whole = runFit({ ...p.options(opt), schedule, clipNorm: 0.5, earlyStop: { patience: 10 } });
    const wholeValues = [p.w, p.b].map((v) => Array.from(v.dataSync()));
    opt.dispose();

    p.reset();
    const saved: FitState[] = [];
    const first = new NAdam({ learningRate: 0.05 });
    runFit({
      ...p.options(first),
      epochs: 3,
      schedule,
      clipNorm: 0.5,
      earlyStop: { patience: 10 },
      checkpoint: { every: 3, save: (s) => saved.push(JSON.parse(JSON.stringify(s))) },
    });
    first.dispose();
    expect(saved.map((s) => s.epoch)).toEqual([3]);
    // fresh variables' values and optimizer: everything comes from the state
    p.w.assign(tf.zeros([3, 1]));
    const second = new NAdam({ learningRate: 123 });
    const resumed = runFit({ ...p.options(second), schedule, clipNorm: 0.5, earlyStop: { patience: 10 }, state: saved[0] });
    second.dispose();
    expect(resumed.epochsRun).toBe(6);
    expect(resumed.trainCurve).toEqual(whole.trainCurve);
    expect(resumed.valCurves).toEqual(whole.valCurves);
    expect(resumed.best).toEqual(whole.best);
    expect([p.w, p.b].map((v) => Array.from(v.dataSync()))).toEqual(wholeValues);
    p.dispose();
  });

  it("weight: the training loss is the weighted mean of the batch losses; step: a batch's own step replaces trainStep", () => {
    const w = tf.variable(tf.tensor1d([1, -1]));
    const data = [
      [1, 2],
      [3, 4],
      [5, 6],
    ];
    const make = (own: boolean) => {
      w.assign(tf.tensor1d([1, -1]));
      const opt = new SGD({ learningRate: 0.01 });
      const losses: number[] = [];
      const lossOf = (b: number[]) => tf.sum(tf.square(tf.sub(w, tf.tensor1d(b)))) as Scalar;
      const res = runFit({
        variables: [w],
        optimizer: opt,
        epochs: 2,
        seed: 1,
        batches: () => data,
        loss: lossOf,
        weight: (b) => b[0], // weights 1, 3, 5
        onBatch: (i) => void losses.push(i.loss),
        // the second batch by hand: the same gradient step as trainStep's
        step: own
          ? (b) => {
              if (b[0] !== 3) return undefined;
              const { value, grads } = tf.variableGrads(() => lossOf(b), [w]);
              opt.step([w], [grads[w.name]]);
              const l = value.dataSync()[0];
              tf.dispose([value, grads[w.name]]);
              return l;
            }
          : undefined,
      });
      opt.dispose();
      return { res, losses, w: Array.from(w.dataSync()) };
    };
    const a = make(false);
    const b = make(true);
    expect(b.losses).toEqual(a.losses);
    expect(b.w).toEqual(a.w);
    expect(a.losses.length).toBe(6);
    // epoch 1: losses at w = (1, −1) before each step; weighted by 1, 3, 5
    expect(a.res.trainCurve[0]).toBeCloseTo((a.losses[0] * 1 + a.losses[1] * 3 + a.losses[2] * 5) / 9, 10);
    expect(a.losses[0]).toBeCloseTo(0 + 9, 5); // (1−1)² + (−1−2)²
    w.dispose();
  });

  it('fitAsync gives the same numbers as fit', async () => {
    const p = regression();
    p.reset();
    const o1 = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const a = runFit(p.options(o1));
    o1.dispose();
    p.reset();
    const o2 = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const order: string[] = [];
    const b = await fitAsync({
      ...p.options(o2),
      onBatch: (i) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            order.push(`b${i.epoch}.${i.batch}`);
            resolve();
          }, 0),
        ),
      onEpoch: async (i) => void order.push(`e${i.epoch}`),
    });
    // every batch's promise settles before the next batch, the epoch's after its last batch
    expect(order.slice(0, 7)).toEqual(['b1.1', 'b1.2', 'b1.3', 'b1.4', 'b1.5', 'e1', 'b2.1']);
    o2.dispose();
    expect(b.trainCurve).toEqual(a.trainCurve);
    expect(b.valCurves).toEqual(a.valCurves);
    p.dispose();
  });

  it('leaks no tensors: tf.memory().numTensors is flat over 40 epochs', () => {
    const p = regression();
    p.reset();
    const opt = new NAdam({ learningRate: 0.01 });
    const counts: number[] = [];
    runFit({ ...p.options(opt), epochs: 40, clipNorm: 1, onEpoch: () => void counts.push(tf.memory().numTensors) });
    expect(counts.length).toBe(40);
    expect(new Set(counts.slice(1)).size).toBe(1); // epoch 1 creates the optimizer's moments
    opt.dispose();
    p.dispose();
  });
});

describe('fit: divergence, early stop, stop', () => {
  /** L(w) = w² with SGD lr 1.5: w ← −2w, so successive batch losses are 1, 4, 16, 64, … (w0 = 1). */
  const blowUp = (batchesPerEpoch: number, factor: number) => {
    const w = tf.variable(tf.scalar(1));
    const opt = new SGD({ learningRate: 1.5 });
    const res = runFit({
      variables: [w],
      optimizer: opt,
      epochs: 5,
      seed: 0,
      batches: () => Array.from({ length: batchesPerEpoch }, (_, i) => i),
      loss: () => tf.square(w) as Scalar,
      validate: () => ({ loss: w.dataSync()[0] ** 2 }),
      divergence: { factor },
    });
    opt.dispose();
    w.dispose();
    return res;
  };

  it('a batch loss above factor × the initial validation loss stops the epoch (hand-worked 1, 4, 16)', () => {
    const res = blowUp(3, 10);
    expect(res.diverged).toEqual({ epoch: 1, reason: 'training loss 16 at batch 3' });
    expect(res.epochsRun).toBe(1);
    expect(res.trainCurve).toEqual([(1 + 4 + 16) / 3]);
    expect(res.valCurves.loss).toEqual([Number.NaN]);
    expect(res.best).toEqual({ epoch: -1, value: Number.POSITIVE_INFINITY });
  });

  it('a validation loss above factor × the initial one stops after the epoch', () => {
    const res = blowUp(2, 10);
    expect(res.diverged).toEqual({ epoch: 1, reason: 'validation loss 16' });
    expect(res.trainCurve).toEqual([2.5]);
    expect(res.valCurves.loss).toEqual([16]);
  });

  it('a NaN batch loss is reported as divergence, not applied (the weights stay finite)', () => {
    // L(w) = w² for batches 1, 2; batch 3's loss is w²·NaN. SGD lr 0.25: w ← w/2, losses 1, 1/4, NaN
    const w = tf.variable(tf.scalar(1));
    const opt = new SGD({ learningRate: 0.25 });
    const res = runFit({
      variables: [w],
      optimizer: opt,
      epochs: 3,
      seed: 0,
      batches: () => [1, 2, 3],
      loss: (b) => tf.mul(tf.square(w), b === 3 ? Number.NaN : 1) as Scalar,
      divergence: {},
    });
    expect(res.diverged).toEqual({ epoch: 1, reason: 'training loss NaN at batch 3' });
    expect(w.dataSync()[0]).toBe(0.25);
    // an infinite gradient with a finite loss: L = √w at w = 0
    const z = tf.variable(tf.scalar(0));
    const inf = runFit({
      variables: [z],
      optimizer: opt,
      epochs: 2,
      seed: 0,
      batches: () => [0],
      loss: () => tf.sqrt(z) as Scalar,
      divergence: {},
    });
    expect(inf.diverged).toEqual({ epoch: 1, reason: 'gradient norm Infinity at batch 1' });
    expect(z.dataSync()[0]).toBe(0);
    tf.dispose([w, z]);
    opt.dispose();
  });

  it('a non-finite initial validation loss stops at epoch 0', () => {
    const w = tf.variable(tf.scalar(1));
    const opt = new SGD();
    const res = runFit({
      variables: [w],
      optimizer: opt,
      epochs: 3,
      seed: 0,
      batches: () => [0],
      loss: () => tf.square(w) as Scalar,
      validate: () => ({ loss: Number.NaN }),
      divergence: {},
    });
    expect(res.diverged).toEqual({ epoch: 0, reason: 'initial validation loss NaN' });
    expect(res.epochsRun).toBe(0);
    expect(w.dataSync()[0]).toBe(1);
    opt.dispose();
    w.dispose();
  });

  /** A run whose validation metric follows `values` (epochs 0..). */
  const scripted = (values: number[], extra: Partial<FitOptions<number>>) => {
    const w = tf.variable(tf.scalar(1));
    const opt = new SGD({ learningRate: 0 });
    const res = runFit({
      variables: [w],
      optimizer: opt,
      epochs: values.length - 1,
      seed: 0,
      batches: () => [0],
      loss: () => tf.square(w) as Scalar,
      validate: (e) => ({ acc: values[e] }),
      monitor: { metric: 'acc', mode: 'min' },
      ...extra,
    });
    opt.dispose();
    w.dispose();
    return res;
  };

  it('early stop after `patience` epochs without improvement (min and max modes, minDelta)', () => {
    const values = [5, 4, 3, 3.5, 3.2, 2, 1];
    const a = scripted(values, { earlyStop: { patience: 2 } });
    expect(a.epochsRun).toBe(4);
    expect(a.best).toEqual({ epoch: 2, value: 3 });
    expect(a.stopped?.epoch).toBe(4);
    expect(a.stopped?.reason).toMatch(/early stop: acc did not improve for 2 epochs \(best 3 at epoch 2\)/);
    const b = scripted([0, 0.5, 0.55, 0.58, 0.7, 0.71], {
      monitor: { metric: 'acc', mode: 'max' },
      earlyStop: { patience: 2, minDelta: 0.1 },
    });
    expect(b.best).toEqual({ epoch: 1, value: 0.5 });
    expect(b.epochsRun).toBe(3);
  });

  it("onEpoch returning 'stop' ends the run", () => {
    const res = scripted([5, 4, 3, 2], { onEpoch: (i) => (i.epoch === 2 ? 'stop' : undefined) });
    expect(res.epochsRun).toBe(2);
    expect(res.stopped).toEqual({ epoch: 2, reason: 'stopped by onEpoch' });
  });

  it('rejects bad options with messages naming them', () => {
    const w = tf.variable(tf.scalar(1));
    const opt = new SGD();
    const base = {
      variables: [w] as Variable[],
      optimizer: opt,
      epochs: 1,
      seed: 0,
      batches: () => [0],
      loss: () => tf.square(w) as Scalar,
    };
    expect(() => runFit({ ...base, variables: [] })).toThrow(/fit: options.variables must be a non-empty array of tf.Variable/);
    expect(() => runFit({ ...base, epochs: 1.5 })).toThrow(/fit: options.epochs must be an integer >= 0, got 1.5/);
    expect(() => runFit({ ...base, optimizer: {} as StatefulOptimizer })).toThrow(
      /fit: options.optimizer must be an optimizer with step, getState and setState/,
    );
    expect(() => runFit({ ...base, clipNorm: -1 })).toThrow(/fit: options.clipNorm must be a finite number > 0, got -1/);
    expect(() => runFit({ ...base, monitor: { metric: 'acc' } })).toThrow(/options.monitor.metric "acc" needs options.validate/);
    expect(() => runFit({ ...base, validate: () => ({ acc: 1 }) })).toThrow(/fit: options.validate returned no "loss"/);
    expect(() => runFit({ ...base, earlyStop: { patience: 0 } })).toThrow(/options.earlyStop.patience must be an integer >= 1, got 0/);
    expect(() => runFit({ ...base, state: { format: 'x' } as unknown as FitState })).toThrow(/options.state must be a FitState/);
    opt.dispose();
    w.dispose();
  });
});
