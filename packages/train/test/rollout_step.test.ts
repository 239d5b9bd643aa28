/**
 * fit() with a rollout loss on its two step engines: the whole step in the SIMD module ('simd',
 * RolloutStep → SimdTrainStep) against the tfjs reference ('tfjs'), over several epochs of a small
 * teacher–student-like problem, Adam and NAdam, clipping inactive and active, a schedule.
 *
 * Why the numbers agree as asserted. Both engines run the same rollout kernels on the same weights,
 * and the loss gradient fed to the backward pass is bitwise the same (tfjs: fl(1/N)·fl(2d) from the
 * Mean and Square gradients; the module: d·fl(2/N) = 2·fl(d·fl(1/N)), the same float). The update
 * kernel does the tfjs ops in their order without fused multiply-adds. So with clipping inactive
 * the weights, the moments and every validation loss are bitwise equal; only the reported training
 * loss differs (tfjs: float32 mean; module: float64 sum), by at most N·2⁻²⁴ relative for N summed
 * squares. With clipping active the clip factor comes from the global norm, a float32 sum of P
 * squares in tfjs (relative error ≤ P·2⁻²⁴ ≈ 3e-5 for P = 436) and a float64 one in the module: the
 * clipped gradients differ by that relative amount, and Adam/NAdam's step m̂/√v̂ is nearly invariant
 * to the gradient's scale, so each step's difference is a small fraction of lr (asserted: 1e-4·lr per
 * step, summed over the steps).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, MlpVectorField, NeuralODE } from '@sii/neural-ode';
import { lcg } from '@sii/vitest-preset/numbers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adam,
  type EpochInfo,
  type FitState,
  fit as runFit,
  fitAsync,
  LinearLR,
  mse,
  NAdam,
  NonFiniteStepError,
  type RolloutBatch,
  RolloutStep,
  SGD,
  type StepEngine,
} from '../src/index.js';

beforeAll(async () => {
  await initBackend();
});

const [n, m, H, T, W] = [4, 1, 16, 5, 22];
const spec = { states: n, inputs: m, hidden: H, layers: 3, activation: 'elu' as const };
/** P = 5·16 + 16 + 16·16 + 16 + 16·4 + 4 parameters. */
const P = 436;

/** Windows of a fixed random linear-ish system: x0 [W, n], u [T, W, m], targets [T, W, n]. */
function windows() {
  const r = lcg(11);
  const x0 = Float32Array.from({ length: W * n }, () => 2 * r() - 1);
  const u = Float32Array.from({ length: T * W * m }, () => 2 * r() - 1);
  const target = new Float32Array(T * W * n);
  for (let w = 0; w < W; w++) {
    const x = Array.from(x0.subarray(w * n, (w + 1) * n));
    for (let t = 0; t < T; t++) {
      const ut = u[t * W + w];
      const next = x.map((xi, i) => xi + 0.1 * (-0.5 * xi + 0.8 * x[(i + 1) % n] + (i === 0 ? ut : 0)));
      x.splice(0, n, ...next);
      target.set(next, (t * W + w) * n);
    }
  }
  return { x0, u, target };
}

/** Rows `idx` of the windows as a batch (step-major, as the CLI's). */
function gather(d: ReturnType<typeof windows>, idx: number[]): RolloutBatch {
  const B = idx.length;
  const x0 = new Float32Array(B * n);
  const u = new Float32Array(T * B * m);
  const target = new Float32Array(T * B * n);
  idx.forEach((w, r) => {
    x0.set(d.x0.subarray(w * n, (w + 1) * n), r * n);
    for (let t = 0; t < T; t++) {
      u.set(d.u.subarray((t * W + w) * m, (t * W + w + 1) * m), (t * B + r) * m);
      target.set(d.target.subarray((t * W + w) * n, (t * W + w + 1) * n), (t * B + r) * n);
    }
  });
  return { x0, inputs: u, target };
}

interface RunOptions {
  engine: StepEngine;
  method: 'adam' | 'nadam';
  clipNorm?: number;
  epochs?: number;
  schedule?: boolean;
  state?: FitState;
  checkpoint?: (s: FitState) => void;
  tensors?: boolean;
}

function run(o: RunOptions) {
  const d = windows();
  const field = new MlpVectorField(spec, undefined, { seed: 4 });
  const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
  const lr = 0.01;
  const opt = o.method === 'nadam' ? new NAdam({ learningRate: lr }) : new Adam({ learningRate: lr });
  const all = gather(
    d,
    Array.from({ length: W }, (_, i) => i),
  );
  const snapshots: Float32Array[][] = [];
  const tensorCounts: number[] = [];
  const result = runFit({
    variables: field.variables,
    optimizer: opt,
    epochs: o.epochs ?? 4,
    seed: 5,
    // batches of 8, 8, 6 rows in a seeded order
    batches: function* (_e, rng): Generator<RolloutBatch> {
      const order = Array.from(rng.permutation(W));
      for (let s = 0; s < W; s += 8) {
        const b = gather(d, order.slice(s, s + 8));
        const B = (b.x0 as Float32Array).length / n;
        yield o.tensors
          ? {
              x0: tf.tensor2d(b.x0 as Float32Array, [B, n]),
              inputs: tf.tensor3d(b.inputs as Float32Array, [T, B, m]),
              target: tf.tensor3d(b.target as Float32Array, [T, B, n]),
            }
          : b;
      }
    },
    rollout: { ode, batch: (b) => b },
    disposeBatch: (b) => {
      for (const x of Object.values(b)) if (x instanceof tf.Tensor) x.dispose();
    },
    stepEngine: o.engine,
    ...(o.clipNorm !== undefined ? { clipNorm: o.clipNorm } : {}),
    ...(o.schedule ? { schedule: new LinearLR({ startFactor: 0.5, totalIters: 3 }) } : {}),
    ...(o.state ? { state: o.state } : {}),
    ...(o.checkpoint ? { checkpoint: { every: 2, save: o.checkpoint } } : {}),
    validate: () => {
      const l = tf.tidy(() =>
        mse(
          ode.rollout(tf.tensor2d(all.x0 as Float32Array, [W, n]), tf.tensor3d(all.inputs as Float32Array, [T, W, m])),
          tf.tensor3d(all.target as Float32Array, [T, W, n]),
        ),
      );
      const v = l.dataSync()[0];
      l.dispose();
      return { loss: v };
    },
    onEpoch: (_info: EpochInfo) => {
      // what a callback observes: the variables after the epoch
      snapshots.push(field.variables.map((v) => Float32Array.from(v.dataSync())));
      tensorCounts.push(tf.memory().numTensors);
    },
  });
  const weights = field.variables.map((v) => Float32Array.from(v.dataSync()));
  const optState = opt.getState(field.variables);
  opt.dispose();
  field.dispose();
  return { result, weights, optState, snapshots, tensorCounts };
}

const maxAbsDiff = (a: ArrayLike<number>[], b: ArrayLike<number>[]) =>
  Math.max(...a.map((x, i) => Math.max(...Array.from(x, (v, j) => Math.abs(v - b[i][j])))));

describe('fit with a rollout loss: the SIMD step against the tfjs step', () => {
  for (const method of ['adam', 'nadam'] as const) {
    for (const clipNorm of [undefined, 1e6]) {
      it(`${method}, clipping ${clipNorm ? 'on but inactive (factor 1)' : 'off'}, LinearLR: weights, moments and validation losses bitwise equal over 4 epochs`, () => {
        const before = tf.memory().numTensors;
        const a = run({ engine: 'simd', method, clipNorm, schedule: true });
        const b = run({ engine: 'tfjs', method, clipNorm, schedule: true });
        expect(tf.memory().numTensors).toBe(before);
        expect(a.result.epochsRun).toBe(4);
        a.weights.forEach((w, i) => {
          expect(Array.from(w), `variable ${i}`).toEqual(Array.from(b.weights[i]));
        });
        // each epoch's callback saw the same weights
        a.snapshots.forEach((s, e) => {
          expect(maxAbsDiff(s, b.snapshots[e]), `epoch ${e + 1}`).toBe(0);
        });
        expect(a.result.valCurves.loss).toEqual(b.result.valCurves.loss);
        expect(a.optState).toEqual(b.optState);
        expect(a.optState.iterations).toBe(12);
        // the training loss: float64 vs float32 sums of T·B·n ≤ 160 squares
        a.result.trainCurve.forEach((l, e) => {
          expect(Math.abs(l - b.result.trainCurve[e])).toBeLessThan(161 * 2 ** -24 * l);
        });
        expect(a.result.valCurves.loss[3]).toBeLessThan(a.result.initial.loss); // it trains
        // no tensors accumulate across epochs
        expect(new Set(a.tensorCounts).size).toBe(1);
      });
    }
    it(`${method}, clipping active: weights agree within float32 rounding of the clip factor`, () => {
      const clipNorm = 0.05;
      const a = run({ engine: 'simd', method, clipNorm });
      const b = run({ engine: 'tfjs', method, clipNorm });
      const steps = a.optState.iterations;
      expect(steps).toBe(12);
      const d = maxAbsDiff(a.weights, b.weights);
      expect(d).toBeLessThan(1e-4 * 0.01 * steps);
      // the clipping acted: the weights differ from an unclipped run by far more
      const c = run({ engine: 'simd', method });
      expect(maxAbsDiff(a.weights, c.weights)).toBeGreaterThan(1000 * d + 1e-4);
      a.result.valCurves.loss.forEach((l, e) => {
        expect(Math.abs(l - b.result.valCurves.loss[e])).toBeLessThan(1e-4 * l);
      });
      // P squares in tfjs's float32 norm: the clip factors, hence the moments, agree to ~P·2⁻²⁴
      expect(P * 2 ** -24).toBeLessThan(3e-5);
    });
  }

  it('batches as tensors give the same numbers as Float32Arrays; no tensors leak', () => {
    const before = tf.memory().numTensors;
    const a = run({ engine: 'simd', method: 'nadam', clipNorm: 1 });
    const b = run({ engine: 'simd', method: 'nadam', clipNorm: 1, tensors: true });
    expect(a.weights).toEqual(b.weights);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('same seed, same numbers; a run resumed from a checkpoint continues with the same numbers', () => {
    const states: FitState[] = [];
    const a = run({ engine: 'simd', method: 'nadam', clipNorm: 0.05, epochs: 4, checkpoint: (s) => states.push(s) });
    const again = run({ engine: 'simd', method: 'nadam', clipNorm: 0.05, epochs: 4 });
    expect(again.weights).toEqual(a.weights);
    expect(again.result.trainCurve).toEqual(a.result.trainCurve);
    expect(states.map((s) => s.epoch)).toEqual([2, 4]);
    // the checkpoint holds the module's state: resuming at epoch 2 reproduces epochs 3 and 4 exactly
    const resumed = run({ engine: 'simd', method: 'nadam', clipNorm: 0.05, epochs: 4, state: JSON.parse(JSON.stringify(states[0])) });
    expect(resumed.weights).toEqual(a.weights);
    expect(resumed.result.trainCurve).toEqual(a.result.trainCurve);
    expect(resumed.optState).toEqual(a.optState);
    // and the tfjs engine resumes the module's checkpoint too (bitwise: clipping is active only at first)
    const tfjsResumed = run({ engine: 'tfjs', method: 'nadam', clipNorm: 1e6, epochs: 4, state: JSON.parse(JSON.stringify(states[0])) });
    const simdResumed = run({ engine: 'simd', method: 'nadam', clipNorm: 1e6, epochs: 4, state: JSON.parse(JSON.stringify(states[0])) });
    expect(simdResumed.weights).toEqual(tfjsResumed.weights);
  });
});

describe('RolloutStep', () => {
  function setup(method: 'adam' | 'nadam' = 'adam') {
    const field = new MlpVectorField(spec, undefined, { seed: 2 });
    const ode = new NeuralODE(field, { method: 'rk4', step: 0.1 });
    const opt = method === 'adam' ? new Adam({ learningRate: 0.01 }) : new NAdam({ learningRate: 0.01 });
    const batch = gather(windows(), [0, 1, 2, 3, 4]);
    return { field, ode, opt, batch };
  }

  it("'auto' takes the SIMD module for an MLP field with Adam/NAdam; the tfjs path otherwise, saying why", () => {
    const { field, ode, opt } = setup();
    const auto = new RolloutStep({ ode, optimizer: opt });
    expect(auto.reason).toBeNull();
    expect(auto.engine).toBe('simd');
    const sgd = new SGD({ learningRate: 0.1 });
    const s = new RolloutStep({ ode, optimizer: sgd });
    expect(s.engine).toBe('tfjs');
    expect(s.reason).toMatch(/not @sii\/train's Adam or NAdam \(got "SGD"\)/);
    const part = new RolloutStep({ ode, optimizer: opt, variables: field.variables.slice(0, 2) });
    expect(part.engine).toBe('tfjs');
    expect(part.reason).toMatch(/not the field's variables/);
    const plain = new NeuralODE(field, { method: 'rk4', step: 0.1, fastEngine: 'tfjs' });
    expect(new RolloutStep({ ode: plain, optimizer: opt }).reason).toMatch(/engine is not 'simd' \(fastEngine "tfjs"/);
    expect(() => new RolloutStep({ ode, optimizer: sgd, engine: 'simd' })).toThrow(/engine 'simd' cannot run: the optimizer is not/);
    expect(() => new RolloutStep({ ode, optimizer: opt, engine: 'gpu' as StepEngine })).toThrow(
      /options.engine must be one of auto, simd, tfjs, got "gpu"/,
    );
    expect(() => new RolloutStep({ ode, optimizer: opt, clipNorm: 0 })).toThrow(/options.clipNorm must be a finite number > 0, got 0/);
    field.dispose();
  });

  it('sees a change of the variables or of the optimizer made outside; refuses to drop its own steps', () => {
    const a = setup();
    const b = setup();
    const sa = new RolloutStep({ ode: a.ode, optimizer: a.opt, engine: 'simd' });
    const sb = new RolloutStep({ ode: b.ode, optimizer: b.opt, engine: 'tfjs' });
    sa.step(a.batch);
    sb.step(b.batch);
    sa.sync();
    // an outside assign on both sides: the module starts again from it
    for (const f of [a.field, b.field]) tf.tidy(() => f.variables[1].assign(tf.fill(f.variables[1].shape, 0.25)));
    sa.step(a.batch);
    sb.step(b.batch);
    sa.sync();
    a.field.variables.forEach((v, i) => {
      expect(Array.from(v.dataSync())).toEqual(Array.from(b.field.variables[i].dataSync()));
    });
    // a step taken outside (the optimizer's state moved) while the module is in sync: seen too
    const grads = a.field.variables.map((v) => tf.onesLike(v));
    a.opt.step(a.field.variables, grads);
    b.opt.step(b.field.variables, grads);
    tf.dispose(grads);
    sa.step(a.batch);
    sb.step(b.batch);
    sa.sync();
    a.field.variables.forEach((v, i) => {
      expect(Array.from(v.dataSync())).toEqual(Array.from(b.field.variables[i].dataSync()));
    });
    expect(a.opt.getState(a.field.variables)).toEqual(b.opt.getState(b.field.variables));
    // both sides moved: an error, not silently lost steps
    sa.step(a.batch);
    tf.tidy(() => a.field.variables[0].assign(tf.zerosLike(a.field.variables[0])));
    expect(() => sa.step(a.batch)).toThrow(/changed outside while the SIMD module held newer steps; call sync\(\)/);
    a.field.dispose();
    b.field.dispose();
  });

  it('a NaN loss applies no update: skipped, or a NonFiniteStepError', () => {
    const { field, ode, opt, batch } = setup('nadam');
    const s = new RolloutStep({ ode, optimizer: opt, engine: 'simd' });
    const w0 = Array.from(field.variables[0].dataSync());
    const bad = { ...batch, target: (batch.target as Float32Array).map((x, i) => (i === 3 ? Number.NaN : x)) };
    const r = s.step(bad, 'skip');
    expect(r.skipped).toBe(true);
    expect(Number.isNaN(r.loss)).toBe(true);
    expect(() => s.step(bad)).toThrow(NonFiniteStepError);
    s.sync();
    expect(Array.from(field.variables[0].dataSync())).toEqual(w0);
    expect(opt.iterations).toBe(0);
    field.dispose();
  });

  it('fit: options.loss or options.rollout, stepEngine only with rollout', () => {
    const { field, ode, opt } = setup();
    const base = { variables: field.variables, optimizer: opt, epochs: 1, seed: 1, batches: () => [] };
    expect(() => runFit({ ...base })).toThrow(/give exactly one of options.loss and options.rollout, got neither/);
    expect(() =>
      runFit({
        ...base,
        loss: () => tf.scalar(0),
        rollout: { ode, batch: () => ({ x0: new Float32Array(4), inputs: 1, target: new Float32Array(4) }) },
      }),
    ).toThrow(/got both/);
    expect(() => runFit({ ...base, loss: () => tf.scalar(0), stepEngine: 'simd' })).toThrow(
      /options.stepEngine "simd" needs options.rollout/,
    );
    field.dispose();
  });

  it('fitAsync: an error in an awaited callback still leaves the variables with every step taken', async () => {
    const { field, ode, opt, batch } = setup();
    await expect(
      fitAsync({
        variables: field.variables,
        optimizer: opt,
        epochs: 3,
        seed: 1,
        batches: () => [batch, batch],
        rollout: { ode, batch: (b) => b },
        onBatch: async ({ batch: k }) => {
          if (k === 2) throw new Error('stop here');
        },
      }),
    ).rejects.toThrow(/stop here/);
    expect(opt.iterations).toBe(2);
    // the variables hold the two steps: those of two tfjs steps from the same start
    const ref = setup();
    const s = new RolloutStep({ ode: ref.ode, optimizer: ref.opt, engine: 'tfjs' });
    s.step(ref.batch);
    s.step(ref.batch);
    field.variables.forEach((v, i) => {
      expect(Array.from(v.dataSync())).toEqual(Array.from(ref.field.variables[i].dataSync()));
    });
    field.dispose();
    ref.field.dispose();
  });
});
