/**
 * The authors' forecasting model (their mts_forecasting/models/{dynamic,latent,predictor}.py and
 * base_mts.py) checked against independent float64 computations: parameter counts at paper scale,
 * shapes, the k + 1 alignment, prior sampling at evaluation, the loss value, LayerNorm's gradient.
 */
import type { ForecastDataset } from '@sii/datasets';
import { mlpForward64 } from '@sii/mlp';
import { Rng } from '@sii/linalg';
import { initBackend } from '@sii/neural-ode';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUTHORS_PROTOCOL,
  ForecastModel,
  type ForecastModelSpec,
  forecastLoss,
  forecastPreset,
  forecastTestMse,
  klToStandardNormal,
  LayerNorm,
  NormalizedMlp,
  presetDeviations,
  runForecastTask,
} from '../src/experiments/forecast.js';

beforeAll(async () => {
  await initBackend();
});

const paperSpec = (inputs: number, outputs: number): ForecastModelSpec => ({
  inputs,
  outputs,
  states: 32,
  hidden: 128,
  layers: 3,
  activation: 'silu',
  solver: 'midpoint',
  h: 0.05,
  eps: -0.01,
  compensation: 'none',
});

const linear = (i: number, o: number) => i * o + o;
const layerNorm = (d: number) => 2 * d;

describe('parameter counts equal the torch model at paper scale (n 32, H 128, n_layers 2)', () => {
  // Latent: Linear(m,128) LN Tanh, Linear(128,128) LN Tanh, Linear(128, 64).
  // NeuralODE: Linear(32+m,128) SiLU, Linear(128,128) SiLU, Linear(128,32).
  // Predictor: Linear(32,128) LN ReLU, Linear(128,128) LN ReLU, Linear(128,p).
  const torchCount = (m: number, p: number) =>
    linear(m, 128) +
    layerNorm(128) +
    linear(128, 128) +
    layerNorm(128) +
    linear(128, 64) +
    (linear(32 + m, 128) + linear(128, 128) + linear(128, 32)) +
    (linear(32, 128) + layerNorm(128) + linear(128, 128) + layerNorm(128) + linear(128, p));
  it.each([
    ['engine', 7, 1, 73441],
    ['air quality', 8, 4, 74084],
    ['activity', 9, 3, 74211],
  ])('%s (m %i, p %i): %i', (_name, m, p, count) => {
    expect(torchCount(m, p)).toBe(count);
    for (const init of ['sii', 'baseline'] as const) {
      const model = new ForecastModel(paperSpec(m, p), init, 'count');
      expect(model.parameterCount).toBe(count);
      model.dispose();
    }
  });
});

// ---- float64 reference of the whole model, from the model's own weights ----
const f64 = (t: tf.Tensor) => Float64Array.from(t.dataSync());

function headForward(net: NormalizedMlp, x: number[], act: (v: number) => number): number[] {
  let h = x;
  net.linears.forEach((lin, k) => {
    const w = f64(lin.w);
    const b = f64(lin.b);
    const out = Array.from({ length: lin.outDim }, (_, j) => b[j] + h.reduce((s, xi, i) => s + xi * w[i * lin.outDim + j], 0));
    if (k < net.layers - 1) {
      const mean = out.reduce((a, v) => a + v, 0) / out.length;
      const variance = out.reduce((a, v) => a + (v - mean) ** 2, 0) / out.length;
      const g = f64(net.norms[k].gamma);
      const beta = f64(net.norms[k].beta);
      h = out.map((v, j) => act(((v - mean) / Math.sqrt(variance + 1e-5)) * g[j] + beta[j]));
    } else {
      h = out;
    }
  });
  return h;
}

/** Predictions [T][B][p] with z0 given per window, midpoint steps of h with u_k held in step k + 1. */
function reference(model: ForecastModel, u: number[][][], z0: number[][]): number[][][] {
  const s = model.spec;
  const w = model.field.getWeights();
  const fieldSpec = { states: s.states, inputs: s.inputs, hidden: s.hidden, layers: s.layers, activation: s.activation };
  const f = (z: number[], uk: number[]) => Array.from(mlpForward64(fieldSpec, w, z, uk));
  return u.map((_, t) =>
    z0.map((_z, b) => {
      let z = z0[b];
      for (let k = 0; k <= t; k++) {
        const k1 = f(z, u[k][b]);
        const mid = z.map((v, i) => v + 0.5 * s.h * k1[i]);
        const k2 = f(mid, u[k][b]);
        z = z.map((v, i) => v + s.h * k2[i]);
      }
      return headForward(model.decoder, z, (v) => Math.max(0, v));
    }),
  );
}

const tinySpec: ForecastModelSpec = {
  inputs: 2,
  outputs: 2,
  states: 3,
  hidden: 4,
  layers: 3,
  activation: 'silu',
  solver: 'midpoint',
  h: 0.1,
  eps: -0.01,
  compensation: 'none',
};
const T = 3;
const B = 2;
const rng = new Rng('fixed-input');
const U = Array.from({ length: T }, () => Array.from({ length: B }, () => [rng.normal(), rng.normal()]));
const Y = Array.from({ length: T }, () => Array.from({ length: B }, () => [rng.normal(), rng.normal()]));
const EPS = Array.from({ length: B }, () => [rng.normal(), rng.normal(), rng.normal()]);
const u3 = () => tf.tensor3d(U.flat(2), [T, B, 2]);
const y3 = () => tf.tensor3d(Y.flat(2), [T, B, 2]);
const eps2 = () => tf.tensor2d(EPS.flat(), [B, 3]);

describe('forward pass as the authors (hand-checked small case)', () => {
  it('shapes: predictions [T, B, p], encoder mean and log-variance [B, n]; the encoder reads u at t0 only', () => {
    const model = new ForecastModel(tinySpec, 'sii', 'shape');
    const u = u3();
    const e = eps2();
    const r = model.forward(u, e, 'train');
    expect(r.pred.shape).toEqual([T, B, 2]);
    expect(r.mu!.shape).toEqual([B, 3]);
    // changing u after t0 leaves the encoder's output unchanged
    const later = tf.concat([tf.slice(u, [0, 0, 0], [1, B, 2]), tf.add(tf.slice(u, [1, 0, 0], [T - 1, B, 2]), 5)], 0) as Tensor3D;
    const r2 = model.forward(later, e, 'train');
    expect(Array.from(r2.mu!.dataSync())).toEqual(Array.from(r.mu!.dataSync()));
    tf.dispose([u, e, later, r.pred, r.mu!, r.logvar!, r2.pred, r2.mu!, r2.logvar!]);
    model.dispose();
  });

  it('prediction k decodes the state after k + 1 midpoint steps (float64 reference)', () => {
    for (const init of ['sii', 'baseline'] as const) {
      const model = new ForecastModel(tinySpec, init, 'align');
      const u = u3();
      const e = eps2();
      const pred = model.forward(u, e, 'prior').pred;
      const got = pred.arraySync();
      const want = reference(model, U, EPS);
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) for (let j = 0; j < 2; j++) expect(got[t][b][j]).toBeCloseTo(want[t][b][j], 5);
      // the k-step alignment would differ: decoding z0 itself is not row 0
      const z0Decoded = headForward(model.decoder, EPS[0], (v) => Math.max(0, v));
      expect(Math.abs(z0Decoded[0] - got[0][0][0]) + Math.abs(z0Decoded[1] - got[0][0][1])).toBeGreaterThan(1e-4);
      tf.dispose([u, e, pred]);
      model.dispose();
    }
  });

  it('evaluation draws z0 from the prior: the encoder is not used, and the draw is the given ε', () => {
    const model = new ForecastModel(tinySpec, 'sii', 'prior');
    const u = u3();
    const e = eps2();
    const before = model.forward(u, e, 'prior').pred;
    // scramble the encoder: a prior-mode forward must not change
    for (const v of model.encoder.variables) v.assign(tf.add(v, 1));
    const after = model.forward(u, e, 'prior').pred;
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    const post = model.forward(u, e, 'posterior-mean').pred;
    expect(Array.from(post.dataSync())).not.toEqual(Array.from(before.dataSync()));
    tf.dispose([u, e, before, after, post]);
    model.dispose();
  });

  it('loss = Σ_{batch, outputs}(ŷ − y)² / T + β·mean_batch Σ_states KL, computed independently in float64', () => {
    const model = new ForecastModel(tinySpec, 'sii', 'loss');
    const u = u3();
    const y = y3();
    const e = eps2();
    const beta = 1;
    const got = forecastLoss(model, u, y, e, beta);
    // float64: encoder on u_0, z0 = μ + exp(½ log σ²)·ε, rollout, decoder
    const enc = EPS.map((_, b) => headForward(model.encoder, U[0][b], Math.tanh));
    const mu = enc.map((o) => o.slice(0, 3));
    const lv = enc.map((o) => o.slice(3));
    const z0 = mu.map((m, b) => m.map((v, i) => v + Math.exp(0.5 * lv[b][i]) * EPS[b][i]));
    const pred = reference(model, U, z0);
    let sq = 0;
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < 2; j++) sq += (pred[t][b][j] - Y[t][b][j]) ** 2;
    let kl = 0;
    for (let b = 0; b < B; b++) for (let i = 0; i < 3; i++) kl += 0.5 * (mu[b][i] ** 2 + Math.exp(lv[b][i]) - 1 - lv[b][i]);
    const want = sq / T + (beta * kl) / B;
    expect(got.dataSync()[0]).toBeCloseTo(want, 4);
    expect(Math.abs(got.dataSync()[0] - want) / want).toBeLessThan(1e-5);
    tf.dispose([u, y, e, got]);
    model.dispose();
  });

  it('the loss gradient reaches the encoder through the rollout (central differences)', () => {
    const model = new ForecastModel(tinySpec, 'sii', 'grad');
    const u = u3();
    const y = y3();
    const e = eps2();
    // the bias of the encoder's output layer: entry 0 moves μ_0 only through z0 and the KL term
    const bias = model.encoder.linears[2].b;
    const { grads } = tf.variableGrads(() => forecastLoss(model, u, y, e, 1), [bias]);
    const g = grads[bias.name].dataSync();
    const base = Float32Array.from(bias.dataSync());
    const lossAt = (j: number, d: number) => {
      const v = Float32Array.from(base);
      v[j] += d;
      bias.assign(tf.tensor1d(v));
      return tf.tidy(() => forecastLoss(model, u, y, e, 1).dataSync()[0]);
    };
    for (const j of [0, 1, 4]) {
      const fd = (lossAt(j, 1e-2) - lossAt(j, -1e-2)) / 2e-2;
      expect(Math.abs(g[j] - fd)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    }
    // the reconstruction contributes, not only the KL term
    bias.assign(tf.tensor1d(base));
    const kl = tf.variableGrads(() => {
      const r = model.forward(u, e, 'train');
      return klToStandardNormal(r.mu!, r.logvar!);
    }, [bias]);
    const gk = kl.grads[bias.name].dataSync();
    expect(Math.abs(g[0] - gk[0])).toBeGreaterThan(1e-3);
    tf.dispose([u, y, e, kl.value, ...Object.values(kl.grads), ...Object.values(grads)]);
    model.dispose();
  });

  it('KL of N(μ, σ²) to N(0, 1): zero at the prior, ½(μ² + σ² − 1 − log σ²) per state otherwise', () => {
    const zero = klToStandardNormal(tf.zeros([2, 3]) as Tensor2D, tf.zeros([2, 3]) as Tensor2D);
    expect(zero.dataSync()[0]).toBe(0);
    const kl = klToStandardNormal(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, Math.log(4)]]));
    // ½(1) + ½(4 − 1 − log 4)
    expect(kl.dataSync()[0]).toBeCloseTo(0.5 + 0.5 * (3 - Math.log(4)), 5);
  });
});

describe('LayerNorm on the tfjs backend', () => {
  it('matches torch.nn.LayerNorm (biased variance, ε 1e-5) and its gradient matches float64 central differences', () => {
    const ln = new LayerNorm(4);
    ln.gamma.assign(tf.tensor1d([1.5, -0.5, 2, 0.25]));
    ln.beta.assign(tf.tensor1d([0.1, 0.2, -0.3, 0]));
    const X = [
      [0.3, -1.2, 2.0, 0.7],
      [1.0, 1.1, 0.9, -0.4],
    ];
    const Wt = [
      [0.5, -1, 2, 0.3],
      [1, 0.2, -0.7, 1.5],
    ];
    const g = [1.5, -0.5, 2, 0.25];
    const bt = [0.1, 0.2, -0.3, 0];
    // float64 objective Σ Wt ⊙ LN(x)
    const objective = (x: number[][], gamma: number[]) =>
      x.reduce((s, row, r) => {
        const mean = row.reduce((a, v) => a + v, 0) / 4;
        const sd = Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / 4 + 1e-5);
        return s + row.reduce((a, v, j) => a + Wt[r][j] * (((v - mean) / sd) * gamma[j] + bt[j]), 0);
      }, 0);
    const value = tf.tidy(() => tf.sum(tf.mul(ln.apply(tf.tensor2d(X)), tf.tensor2d(Wt))).dataSync()[0]);
    expect(value).toBeCloseTo(objective(X, g), 5);
    const { value: v2, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(ln.apply(tf.tensor2d(X)), tf.tensor2d(Wt))) as tf.Scalar,
      ln.variables,
    );
    const dx = tf
      .grad((x: tf.Tensor) => tf.sum(tf.mul(ln.apply(x as Tensor2D), tf.tensor2d(Wt))))(tf.tensor2d(X))
      .arraySync() as number[][];
    const d = 1e-6;
    for (let r = 0; r < 2; r++)
      for (let j = 0; j < 4; j++) {
        const plus = X.map((row) => row.slice());
        const minus = X.map((row) => row.slice());
        plus[r][j] += d;
        minus[r][j] -= d;
        expect(dx[r][j]).toBeCloseTo((objective(plus, g) - objective(minus, g)) / (2 * d), 3);
      }
    const dGamma = grads[ln.gamma.name].dataSync();
    for (let j = 0; j < 4; j++) {
      const gp = g.slice();
      const gm = g.slice();
      gp[j] += d;
      gm[j] -= d;
      expect(dGamma[j]).toBeCloseTo((objective(X, gp) - objective(X, gm)) / (2 * d), 3);
    }
    // ∂/∂β_j = Σ_rows Wt[r][j]
    expect(Array.from(grads[ln.beta.name].dataSync())).toEqual(Wt[0].map((w, j) => expect.closeTo(w + Wt[1][j], 5)));
    tf.dispose([v2, ...Object.values(grads)]);
    ln.dispose();
  });
});

describe('LayerNorm: the hand-written op equals the tfjs-kernel reference', () => {
  it('values and gradients (x, γ, β) equal applyReference on every width remainder; no tensor leaks', () => {
    let variableCount = 0;
    for (const [R, H] of [
      [5, 1],
      [7, 3],
      [37, 13],
      [64, 128],
    ]) {
      const ln = new LayerNorm(H);
      const rng = new Rng(`ln${R}x${H}`);
      const normal = (k: number) => Float32Array.from({ length: k }, () => rng.normal());
      ln.gamma.assign(tf.tensor1d(normal(H)));
      ln.beta.assign(tf.tensor1d(normal(H)));
      const x = tf.tensor2d(
        normal(R * H).map((v, i) => 3 * v + (i % 5)),
        [R, H],
      );
      const w = tf.tensor2d(normal(R * H), [R, H]);
      const run = (f: (x: Tensor2D) => Tensor2D) =>
        tf.tidy(() => {
          const xv = tf.variable(x, true, `lnx${variableCount++}`);
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(xv), w)) as tf.Scalar, [xv, ln.gamma, ln.beta]);
          const out = {
            y: f(x).dataSync().slice(),
            value: value.dataSync()[0],
            dx: grads[xv.name].dataSync().slice(),
            dGamma: grads[ln.gamma.name].dataSync().slice(),
            dBeta: grads[ln.beta.name].dataSync().slice(),
          };
          xv.dispose();
          return out;
        });
      const want = run((t) => ln.applyReference(t));
      const before = tf.memory().numTensors;
      const got = run((t) => ln.apply(t));
      expect(tf.memory().numTensors).toBe(before);
      const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
        const scale = Math.max(1, ...Array.from(b, Math.abs));
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]) / scale, `${what}[${i}] R ${R} H ${H}`).toBeLessThan(tol);
      };
      // both float32; ours sums rows in float64: agreement to a few float32 ulps of the scale
      close(got.y, want.y, 2e-6, 'y');
      close(got.dx, want.dx, 1e-5, 'dx');
      close(got.dGamma, want.dGamma, 1e-5, 'dγ');
      close(got.dBeta, want.dBeta, 1e-5, 'dβ');
      if (H === 1) expect(Array.from(got.dx)).toEqual(Array.from({ length: R }, () => 0)); // x̂ ≡ 0: no dependence on x
      tf.dispose([x, w]);
      ln.dispose();
    }
  });
});

describe('NormalizedMlp: the SIMD dense layers and the LayerNorm op equal the tfjs-kernel reference', () => {
  it('head outputs and the gradients of every variable and of the input agree (tanh and ReLU heads, odd sizes)', () => {
    for (const [rows, inDim, hidden, outDim, act] of [
      [64, 1, 128, 64, 'tanh'],
      [37, 5, 13, 3, 'relu'],
      [300, 32, 128, 1, 'relu'],
    ] as const) {
      const head = new NormalizedMlp(inDim, hidden, outDim, 3, act, new Rng(`head${rows}`).fork('h'));
      const rng = new Rng(`x${rows}`);
      const x = tf.tensor2d(
        Float32Array.from({ length: rows * inDim }, () => rng.normal()),
        [rows, inDim],
      );
      const w = tf.tensor2d(
        Float32Array.from({ length: rows * outDim }, () => rng.normal()),
        [rows, outDim],
      );
      const run = (reference: boolean) =>
        tf.tidy(() => {
          const loss = (a: tf.Tensor) => tf.sum(tf.mul(head.apply(a as Tensor2D, reference), w)) as tf.Scalar;
          const { value, grads } = tf.variableGrads(() => loss(x), head.variables);
          return {
            value: value.dataSync()[0],
            dx: tf.grad(loss)(x).dataSync().slice(),
            grads: head.variables.map((v) => grads[v.name].dataSync().slice()),
          };
        });
      const want = run(true);
      const before = tf.memory().numTensors;
      const got = run(false);
      expect(tf.memory().numTensors).toBe(before);
      const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
        const scale = Math.max(1e-3, ...Array.from(b, Math.abs));
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]) / scale, `${what}[${i}] rows ${rows}`).toBeLessThan(2e-5);
      };
      expect(got.value).toBeCloseTo(want.value, 3);
      close(got.dx, want.dx, 'dx');
      for (const [i, g] of want.grads.entries()) close(got.grads[i], g, head.variables[i].name);
      tf.dispose([x, w]);
      head.dispose();
    }
  });
});

describe('test metric and the protocol', () => {
  const dataset = (N: number): ForecastDataset => {
    const r = new Rng('ds');
    const inputs = Float32Array.from({ length: N * T * 2 }, () => r.normal());
    const targets = Float32Array.from({ length: N * T * 2 }, () => r.normal());
    const stats = {
      inputMean: new Float64Array(2),
      inputStd: new Float64Array(2).fill(1),
      targetMean: new Float64Array(2),
      targetStd: new Float64Array(2).fill(1),
    };
    return {
      name: 'x',
      inputs,
      targets,
      shape: { samples: N, steps: T, inputDim: 2, targetDim: 2 },
      dt: 0.1,
      inputNames: ['a', 'b'],
      targetNames: ['c', 'd'],
      stats,
      origins: new Int32Array(2 * N),
    };
  };

  it('test MSE is the overall mean over windows, steps and outputs whatever the batch size; prior draws are seeded', () => {
    const model = new ForecastModel(tinySpec, 'sii', 'metric');
    const d = dataset(5);
    const a = forecastTestMse(model, d, 'prior', new Rng('p'), 2);
    const b = forecastTestMse(model, d, 'prior', new Rng('p'), 512);
    expect(a).toBeCloseTo(b, 6);
    expect(forecastTestMse(model, d, 'prior', new Rng('p'))).toBe(b);
    expect(forecastTestMse(model, d, 'prior', new Rng('q'))).not.toBe(b);
    // by hand: windows in order, ε from the stream
    const pr = new Rng('p');
    const eps = Array.from({ length: 5 }, () => [pr.normal(), pr.normal(), pr.normal()]);
    const u = Array.from({ length: T }, (_, t) =>
      Array.from({ length: 5 }, (_, w) => [d.inputs[(w * T + t) * 2], d.inputs[(w * T + t) * 2 + 1]]),
    );
    const pred = reference(model, u, eps);
    let s = 0;
    for (let t = 0; t < T; t++)
      for (let w = 0; w < 5; w++) for (let j = 0; j < 2; j++) s += (pred[t][w][j] - d.targets[(w * T + t) * 2 + j]) ** 2;
    expect(b).toBeCloseTo(s / (5 * T * 2), 5);
    model.dispose();
  });

  it("paper scale is the authors' protocol with no deviation; laptop lists each scaled value with its reason", () => {
    const base = {
      dataset: 'engine' as const,
      data: 'x.csv',
      seed: 0,
      inits: ['sii' as const, 'baseline' as const],
      backend: 'wasm' as const,
    };
    expect(presetDeviations({ ...forecastPreset('paper'), ...base, scale: 'paper' })).toEqual([]);
    expect(AUTHORS_PROTOCOL).toMatchObject({
      states: 32,
      hidden: 128,
      layers: 3,
      batch: 512,
      lr: 1e-4,
      clip: 1,
      epochs: 100,
      klWeight: 1,
      optimizer: 'nadam',
      compensation: 'none',
      evalInitialState: 'prior',
      solver: 'midpoint',
      activation: 'silu',
      eps: -0.01,
    });
    const dev = presetDeviations({ ...forecastPreset('laptop'), ...base, scale: 'laptop' });
    expect(dev.map((x) => x.setting).sort()).toEqual(['batch', 'epochs', 'maxTestWindows', 'maxTrainWindows']);
    expect(dev.every((x) => x.reason.length > 10)).toBe(true);
    const flagged = presetDeviations({ ...forecastPreset('paper'), ...base, scale: 'paper', klWeight: 1e-3, lrDecay: 0.999 });
    // 0.999 is the engine's own value: not a deviation; the KL weight is
    expect(flagged).toEqual([{ setting: 'klWeight', authors: '1', ours: '0.001', reason: 'set by flag' }]);
  });

  it('a tiny run trains on fit(), leaves no tensors behind and records the initial test MSE', async () => {
    const before = tf.memory().numTensors;
    const c = {
      ...forecastPreset('tiny'),
      dataset: 'duffing' as const,
      data: null,
      seed: 0,
      inits: ['sii' as const],
      backend: 'wasm' as const,
      scale: 'tiny' as const,
    };
    const r = await runForecastTask({ kind: 'forecast', run: 0, runSeed: 'tiny', init: 'sii', config: c });
    const again = await runForecastTask({ kind: 'forecast', run: 0, runSeed: 'tiny', init: 'sii', config: c });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.error).toBeUndefined();
    expect(r.curves.testMse).toHaveLength(2);
    expect(Number.isFinite(r.metrics.initialTestMse)).toBe(true);
    expect(again.curves.testMse).toEqual(r.curves.testMse);
    expect(r.initialPoles).toHaveLength(c.states);
  });
});
