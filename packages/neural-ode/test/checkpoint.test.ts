import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationName } from '@sii/mlp';
import { type FastRolloutCheckpoint, fastRollout, initBackend, MlpVectorField, NeuralODE } from '../src/index.js';
import { resolveCheckpointEvery, rolloutArenaBytes, type SimdRolloutProblem, simdArena } from '../src/internal.js';
import { SimdRollout } from '../src/simd/mlp_rollout.js';
import { lcg } from './helpers/ref64.js';
import { mse } from './helpers/sgd.js';

beforeAll(async () => {
  await initBackend();
});

interface Case {
  method: string;
  activation: ActivationName;
  inputs: number;
  layers: number;
  output: 'all' | 'final';
  steps: number;
  uBatch1?: boolean;
  includeInitial?: boolean;
}

/** The bits of a float32 array (so that -0 ≠ 0 and every rounding difference shows). */
function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/**
 * Output, loss and gradients (field variables, x0, u) of the SIMD fast rollout with one checkpoint
 * setting, as float32 arrays; same seeded data for every setting.
 */
function run(c: Case, checkpointEvery: FastRolloutCheckpoint): { arrays: Float32Array[]; weights: number; used: number } {
  const n = 3;
  const B = 5;
  const T = c.steps;
  const spec = { states: n, inputs: c.inputs, hidden: 9, layers: c.layers, activation: c.activation };
  const field = new MlpVectorField(spec, undefined, { seed: 4 });
  const ode = new NeuralODE(field, { method: c.method, step: 0.25, fastEngine: 'simd', checkpointEvery });
  const r = lcg(7);
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
  const opts = { output: c.output, includeInitial: c.includeInitial ?? false, engine: 'simd' as const, checkpointEvery };
  const loss = (x: Tensor, uu: Tensor | null) => mse(fastRollout(ode, x as Tensor2D, (uu as Tensor3D | null) ?? T, opts), target);
  const out = fastRollout(ode, x0, u ?? T, opts);
  const { value, grads } = tf.variableGrads(() => loss(x0, u), field.variables);
  const used = simdArena()!.used;
  const gx = tf.grad((x: Tensor) => loss(x, u))(x0);
  const gu = u ? tf.grad((uu: Tensor) => loss(x0, uu))(u) : null;
  const list = [out, value, ...field.variables.map((v) => grads[v.name]), gx, ...(gu ? [gu] : [])];
  const arrays = list.map((t) => t.dataSync() as Float32Array).map((a) => a.slice());
  const weights = field.variables.length;
  tf.dispose([...list, x0, target, ...(u ? [u] : [])]);
  field.dispose();
  return { arrays, weights, used };
}

/**
 * Recomputed against full tape: output, loss, x0 and u gradients the same bits; the weight gradients
 * (arrays 2 … 2 + weights − 1), summed per segment instead of in one product, within float32 rounding of
 * a sum of at most s·T·B = 210 rows (1e-5 of the tensor's largest entry), and the same bits when one
 * segment covers every step (k >= T).
 */
function expectSameAsFullTape(full: ReturnType<typeof run>, ck: ReturnType<typeof run>, k: number, T: number): void {
  expect(ck.arrays.length).toBe(full.arrays.length);
  ck.arrays.forEach((a, i) => {
    const isWeight = i >= 2 && i < 2 + full.weights;
    if (!isWeight || k >= T) {
      expect(bits(a), `k=${k}, tensor ${i}`).toEqual(bits(full.arrays[i]));
      return;
    }
    const scale = full.arrays[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = a.reduce((m, v, j) => Math.max(m, Math.abs(v - full.arrays[i][j])), 0);
    expect(worst, `k=${k}, weight gradient ${i}`).toBeLessThanOrEqual(1e-5 * scale);
  });
}

describe('fast rollout with recomputation (checkpointEvery) against the full tape', () => {
  const cases: Case[] = [
    // T = 6: k = 2, 3 divide it, k = 4 does not, k = 6 and 9 are one segment
    { method: 'midpoint', activation: 'elu', inputs: 2, layers: 3, output: 'all', steps: 6 },
    { method: 'rk4', activation: 'silu', inputs: 0, layers: 2, output: 'final', steps: 6 },
    { method: 'heun3', activation: 'gelu', inputs: 1, layers: 3, output: 'all', steps: 6, uBatch1: true, includeInitial: true },
    { method: 'dopri5', activation: 'tanh', inputs: 1, layers: 2, output: 'final', steps: 6 },
    // T = 7 (prime): only k = 1 and k >= 7 divide nothing into equal segments
    { method: 'euler', activation: 'leaky_relu', inputs: 1, layers: 2, output: 'all', steps: 7 },
  ];
  for (const c of cases) {
    const name = `${c.method} ${c.activation} m=${c.inputs} L=${c.layers} ${c.output} T=${c.steps}${c.uBatch1 ? ' u batch 1' : ''}${c.includeInitial ? ' +x0' : ''}`;
    it(name, () => {
      const full = run(c, null);
      for (const k of [1, 2, 3, 4, c.steps, c.steps + 3]) {
        expectSameAsFullTape(full, run(c, k), k, c.steps);
      }
    });
  }

  it('keeps less in the kernel memory: segments of k steps instead of all T', () => {
    const c: Case = { method: 'rk4', activation: 'silu', inputs: 2, layers: 3, output: 'all', steps: 40 };
    const full = run(c, null);
    const k5 = run(c, 5);
    // silu keeps z and σ(z): 4 stages × (n + 2·9·2) floats per row and step; T = 40 against 5 + 8 checkpoints
    expect(k5.used).toBeLessThan(full.used / 3);
    expectSameAsFullTape(full, k5, 5, c.steps);
  });
});

describe('checkpoint memory and the auto setting', () => {
  // n 2, m 1, widths [4, 4, 2], midpoint (s = 2), batch 3, 10 steps, elu (no z kept)
  const p: SimdRolloutProblem = {
    n: 2,
    m: 1,
    widths: [4, 4, 2],
    activation: 'elu',
    alpha: 0.01,
    batch: 3,
    steps: 10,
    a: [[], [0.05]],
    b: [0, 0.1],
    includeInitial: false,
    output: 'all',
    uBatch: 3,
  };
  it('rolloutArenaBytes counts the floats by hand', () => {
    // params: W 3·4 + 4·4 + 4·2 = 36, b 10 → 46, twice (with their gradients) = 92
    // packed weights (K·(N rounded down to a multiple of 4)): W 3·4 + 4·4 + 4·0 = 28; Wᵀ: first
    // layer 4·0 (states) + 4·0 (inputs), then 4·4 + 2·4 = 24 → 52
    // u: 10·3·1 = 30; P and du of a step B·(4 + 1) = 15; (2·2 + 4)·B·n = 48; work 128·max fan 4 = 512
    // per step held (a segment's worth): activations s·B·(n + 4 + 4) = 2·3·10 = 60,
    // dz s·B·(4 + 4 + 2) = 60, S0 B·4 = 12 → 132
    const fixed = 92 + 52 + 30 + 15 + 48 + 512;
    expect(rolloutArenaBytes(p, 0)).toBe(4 * (fixed + 10 * 132));
    // k = 3: ⌈10/3⌉ = 4 checkpoints of B·n = 6 floats, 3 steps held
    expect(rolloutArenaBytes(p, 3)).toBe(4 * (fixed + 4 * 6 + 3 * 132));
    // k = 12 ≥ T: one checkpoint, one segment of all 10 steps
    expect(rolloutArenaBytes(p, 12)).toBe(4 * (fixed + 6 + 10 * 132));
  });
  it("'auto' keeps the full tape within the budget, else k = ⌈√T⌉; numbers and null pass through", () => {
    const fullBytes = rolloutArenaBytes(p, 0);
    expect(resolveCheckpointEvery(p, 'auto', fullBytes)).toBe(0);
    expect(resolveCheckpointEvery(p, 'auto', fullBytes - 1)).toBe(4);
    expect(resolveCheckpointEvery({ ...p, steps: 784 }, 'auto', 0)).toBe(28);
    expect(resolveCheckpointEvery(p, 'auto')).toBe(0);
    expect(resolveCheckpointEvery(p, null, 0)).toBe(0);
    expect(resolveCheckpointEvery(p, 7, 0)).toBe(7);
  });
  it('rejects a bad setting, and a number with the tfjs engine', () => {
    const field = new MlpVectorField({ states: 2, inputs: 0, hidden: 4, layers: 2, activation: 'elu' });
    const ode = new NeuralODE(field, { method: 'midpoint', step: 0.1 });
    const x0 = tf.zeros([3, 2]) as Tensor2D;
    for (const bad of [0, 2.5, -1, 'sqrt', Number.NaN]) {
      expect(() => fastRollout(ode, x0, 2, { checkpointEvery: bad as FastRolloutCheckpoint })).toThrow(
        /fastRollout: options.checkpointEvery must be an integer >= 1, 'auto' or null, got/,
      );
    }
    expect(() => new NeuralODE(field, { method: 'euler', step: 1, checkpointEvery: 0 })).toThrow(
      /NeuralODE: options.checkpointEvery must be an integer >= 1, 'auto' or null, got 0/,
    );
    expect(() => fastRollout(ode, x0, 2, { engine: 'tfjs', checkpointEvery: 2 })).toThrow(/checkpointEvery 2 needs the 'simd' engine/);
    // the tfjs engine keeps its full tape under 'auto' and null
    for (const setting of ['auto', null] as const) {
      const y = fastRollout(ode, x0, 2, { engine: 'tfjs', checkpointEvery: setting });
      expect(y.shape).toEqual([2, 3, 2]);
      y.dispose();
    }
    tf.dispose(x0);
    field.dispose();
  });
});

describe('SimdRollout: inputs per row or shared, gradients as views', () => {
  // n 2, m 1, widths [8, 8, 2] (packed panels and a 2-column remainder), midpoint, batch 5, 4 steps
  const base: SimdRolloutProblem = {
    n: 2,
    m: 1,
    widths: [8, 8, 2],
    activation: 'elu',
    alpha: 0,
    batch: 5,
    steps: 4,
    a: [[], [0.05]],
    b: [0, 0.1],
    includeInitial: false,
    output: 'all',
    uBatch: 5,
  };
  const r = lcg(21);
  const rand = (count: number) => Float32Array.from({ length: count }, () => 2 * r() - 1);
  const fan = [3, 8, 8];
  const weights = base.widths.map((w, l) => rand(fan[l] * w));
  const biases = base.widths.map((w) => rand(w));
  const x0 = rand(base.batch * base.n);
  const uShared = rand(base.steps * base.m);
  const uRows = new Float32Array(base.steps * base.batch * base.m);
  for (let t = 0; t < base.steps; t++) for (let b = 0; b < base.batch; b++) uRows[t * base.batch + b] = uShared[t];
  const dy = rand(base.steps * base.batch * base.n);

  it('u [T, B, m] and one shared sequence u [T, 1, m] give the same bits; views hold the copies’ values', () => {
    const arena = simdArena()!;
    const rows = new SimdRollout(base, arena);
    const yRows = rows.forward({ weights, biases, x0, u: uRows });
    const gRows = rows.backward(dy, true);
    const shared = new SimdRollout({ ...base, uBatch: 1 }, arena);
    const yShared = shared.forward({ weights, biases, x0, u: uShared });
    expect(Array.from(yShared)).toEqual(Array.from(yRows));
    const gViews = shared.backward(dy, true, undefined, true);
    for (let l = 0; l < 3; l++) {
      expect(Array.from(gViews.weights[l]), `dW${l}`).toEqual(Array.from(gRows.weights[l]));
      expect(Array.from(gViews.biases[l]), `db${l}`).toEqual(Array.from(gRows.biases[l]));
      expect(gViews.weights[l].buffer).toBe(arena.f32().buffer); // a view of the kernels' memory
    }
    expect(Array.from(gViews.x0)).toEqual(Array.from(gRows.x0));
    // the shared sequence's gradient: the rows' gradients summed per step
    for (let t = 0; t < base.steps; t++) {
      let sum = 0;
      for (let b = 0; b < base.batch; b++) sum += gRows.u![t * base.batch + b];
      expect(gViews.u![t]).toBeCloseTo(sum, 5);
    }
  });
});
