/**
 * The authors' latent-dynamics model (their latent_dynamics/models/latent_dynamics.py,
 * configs/latent_dynamics/*.json) as built here: parameter count at paper scale computed by hand from
 * their layer definitions, shapes, the loss on a fixed input against float64, the metrics' definitions,
 * training/evaluation modes, and the listed deviations of the laptop preset.
 */
import { Rng } from '@sii/linalg';
import { initBackend } from '@sii/neural-ode';
import type { Tensor5D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchMetrics } from '../src/experiments/latent/metrics.js';
import { ConvLatentModel, latentLoss } from '../src/experiments/latent/model.js';
import { type LatentConfig, latentDeviations, latentPreset, paperLatentPreset } from '../src/experiments/latent.js';
import { registerConvGradients } from '../src/experiments/layers/index.js';

beforeAll(async () => {
  await initBackend();
  registerConvGradients();
});

const field = { inputs: 0, layers: 3, activation: 'silu' as const, solver: 'midpoint', h: 0.1, eps: -0.01, compensation: 'none' as const };

describe('parameter count at paper scale', () => {
  it('equals torch’s count of the authors’ LatentDynamics (n_latent 128, n_hidden 136, n_layers 2), 1 392 211', () => {
    // By hand, torch layers (weight + bias; BatchNorm/GroupNorm: weight + bias; c = 64, n = 128):
    //   ConvEmbed: Conv3d(3→64, 1×3×3) 1 728 + 64, BN 128, Conv3d(64→64, 1×3×3) 36 864 + 64, BN 128   =  38 976
    //   down1: 2 × [Conv3d(64→64, 3×3×3) 110 592 + 64, BN 128]                                        = 221 568
    //   down2: Conv3d(64→128) 221 184 + 128, BN 256, Conv3d(128→128) 442 368 + 128, BN 256             = 664 320
    //   NeuralODE MLP (Linear 128→136, 136→136, 136→128): 17 544 + 18 632 + 17 536                     =  53 712
    //   up0: ConvTranspose3d(128→128, 1×2×2) 65 536 + 128, GroupNorm(8, 128) 256                        =  65 920
    //   up1: ConvTranspose3d(128→64, 1×2×2) 32 768 + 64, BN 128, 4 × [Conv3d(64→64, 1×3×3) 36 928, BN 128] = 181 184
    //   up2: ConvTranspose3d(64→64, 1×2×2) 16 384 + 64, BN 128, 4 × [36 928 + 128]                       = 164 800
    //   out: ConvTranspose3d(64→3, 1×3×3) 1 728 + 3                                                      =   1 731
    const m = new ConvLatentModel({ ...field, states: 128, hidden: 136, frameSize: 32, inputFrames: 10, dropout: 0 }, 'baseline', 'count');
    expect(m.parameterCount).toBe(1_392_211);
    expect(m.field.variables.reduce((s, v) => s + v.size, 0)).toBe(53_712);
    expect(m.grid).toBe(4);
    m.dispose();
  });
});

describe('shapes and modes', () => {
  const cfg = { ...field, states: 16, hidden: 24, frameSize: 16, inputFrames: 10, dropout: 0 };
  const frames = () =>
    tf.tensor5d(Float32Array.from(new Rng('frames').fillUniform(new Float64Array(2 * 10 * 16 * 16 * 3))), [2, 10, 16, 16, 3]);

  it('10 frames → one latent state per cell of the S/8 grid; T steps → T frames in (0, 1)', () => {
    const m = new ConvLatentModel(cfg, 'sii', 'shapes');
    tf.tidy(() => {
      const x = frames();
      // depth 10 → 5 → 2 (max pools) → 1 (avg pool): one state per sample and cell
      expect(m.encode(x, false).shape).toEqual([2 * 2 * 2, 16]);
      const y = m.predict(x, 3, false);
      expect(y.shape).toEqual([2, 3, 16, 16, 3]);
      const v = y.dataSync();
      expect(Math.min(...v)).toBeGreaterThan(0);
      expect(Math.max(...v)).toBeLessThan(1);
    });
    m.dispose();
  });

  it('every trainable variable receives a gradient from the loss', () => {
    const m = new ConvLatentModel(cfg, 'sii', 'grads');
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = frames();
      const truth = tf.zeros([2, 2, 16, 16, 3]) as Tensor5D;
      const { grads } = tf.variableGrads(() => latentLoss(m.predict(x, 2, true), truth), m.variables);
      for (const v of m.variables) expect(tf.max(tf.abs(grads[v.name])).dataSync()[0]).toBeGreaterThan(0);
    });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('dropout acts in training only; BatchNorm uses batch statistics in training and running averages in evaluation', () => {
    const m = new ConvLatentModel({ ...cfg, dropout: 0.2 }, 'baseline', 'modes');
    tf.tidy(() => {
      const x = frames();
      const e1 = m.predict(x, 1, false).dataSync();
      const e2 = m.predict(x, 1, false).dataSync();
      expect(Array.from(e2)).toEqual(Array.from(e1));
      const t1 = m.predict(x, 1, true).dataSync();
      const t2 = m.predict(x, 1, true).dataSync();
      expect(Array.from(t2)).not.toEqual(Array.from(t1));
      expect(Array.from(t1)).not.toEqual(Array.from(e1));
    });
    m.dispose();
  });

  it('names the offending value on sizes the architecture cannot take', () => {
    expect(() => new ConvLatentModel({ ...cfg, frameSize: 12 }, 'baseline', 'x')).toThrow(/frameSize must be a multiple of 8.*got 12/);
    expect(() => new ConvLatentModel({ ...cfg, inputFrames: 7 }, 'baseline', 'x')).toThrow(/inputFrames must be an integer >= 8.*got 7/);
    expect(() => new ConvLatentModel({ ...cfg, states: 12, hidden: 12 }, 'baseline', 'x')).toThrow(/states .* multiple of 8.*got 12/);
  });
});

describe("convImpl 'simd' (direct SIMD convolution, fused Conv → BatchNorm → SiLU) against the im2col reference", () => {
  const cfg = { ...field, states: 16, hidden: 24, frameSize: 16, inputFrames: 10, dropout: 0 };
  const frames = () =>
    tf.tensor5d(Float32Array.from(new Rng('frames').fillUniform(new Float64Array(2 * 10 * 16 * 16 * 3))), [2, 10, 16, 16, 3]);
  const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));

  it('same parameters; the same loss, gradients, running averages and evaluation to float32 rounding; no tensor leaks', () => {
    const ref = new ConvLatentModel({ ...cfg, convImpl: 'im2col' }, 'sii', 'simd-vs-ref');
    const simd = new ConvLatentModel({ ...cfg, convImpl: 'simd' }, 'sii', 'simd-vs-ref');
    expect(simd.impl).toBe('simd');
    expect(ref.variables.length).toBe(simd.variables.length);
    ref.variables.forEach((v, i) => {
      expect(Array.from(simd.variables[i].dataSync())).toEqual(Array.from(v.dataSync()));
    });
    const x = frames();
    const truth = tf.tensor5d(Float32Array.from(new Rng('truth').fillUniform(new Float64Array(2 * 3 * 16 * 16 * 3))), [2, 3, 16, 16, 3]);
    const step = (m: ConvLatentModel) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => latentLoss(m.predict(x, 3, true), truth), m.variables);
        return { loss: value.dataSync()[0], grads: m.variables.map((v) => grads[v.name].dataSync() as Float32Array) };
      });
    const a = step(ref);
    const before = tf.memory().numTensors;
    const b = step(simd);
    expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-6 * a.loss);
    // The biases of the convolutions that feed a BatchNorm cancel in it: their exact gradient is 0
    // and both paths return float32 noise; every other gradient agrees to float32 rounding.
    const cancelled = new Set(
      [simd.embed1, simd.embed2, ...simd.down1, ...simd.down2, ...simd.block1, ...simd.block2].map((l) => simd.variables.indexOf(l.conv.b)),
    );
    a.grads.forEach((g, i) => {
      const err = maxAbs(b.grads[i].map((v, j) => v - g[j]));
      if (cancelled.has(i)) expect(maxAbs(b.grads[i])).toBeLessThan(1e-5 * maxAbs(a.grads[i - 1]) + 1e-7);
      else expect(err).toBeLessThan(2e-4 * maxAbs(g) + 1e-7);
    });
    // One training forward pass each updated the running averages: the same to float32 rounding.
    ref.buffers.forEach((v, i) => {
      const w = simd.buffers[i].dataSync();
      v.dataSync().forEach((r, j) => {
        expect(Math.abs(w[j] - r)).toBeLessThan(1e-5 * Math.max(1, Math.abs(r)));
      });
    });
    const ea = tf.tidy(() => ref.predict(x, 3, false).dataSync());
    const eb = tf.tidy(() => simd.predict(x, 3, false).dataSync());
    expect(maxAbs(eb.map((v, j) => v - ea[j]))).toBeLessThan(1e-5);
    // Further steps leave no tensors behind.
    step(simd);
    step(simd);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, truth]);
    ref.dispose();
    simd.dispose();
  });
});

describe('loss and metrics (the authors’ definitions)', () => {
  it('loss = squared error summed over the frames, mean over batch, channels and pixels (float64 by hand)', () => {
    const shape: [number, number, number, number, number] = [2, 3, 2, 2, 3];
    const size = 72;
    const rng = new Rng('loss');
    const p = rng.fillUniform(new Float64Array(size));
    const g = rng.fillUniform(new Float64Array(size));
    // Σ_t (1/(N·H·W·C)) Σ_{n,h,w,c} (p − g)²; frame t of sample n occupies [(n·3 + t)·12, +12).
    let expected = 0;
    for (let t = 0; t < 3; t++) {
      let s = 0;
      for (let n = 0; n < 2; n++) for (let j = 0; j < 12; j++) s += (p[(n * 3 + t) * 12 + j] - g[(n * 3 + t) * 12 + j]) ** 2;
      expected += s / 24;
    }
    const got = tf.tidy(() => latentLoss(tf.tensor5d(Float32Array.from(p), shape), tf.tensor5d(Float32Array.from(g), shape)).dataSync()[0]);
    expect(got).toBeCloseTo(expected, 5);
  });

  it('NMSE = MSE / mean(gt²) and pixel accuracy = share of |error| <= 0.025, on a hand case', () => {
    // errors 0, −0.1, 0.1, 0.02: MSE = (0.01 + 0.01 + 0.0004)/4 = 0.0051; mean gt² = (0.25 + 0.01 + 0.81 + 0.04)/4 = 0.2775
    const m = batchMetrics([0.5, 0, 1, 0.22], [0.5, 0.1, 0.9, 0.2]);
    expect(m.mse).toBeCloseTo(0.0051, 12);
    expect(m.nmse).toBeCloseTo(0.0051 / 0.2775, 12);
    expect(m.pixelAccuracy).toBe(0.5);
    expect(() => batchMetrics([1], [1, 2])).toThrow(/same non-zero length, got 1 and 2/);
  });
});

describe('presets', () => {
  it('the paper preset is the authors’ configuration (spring.json, molecules.json)', () => {
    const p = paperLatentPreset('mass-spring');
    expect([
      p.states,
      p.hidden,
      p.layers,
      p.activation,
      p.solver,
      p.h,
      p.lr,
      p.lrEnd,
      p.batch,
      p.epochs,
      p.horizon,
      p.longHorizon,
      p.inputFrames,
      p.frameSize,
      p.dropout,
      p.clip,
      p.compensation,
    ]).toEqual([128, 136, 3, 'silu', 'midpoint', 0.1, 1e-4, 0.1, 32, 100, 60, 240, 10, 32, 0, null, 'none']);
    expect(paperLatentPreset('molecules').dropout).toBe(0.2);
    expect(p.reconWeight).toBe(0);
    expect(p.rampEpochs).toBe(0);
  });
  it('lists every laptop value that differs from the paper, and none at paper scale', () => {
    const base = { seed: 0, inits: ['sii' as const, 'baseline' as const], backend: 'wasm' as const, system: 'mass-spring' as const };
    const laptop = { ...latentPreset('laptop'), ...base, scale: 'laptop' } as LatentConfig;
    const keys = latentDeviations(laptop).map((d) => d.key);
    expect(keys.sort()).toEqual(
      ['batch', 'epochs', 'frameSize', 'hidden', 'horizon', 'longHorizon', 'lr', 'states', 'testSequences', 'trainSequences'].sort(),
    );
    expect(latentDeviations({ ...latentPreset('paper'), ...base, scale: 'paper' })).toEqual([]);
    const withAux = latentDeviations({ ...laptop, reconWeight: 1, rampEpochs: 3, horizonStart: 2 });
    expect(withAux.find((d) => d.key === 'reconWeight')?.why).toMatch(/opt-in/);
    expect(withAux.find((d) => d.key === 'rampEpochs')?.why).toMatch(/opt-in curriculum/);
  });
});
