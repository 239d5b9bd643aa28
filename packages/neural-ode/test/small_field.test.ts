/**
 * The small-field rollout kernels (assembly/small_field.ts through src/simd/small_field.ts) against
 * float64 references — the rollout re-implemented in float64 for the values, central differences of
 * Σ dy·output in float64 for every gradient — and against the general kernels (SimdRollout with
 * smallField false), for both builds: batches that are not multiples of 4 (the last group's lanes
 * padded), hidden widths that are not, 1 to 4 states, inputs (per row and one for all rows), every
 * activation, tableaux with a_ij on several previous stages and with a stage that has no adjoint,
 * 'all' (with and without x_0) and 'final' outputs, and recomputation with every checkpoint interval.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, MlpVectorField, NeuralODE, startSimdThreads, stopSimdThreads } from '../src/index.js';
import { Arena, createSimdKernels, relaxedSimdSupported, type SimdKernelVariant } from '../src/simd/kernels.js';
import { type SimdActivation, SimdRollout, type SimdRolloutProblem } from '../src/simd/mlp_rollout.js';
import { type SmallFieldExports, smallFieldApplies } from '../src/simd/small_field.js';
import { act64, lcg, scaledErr } from './helpers/ref64.js';

const VARIANTS: SimdKernelVariant[] = relaxedSimdSupported() ? ['plain', 'relaxed'] : ['plain'];
const arenas = new Map<SimdKernelVariant, Arena>(VARIANTS.map((v) => [v, new Arena(createSimdKernels(v))]));

/** Butcher tableaux (a, b); rk38 has a_ij on several previous stages, 'unused' a last stage without adjoint (b = 0, no later stage). */
const TABLEAUX: Record<string, { a: number[][]; b: number[] }> = {
  euler: { a: [[]], b: [1] },
  midpoint: { a: [[], [0.5]], b: [0, 1] },
  rk4: { a: [[], [0.5], [0, 0.5], [0, 0, 1]], b: [1 / 6, 1 / 3, 1 / 3, 1 / 6] },
  rk38: { a: [[], [1 / 3], [-1 / 3, 1], [1, -1, 1]], b: [1 / 8, 3 / 8, 3 / 8, 1 / 8] },
  unused: { a: [[], [0.5], [0.25, 0.5]], b: [0.25, 0.75, 0] },
};

interface Case {
  n: number;
  m: number;
  H: number;
  B: number;
  T: number;
  act: SimdActivation;
  alpha?: number;
  tab: keyof typeof TABLEAUX;
  output: 'all' | 'final';
  includeInitial?: boolean;
  uBatch1?: boolean;
}

interface Data {
  p: SimdRolloutProblem;
  W0: Float64Array;
  b0: Float64Array;
  W1: Float64Array;
  b1: Float64Array;
  x0: Float64Array;
  u: Float64Array | null;
  /** Output gradient (the output's shape). */
  dy: Float64Array;
}

const H_STEP = 0.25;

function makeData(c: Case, seed = 5): Data {
  const r = lcg(seed);
  const tab = TABLEAUX[c.tab];
  const ub = c.uBatch1 ? 1 : c.B;
  const T1 = c.output === 'all' ? (c.includeInitial ? c.T + 1 : c.T) : 1;
  const f32 = (len: number, scale: number) => Float64Array.from(Float32Array.from({ length: len }, () => scale * r()));
  const p: SimdRolloutProblem = {
    n: c.n,
    m: c.m,
    widths: [c.H, c.n],
    activation: c.act,
    alpha: c.alpha ?? 0.1,
    batch: c.B,
    steps: c.T,
    a: tab.a.map((row) => row.map((x) => x * H_STEP)),
    b: tab.b.map((x) => x * H_STEP),
    includeInitial: c.includeInitial ?? false,
    output: c.output,
    uBatch: ub,
  };
  return {
    p,
    W0: f32((c.n + c.m) * c.H, 0.8),
    b0: f32(c.H, 0.3),
    W1: f32(c.H * c.n, 0.8),
    b1: f32(c.n, 0.3),
    x0: f32(c.B * c.n, 1),
    u: c.m > 0 ? f32(c.T * ub * c.m, 1) : null,
    dy: f32(T1 * c.B * c.n, 1),
  };
}

/** The rollout in float64 (the problem's a, b already times h): the output, flattened. */
function forward64(d: Data): Float64Array {
  const { n, m, batch: B, steps: T, a, b } = d.p;
  const H = d.p.widths[0];
  const s = b.length;
  const field = (y: Float64Array, u: ArrayLike<number>): Float64Array => {
    const hid = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let z = d.b0[j];
      for (let k = 0; k < n; k++) z += y[k] * d.W0[k * H + j];
      for (let c = 0; c < m; c++) z += u[c] * d.W0[(n + c) * H + j];
      hid[j] = act64(d.p.activation, z, d.p.alpha);
    }
    const out = new Float64Array(n);
    for (let q = 0; q < n; q++) {
      let z = d.b1[q];
      for (let j = 0; j < H; j++) z += hid[j] * d.W1[j * n + q];
      out[q] = z;
    }
    return out;
  };
  const all = d.p.output === 'all';
  const offset = all && d.p.includeInitial ? 1 : 0;
  const res = new Float64Array((all ? T + offset : 1) * B * n);
  for (let r = 0; r < B; r++) {
    let x = d.x0.slice(r * n, (r + 1) * n);
    if (offset === 1) res.set(x, r * n);
    for (let t = 0; t < T; t++) {
      const u =
        d.u == null
          ? []
          : d.u.subarray((t * d.p.uBatch + (d.p.uBatch === 1 ? 0 : r)) * m, (t * d.p.uBatch + (d.p.uBatch === 1 ? 0 : r)) * m + m);
      const K: Float64Array[] = [];
      for (let i = 0; i < s; i++) {
        const y = Float64Array.from(x);
        for (let j = 0; j < i; j++) for (let q = 0; q < n; q++) y[q] += (a[i]?.[j] ?? 0) * K[j][q];
        K.push(field(y, u));
      }
      const next = Float64Array.from(x);
      for (let i = 0; i < s; i++) for (let q = 0; q < n; q++) next[q] += b[i] * K[i][q];
      x = next;
      if (all) res.set(x, ((t + offset) * B + r) * n);
    }
    if (!all) res.set(x, r * n);
  }
  return res;
}

/** Gradients of Σ dy·output by central differences in float64: W0, b0, W1, b1, x0, u. */
function gradients64(d: Data): Float64Array[] {
  const loss = () => forward64(d).reduce((acc, v, i) => acc + v * d.dy[i], 0);
  const arrays = [d.W0, d.b0, d.W1, d.b1, d.x0, ...(d.u ? [d.u] : [])];
  return arrays.map((arr) => {
    const g = new Float64Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      const eps = 1e-6 * Math.max(1, Math.abs(v));
      arr[i] = v + eps;
      const up = loss();
      arr[i] = v - eps;
      const down = loss();
      arr[i] = v;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  });
}

/** Output and gradients [W0, b0, W1, b1, x0, u?] of the kernels (float32). */
function runKernels(d: Data, variant: SimdKernelVariant, extra: Partial<SimdRolloutProblem> = {}): Float32Array[] {
  const p = { ...d.p, ...extra };
  const ro = new SimdRollout(p, arenas.get(variant)!);
  const out = ro.forward({
    weights: [Float32Array.from(d.W0), Float32Array.from(d.W1)],
    biases: [Float32Array.from(d.b0), Float32Array.from(d.b1)],
    x0: Float32Array.from(d.x0),
    u: d.u == null ? null : Float32Array.from(d.u),
  });
  const g = ro.backward(Float32Array.from(d.dy), d.u != null);
  return [out, g.weights[0], g.biases[0], g.weights[1], g.biases[1], g.x0, ...(g.u ? [g.u] : [])];
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

const ACTIVATIONS: SimdActivation[] = ['elu', 'none', 'relu', 'leaky_relu', 'tanh', 'sigmoid', 'silu', 'selu', 'gelu'];

const CASES: Case[] = [
  // every activation on rk4, a batch and a width that are not multiples of 4, 3 states, 'all'
  ...ACTIVATIONS.map((act): Case => ({ n: 3, m: 0, H: 7, B: 5, T: 4, act, tab: 'rk4', output: 'all' })),
  // leaky_relu with a slope <= 0 keeps the pre-activations (σ′ needs z)
  { n: 3, m: 0, H: 6, B: 3, T: 3, act: 'leaky_relu', alpha: -0.2, tab: 'midpoint', output: 'final' },
  // states 1, 2, 4; batch 1, 4, 8, 9; width 1, 4, 9
  { n: 1, m: 0, H: 1, B: 1, T: 3, act: 'elu', tab: 'rk4', output: 'final' },
  { n: 2, m: 1, H: 4, B: 4, T: 3, act: 'tanh', tab: 'rk38', output: 'all', includeInitial: true },
  { n: 4, m: 2, H: 9, B: 9, T: 4, act: 'elu', tab: 'rk38', output: 'all' },
  { n: 4, m: 0, H: 8, B: 8, T: 5, act: 'elu', tab: 'rk4', output: 'final' },
  // inputs shared by every row, Euler, a stage without adjoint
  { n: 3, m: 2, H: 5, B: 6, T: 3, act: 'silu', tab: 'euler', output: 'all', uBatch1: true },
  { n: 3, m: 1, H: 7, B: 7, T: 4, act: 'elu', tab: 'unused', output: 'final' },
  { n: 2, m: 1, H: 3, B: 2, T: 3, act: 'gelu', tab: 'unused', output: 'all', includeInitial: true, uBatch1: true },
  // wider, more rows (two pairs of groups, the last one partly padding)
  { n: 4, m: 1, H: 33, B: 13, T: 3, act: 'relu', tab: 'rk4', output: 'all' },
];

const label = (c: Case) =>
  `n ${c.n} m ${c.m}${c.uBatch1 ? ' (one u)' : ''} H ${c.H} B ${c.B} T ${c.T} ${c.act}${c.alpha !== undefined ? `(${c.alpha})` : ''} ${c.tab} ${c.output}${c.includeInitial ? '+x0' : ''}`;

describe.each(VARIANTS)('small-field kernels (%s build)', (variant) => {
  it('elu: within 1 ulp of 1 of float64 e^z − 1 for z <= 0, exactly z for z > 0, and the special values', () => {
    const arena = arenas.get(variant)!;
    const k = arena.k as SmallFieldExports;
    const zs: number[] = [0, -0, 1e-30, -1e-30, -1e-8, 1e-8, 88.5, 1e30, -87, -87.5, -100, -1e30, Infinity, -Infinity, Number.NaN];
    for (let i = 0; i <= 4000; i++) zs.push(-30 + (i * 35) / 4000);
    while (zs.length % 4 !== 0) zs.push(0.5);
    const z = Float32Array.from(zs);
    arena.reset();
    const zp = arena.alloc(z.length);
    const ap = arena.alloc(z.length);
    arena.write(zp, z);
    k.sfElu(zp, ap, z.length / 4);
    const a = arena.read(ap, z.length);
    for (let i = 0; i < z.length; i++) {
      const x = z[i];
      if (Number.isNaN(x)) expect(a[i]).toBeNaN();
      else if (x > 0) expect(a[i], `z = ${x}`).toBe(x);
      else expect(Math.abs(a[i] - Math.expm1(x)), `z = ${x}`).toBeLessThanOrEqual(2 ** -23);
    }
  });

  it.each(CASES.map((c) => [label(c), c] as const))('%s: values and gradients within float32 tolerance of float64', (_, c) => {
    const d = makeData(c);
    expect(smallFieldApplies(d.p)).toBe(true);
    const got = runKernels(d, variant);
    const want = [forward64(d), ...gradients64(d)];
    expect(got.length).toBe(want.length);
    const names = ['output', 'W0', 'b0', 'W1', 'b1', 'x0', 'u'];
    got.forEach((g, i) => {
      expect(g.length, names[i]).toBe(want[i].length);
      expect(scaledErr(g, want[i]), names[i]).toBeLessThan(i === 0 ? 1e-6 : 3e-6);
    });
    // the general kernels on the same problem agree to float32 rounding
    const ref = runKernels(d, variant, { smallField: false });
    got.forEach((g, i) => {
      expect(scaledErr(g, ref[i]), names[i]).toBeLessThan(i === 0 ? 1e-6 : 3e-6);
    });
  });

  it('values and state gradients have the general kernels’ bits (4 states, batch and width multiples of 4, tanh)', () => {
    for (const output of ['all', 'final'] as const) {
      const d = makeData({ n: 4, m: 0, H: 8, B: 8, T: 5, act: 'tanh', tab: 'rk4', output });
      const got = runKernels(d, variant);
      const ref = runKernels(d, variant, { smallField: false });
      expect(bits(got[0])).toEqual(bits(ref[0]));
      expect(bits(got[5])).toEqual(bits(ref[5]));
    }
  });

  it('every checkpoint interval gives the full tape’s bits (values and all gradients)', () => {
    for (const c of [CASES[0], CASES[12], CASES[14], CASES[15]]) {
      const d = makeData({ ...c, T: 7 });
      const full = runKernels(d, variant).map(bits);
      for (const every of [1, 2, 3, 7, 9]) {
        const ck = runKernels(d, variant, { checkpointEvery: every }).map(bits);
        ck.forEach((g, i) => {
          expect(g, `${label(c)}, every ${every}, array ${i}`).toEqual(full[i]);
        });
      }
    }
  });

  it('a rollout evicted by another one between forward and backward gets the same gradients', () => {
    const c = CASES[12];
    const d = makeData(c);
    const alone = runKernels(d, variant);
    for (const every of [0, 2]) {
      const p = { ...d.p, checkpointEvery: every };
      const arena = arenas.get(variant)!;
      const data = {
        weights: [Float32Array.from(d.W0), Float32Array.from(d.W1)],
        biases: [Float32Array.from(d.b0), Float32Array.from(d.b1)],
        x0: Float32Array.from(d.x0),
        u: d.u == null ? null : Float32Array.from(d.u),
      };
      const a = new SimdRollout(p, arena);
      const out = a.forward(data);
      expect(a.resident).toBe(true);
      a.evict();
      expect(a.resident).toBe(false);
      // another problem overwrites the arena
      const other = makeData({ ...CASES[13] }, 9);
      runKernels(other, variant);
      const g = a.backward(Float32Array.from(d.dy), true);
      expect(bits(out)).toEqual(bits(alone[0]));
      [g.weights[0], g.biases[0], g.weights[1], g.biases[1], g.x0, g.u!].forEach((x, i) => {
        expect(bits(x)).toEqual(bits(alone[i + 1]));
      });
    }
  });
});

describe('small-field kernels: caller-owned output arrays', () => {
  it('forward(data, into) and backward(dy, wantInputs, duInto) fill the given arrays with the same bits, and reject wrong lengths by name', () => {
    const c: Case = { n: 4, m: 2, H: 9, B: 9, T: 4, act: 'elu', tab: 'rk38', output: 'all' };
    const d = makeData(c);
    const alone = runKernels(d, 'plain');
    const ro = new SimdRollout(d.p, arenas.get('plain')!);
    const data = {
      weights: [Float32Array.from(d.W0), Float32Array.from(d.W1)],
      biases: [Float32Array.from(d.b0), Float32Array.from(d.b1)],
      x0: Float32Array.from(d.x0),
      u: Float32Array.from(d.u!),
    };
    expect(() => ro.forward(data, new Float32Array(3))).toThrow(/into must hold 144 floats, got 3/);
    const into = new Float32Array(c.T * c.B * c.n);
    expect(ro.forward(data, into)).toBe(into);
    expect(bits(into)).toEqual(bits(alone[0]));
    expect(() => ro.backward(Float32Array.from(d.dy), true, new Float32Array(5))).toThrow(/duInto must hold 72 floats/);
    const duInto = new Float32Array(c.T * c.B * c.m);
    const g = ro.backward(Float32Array.from(d.dy), true, duInto);
    expect(g.u).toBe(duInto);
    expect(bits(duInto)).toEqual(bits(alone[6]));
  });
});

describe('small-field kernels: the size rule', () => {
  const base = makeData(CASES[0]).p;
  it('takes one hidden layer of any width with at most 4 states, unless smallField is false', () => {
    expect(smallFieldApplies(base)).toBe(true);
    expect(smallFieldApplies({ ...base, widths: [1024, 3] })).toBe(true);
    expect(smallFieldApplies({ ...base, n: 4, widths: [7, 4] })).toBe(true);
    expect(smallFieldApplies({ ...base, n: 5, widths: [7, 5] })).toBe(false);
    expect(smallFieldApplies({ ...base, widths: [7, 7, 3] })).toBe(false);
    expect(smallFieldApplies({ ...base, smallField: false })).toBe(false);
  });
});

describe('small-field kernels: rows split over worker threads', () => {
  it('2 threads give one thread’s values and gradients (to float32 rounding of the summed weight gradients)', async () => {
    await initBackend();
    const run = () => {
      const field = new MlpVectorField({ states: 3, inputs: 0, hidden: 10, layers: 2, activation: 'elu' }, undefined, { seed: 2 });
      const ode = new NeuralODE(field, { method: 'rk4', step: 0.2, fastEngine: 'simd' });
      const r = lcg(3);
      const x0 = tf.tensor2d(
        Array.from({ length: 21 * 3 }, () => r()),
        [21, 3],
      );
      const loss = () => tf.mean(tf.square(ode.rollout(x0, 5))) as tf.Scalar;
      const { value, grads } = tf.variableGrads(loss, field.variables);
      const gx = tf.grad((x: tf.Tensor) => tf.mean(tf.square(ode.rollout(x as Tensor2D, 5))))(x0);
      const list = [value, ...field.variables.map((v) => grads[v.name]), gx];
      const out = list.map((t) => t.dataSync().slice() as Float32Array);
      tf.dispose([...list, x0]);
      field.dispose();
      return out;
    };
    await startSimdThreads(1);
    const one = run();
    expect(await startSimdThreads(2)).toBe(2);
    const two = run();
    await stopSimdThreads();
    one.forEach((ref, i) => {
      expect(two[i].length).toBe(ref.length);
      expect(scaledErr(two[i], ref), `tensor ${i}`).toBeLessThan(1e-6);
    });
  }, 60_000);
});
