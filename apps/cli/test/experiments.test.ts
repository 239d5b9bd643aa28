/**
 * Unit tests of the experiments' building blocks (loss weights, cross-entropy and its gradient,
 * schedule, statistics, PNG encoding, the SII/baseline wiring), run from the sources.
 */
import { inflateSync } from 'node:zlib';
import { eigenvalues, Rng } from '@sii/linalg';
import { activationSupSlope, mlpJacobian64 } from '@sii/mlp';
import { initBackend } from '@sii/neural-ode';
import { getTableau, stabilityAbs, stabilityPolynomial } from '@sii/rk';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { forecastPreset, runForecastTask, subsampleWindows } from '../src/experiments/forecast.js';
import { latentPreset, runLatentTask, trainHorizon } from '../src/experiments/latent.js';
import { buildOde, fmtMeanStd, linearLrFactor, meanStd, oneHot, stepWeights, weightedCrossEntropy } from '../src/experiments/nn.js';
import {
  accumulatedStep,
  groupSteps,
  PixelModel,
  pixelLoss,
  pixelLossReference,
  pixelPreset,
  runPixelTask,
} from '../src/experiments/pixel.js';
import { crc32, encodePng } from '../src/experiments/png.js';
import { tinyPixelConfig } from './helpers/pixel.js';

beforeAll(async () => {
  await initBackend();
});

describe('loss weights and schedule', () => {
  it('w = linspace(0.1, 1, T)^4', () => {
    const w = stepWeights(4);
    const lin = [0.1, 0.4, 0.7, 1];
    for (const [i, x] of lin.entries()) expect(w[i]).toBeCloseTo(x ** 4, 7);
  });
  it('linear learning-rate factor goes from 1 to the end factor like torch LinearLR', () => {
    expect(linearLrFactor(0, 10)).toBe(1);
    expect(linearLrFactor(5, 10)).toBeCloseTo(0.55, 12);
    expect(linearLrFactor(10, 10)).toBeCloseTo(0.1, 12);
  });
  it('mean and sample standard deviation', () => {
    const s = meanStd([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanStd([3]).std).toBe(0);
    expect(fmtMeanStd([1, 3, Number.NaN], 2)).toBe(`2.00 ± ${Math.SQRT2.toFixed(2)} (2 of 3 runs)`);
  });
});

describe('weighted cross-entropy', () => {
  const T = 3;
  const B = 2;
  const C = 4;
  const rng = new Rng(7);
  const z = Array.from({ length: T * B * C }, () => rng.normal(0, 2));
  const labels = [1, 3];
  const w = [0.2, 0.5, 1];
  /** Float64 reference: Σ_s w_s · mean_b (logsumexp(z_sb) − z_sb,y). */
  const reference = (zz: number[]) => {
    let total = 0;
    for (let s = 0; s < T; s++) {
      let ce = 0;
      for (let b = 0; b < B; b++) {
        const row = zz.slice((s * B + b) * C, (s * B + b + 1) * C);
        const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
        ce += lse - row[labels[b]];
      }
      total += (w[s] * ce) / B;
    }
    return total;
  };
  it('value matches a float64 computation', () => {
    const v = tf.tidy(
      () => weightedCrossEntropy(tf.tensor3d(z, [T, B, C]), oneHot(Int32Array.from(labels), C), tf.tensor1d(w)).dataSync()[0],
    );
    expect(v).toBeCloseTo(reference(z), 4);
  });
  it('gradient matches central finite differences of the float64 reference', () => {
    const g = tf.tidy(() => {
      const onehot = oneHot(Int32Array.from(labels), C);
      const weights = tf.tensor1d(w);
      return tf
        .grad((x: tf.Tensor) => weightedCrossEntropy(x, onehot, weights))(tf.tensor3d(z, [T, B, C]))
        .dataSync();
    });
    const d = 1e-6;
    for (let i = 0; i < z.length; i++) {
      const zp = z.slice();
      const zm = z.slice();
      zp[i] += d;
      zm[i] -= d;
      expect(g[i]).toBeCloseTo((reference(zp) - reference(zm)) / (2 * d), 4);
    }
  });
});

describe('SII and baseline arms', () => {
  const c = { states: 6, inputs: 6, hidden: 12, layers: 3, activation: 'elu' as const, solver: 'midpoint', h: 0.1, eps: -0.01 };
  it('the SII field has Jacobian eigenvalues at the origin equal to the sampled poles, strictly inside the solver region', () => {
    const { field, poles } = buildOde('sii', c, 'seed-a');
    const w = field.getWeights();
    const J = mlpJacobian64(c, w, new Float64Array(6), new Float64Array(6));
    const eig = eigenvalues(J)
      .map((z) => z.re)
      .sort((a, b) => a - b);
    const sampled = poles!.map((p) => p.re).sort((a, b) => a - b);
    for (const [i, x] of eig.entries()) expect(x).toBeCloseTo(sampled[i], 2);
    const R = stabilityPolynomial(getTableau('midpoint'));
    for (const p of poles!) {
      expect(p.im).toBe(0);
      expect(stabilityAbs(R, p.re * c.h, 0)).toBeLessThan(1 - 0.01 + 1e-12);
    }
    field.dispose();
  });
  it("SiLU, L = 3: compensation 'none' (default, the authors') starts with the poles / 4, 'max' with 0.207·poles, 'exact' with the poles", () => {
    const factors = { none: 0.25, max: (0.5 / activationSupSlope('silu')) ** 2, exact: 1 };
    expect(factors.max).toBeCloseTo(0.2067, 4);
    for (const compensation of [undefined, 'none', 'max', 'exact'] as const) {
      const cs = { ...c, activation: 'silu' as const, ...(compensation ? { compensation } : {}) };
      const { field, poles } = buildOde('sii', cs, 'seed-b');
      const J = mlpJacobian64(cs, field.getWeights(), new Float64Array(6), new Float64Array(6));
      const eig = eigenvalues(J)
        .map((z) => z.re)
        .sort((a, b) => a - b);
      const want = poles!.map((p) => p.re * factors[compensation ?? 'none']).sort((a, b) => a - b);
      // float32 weights and the ±1e-4 biases: relative agreement ~1e-4
      for (const [i, x] of eig.entries()) expect(Math.abs(x - want[i]), `${compensation} eig ${i}`).toBeLessThan(2e-3 * Math.abs(want[i]));
      field.dispose();
    }
  });
  it('both arms share encoder and decoder weights; only the ODE field differs', () => {
    const config = tinyPixelConfig(['sii', 'baseline']);
    const a = new PixelModel(config, 28, 10, 'sii', 'run-x');
    const b = new PixelModel(config, 28, 10, 'baseline', 'run-x');
    expect(Array.from(a.encoder.w.dataSync())).toEqual(Array.from(b.encoder.w.dataSync()));
    expect(Array.from(a.dec2.w.dataSync())).toEqual(Array.from(b.dec2.w.dataSync()));
    expect(Array.from(a.field.variables[0].dataSync())).not.toEqual(Array.from(b.field.variables[0].dataSync()));
    a.dispose();
    b.dispose();
  });
});

describe('data reshaping', () => {
  it('groupSteps turns [N, 784, 1] into [N, 28, 28] without moving data', () => {
    const d = { x: new Float32Array(2 * 784), y: new Int32Array(2), shape: [2, 784, 1] as [number, number, number], classes: 10 };
    expect(groupSteps(d, 28).shape).toEqual([2, 28, 28]);
    expect(() => groupSteps(d, 5)).toThrow(/pixels-per-step/);
  });
  it('subsampleWindows keeps evenly spaced windows with their data', () => {
    const N = 10;
    const T = 2;
    const d = {
      name: 'x',
      inputs: Float32Array.from({ length: N * T }, (_, i) => i),
      targets: Float32Array.from({ length: N * T }, (_, i) => -i),
      shape: { samples: N, steps: T, inputDim: 1, targetDim: 1 },
      dt: 1,
      inputNames: ['u'],
      targetNames: ['y'],
      stats: {
        inputMean: new Float64Array(1),
        inputStd: new Float64Array(1),
        targetMean: new Float64Array(1),
        targetStd: new Float64Array(1),
      },
      origins: Int32Array.from({ length: 2 * N }, (_, i) => i),
    };
    const s = subsampleWindows(d, 4); // windows 0, 2, 5, 7
    expect(s.shape.samples).toBe(4);
    expect(Array.from(s.inputs)).toEqual([0, 1, 4, 5, 10, 11, 14, 15]);
    expect(Array.from(s.targets)).toEqual([-0, -1, -4, -5, -10, -11, -14, -15]);
  });
});

describe('PNG writer', () => {
  it('CRC-32 of "123456789" is the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
  it('writes signature, IHDR and an IDAT that inflates to the filtered rows', () => {
    const w = 3;
    const h = 2;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 17) % 256);
    const png = encodePng(rgb, w, h);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString('ascii', 12, 16)).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(w);
    expect(png.readUInt32BE(20)).toBe(h);
    expect(png.readUInt32BE(29)).toBe(crc32(png.subarray(12, 29)));
    const idatLen = png.readUInt32BE(33);
    expect(png.toString('ascii', 37, 41)).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(raw.length).toBe(h * (1 + 3 * w));
    for (let y = 0; y < h; y++) {
      expect(raw[y * (1 + 3 * w)]).toBe(0);
      expect(Array.from(raw.subarray(y * (1 + 3 * w) + 1, (y + 1) * (1 + 3 * w)))).toEqual(
        Array.from(rgb.subarray(y * 3 * w, (y + 1) * 3 * w)),
      );
    }
    expect(png.toString('ascii', png.length - 8, png.length - 4)).toBe('IEND');
  });
});

describe('training loops', () => {
  const base = { seed: 0, inits: ['sii' as const, 'baseline' as const], backend: 'wasm' as const, scale: 'tiny' as const };
  it('leave no tensors behind and record one curve value per epoch', async () => {
    const before = tf.memory().numTensors;
    const px = runPixelTask({
      kind: 'pixel',
      run: 0,
      runSeed: 't',
      init: 'sii',
      config: { ...pixelPreset('tiny', 'smnist'), ...base, dataset: 'smnist', data: null },
    });
    const fc = await runForecastTask({
      kind: 'forecast',
      run: 0,
      runSeed: 't',
      init: 'baseline',
      config: { ...forecastPreset('tiny'), ...base, dataset: 'tanks', data: null },
    });
    const lt = runLatentTask({
      kind: 'latent',
      run: 0,
      runSeed: 't',
      init: 'sii',
      config: { ...latentPreset('tiny'), ...base, system: 'mass-spring' },
    });
    expect(tf.memory().numTensors).toBe(before);
    for (const [r, epochs] of [
      [px, pixelPreset('tiny', 'smnist').epochs],
      [fc, forecastPreset('tiny').epochs],
      [lt, latentPreset('tiny').epochs],
    ] as const) {
      expect(r.error).toBeUndefined();
      expect(r.epochsRun).toBe(epochs);
      expect(r.curves.trainLoss).toHaveLength(epochs);
    }
    // SII arms record their sampled poles, the baseline arm none.
    expect(px.initialPoles).toHaveLength(pixelPreset('tiny', 'smnist').states);
    expect(fc.initialPoles).toBeUndefined();
  });
});

describe('latent training-horizon curriculum', () => {
  it('grows linearly from horizonStart to horizon over rampEpochs, then stays at horizon', () => {
    const c = { horizon: 60, horizonStart: 10, rampEpochs: 40 };
    // round(10 + 50·e/40)
    expect([0, 1, 20, 39, 40, 59].map((e) => trainHorizon(c, e))).toEqual([10, 11, 35, 59, 60, 60]);
    expect(trainHorizon({ ...c, rampEpochs: 0 }, 0)).toBe(60);
    expect(trainHorizon({ ...c, horizonStart: 80 }, 0)).toBe(60);
  });
  it('is off in the paper and laptop presets (full rollouts, no auxiliary term, as the authors)', () => {
    for (const p of [latentPreset('paper'), latentPreset('laptop')]) {
      expect(trainHorizon(p, 0)).toBe(p.horizon);
      expect(p.reconWeight).toBe(0);
    }
    const p = latentPreset('paper');
    expect([p.frameSize, p.lr, p.horizon]).toEqual([32, 1e-4, 60]);
  });
});

describe('gradient accumulation (--micro-batch)', () => {
  it('passes the optimizer the full-batch gradient', () => {
    const config = tinyPixelConfig();
    const model = new PixelModel(config, 5, 10, 'sii', 'acc');
    const B = 6;
    const T = 4;
    const rng = new Rng(3);
    const x = Float32Array.from({ length: B * T * 5 }, () => rng.normal());
    const labels = Int32Array.from({ length: B }, (_, i) => (3 * i) % 10);
    const w = stepWeights(T);
    let seen: number[][] = [];
    const recorder = {
      iterations: 0,
      learningRate: 0,
      dispose() {},
      step: (_v: readonly tf.Variable[], g: readonly tf.Tensor[]) => {
        seen = g.map((t) => Array.from(t.dataSync()));
      },
    };
    const loss = accumulatedStep(model, recorder, x, labels, [B, T, 5], w, 4, null); // chunks of 4 and 2
    const full = tf.tidy(() => {
      const xt = tf.tensor3d(x, [B, T, 5]);
      const y = oneHot(labels, 10);
      const { value, grads } = tf.variableGrads(() => pixelLossReference(model, xt, y, tf.tensor1d(w)), model.variables);
      return { value: value.dataSync()[0], grads: model.variables.map((v) => Array.from(grads[v.name].dataSync())) };
    });
    expect(loss).toBeCloseTo(full.value, 4);
    for (const [i, g] of full.grads.entries()) {
      const scale = Math.max(1e-3, ...g.map(Math.abs));
      for (const [j, v] of g.entries()) expect(Math.abs(seen[i][j] - v) / scale).toBeLessThan(1e-4);
    }
    model.dispose();
  });
});

describe('pixelLoss (integer labels, step weights as an array)', () => {
  it('value and every parameter gradient equal the tfjs reference (one-hot, weights tensor), 10 classes, batch 7', () => {
    const config = tinyPixelConfig();
    const model = new PixelModel(config, 5, 10, 'sii', 'ce');
    const [B, T] = [7, 6];
    const rng = new Rng(5);
    const x = tf.tensor3d(
      Float32Array.from({ length: B * T * 5 }, () => rng.normal()),
      [B, T, 5],
    );
    const labels = Int32Array.from({ length: B }, (_, i) => (7 * i + 2) % 10);
    const w = stepWeights(T);
    const run = (loss: () => tf.Scalar) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, model.variables);
        return { value: value.dataSync()[0], grads: model.variables.map((v) => Array.from(grads[v.name].dataSync())) };
      });
    const want = run(() => pixelLossReference(model, x, oneHot(labels, 10), tf.tensor1d(w)));
    const before = tf.memory().numTensors;
    const got = run(() => pixelLoss(model, x, labels, w));
    expect(tf.memory().numTensors).toBe(before);
    expect(got.value).toBeCloseTo(want.value, 5);
    for (const [i, g] of want.grads.entries()) {
      const scale = Math.max(1e-3, ...g.map(Math.abs));
      for (const [j, v] of g.entries()) expect(Math.abs(got.grads[i][j] - v) / scale).toBeLessThan(1e-4);
    }
    x.dispose();
    model.dispose();
  });
});

describe('recomputation in the ODE rollout (--checkpoint-every)', () => {
  it('gives the same loss bit for bit and the same gradients to float32 rounding as the full tape (bit for bit for k >= T)', () => {
    const base = tinyPixelConfig();
    expect(base.checkpointEvery).toBe('auto');
    const B = 3;
    const T = 6;
    const rng = new Rng(5);
    const x = Float32Array.from({ length: B * T * 2 }, () => rng.normal());
    const labels = Int32Array.from({ length: B }, (_, i) => (7 * i) % 10);
    const w = stepWeights(T);
    const grads = (checkpointEvery: number | 'auto' | null) => {
      const model = new PixelModel({ ...base, checkpointEvery }, 2, 10, 'sii', 'ckpt');
      expect(model.ode.checkpointEvery).toBe(checkpointEvery);
      const out = tf.tidy(() => {
        const xt = tf.tensor3d(x, [B, T, 2]);
        const { value, grads: g } = tf.variableGrads(() => pixelLoss(model, xt, labels, w), model.variables);
        return [value, ...model.variables.map((v) => g[v.name])].map((t) => (t.dataSync() as Float32Array).slice());
      });
      model.dispose();
      return out;
    };
    const full = grads(null);
    const bits = (a: Float32Array[]) => a.map((t) => Array.from(new Uint32Array(t.buffer)));
    // k >= T is one segment, 'auto' the full tape at this size: the same bits.
    for (const k of [6, 10, 'auto' as const]) expect(bits(grads(k)), `checkpointEvery ${k}`).toEqual(bits(full));
    // k < T: the field's weight gradients are summed per segment; every other number is the same bits.
    for (const k of [1, 2, 4]) {
      const g = grads(k);
      expect(bits([g[0]]), `loss, checkpointEvery ${k}`).toEqual(bits([full[0]]));
      g.forEach((t, i) => {
        const scale = full[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const worst = t.reduce((m, v, j) => Math.max(m, Math.abs(v - full[i][j])), 0);
        expect(worst, `checkpointEvery ${k}, tensor ${i}`).toBeLessThanOrEqual(1e-5 * scale);
      });
    }
  });
});
