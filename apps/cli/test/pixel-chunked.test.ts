/**
 * The pixel model's memory-lean loss (encoder on transposed inputs, decoder + weighted CE over chunks of
 * time steps with recomputation) against the plain path it replaces: the encoder applied before the
 * transpose and nn.ts's weightedCrossEntropy of the full [T, B, classes] logits.
 */
import { Rng } from '@sii/linalg';
import { initBackend } from '@sii/neural-ode';
import type { Scalar, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { oneHot, stepWeights, weightedCrossEntropy } from '../src/experiments/nn.js';
import { PixelModel } from '../src/experiments/pixel.js';
import { DECODER_CHUNK_ROWS, decoderChunkSteps } from '../src/experiments/pixel_chunked.js';
import { tinyPixelConfig } from './helpers/pixel.js';

beforeAll(async () => {
  await initBackend();
});

/** The pixel loss as computed before the chunked path: every [B·T] intermediate at once. */
function plainLoss(model: PixelModel, x: Tensor3D, y: Tensor2D, w: Tensor): Scalar {
  const [B, T, F] = x.shape;
  const n = model.c.states;
  const u = tf.transpose(tf.reshape(model.encoder.apply(tf.reshape(x, [B * T, F]) as Tensor2D), [B, T, n]), [1, 0, 2]) as Tensor3D;
  const states = model.ode.rollout(tf.zeros([B, n]) as Tensor2D, u);
  const hidden = tf.relu(model.dec1.apply(tf.reshape(states, [T * B, n]) as Tensor2D)) as Tensor2D;
  return weightedCrossEntropy(tf.reshape(model.dec2.apply(hidden), [T, B, -1]), y, w);
}

const config = tinyPixelConfig();

/** The model's loss (pixelLoss's body) with the one-hot targets and weights given as tensors. */
const chunkedLoss = (m: PixelModel, x: Tensor3D, y: Tensor2D, w: Tensor): Scalar => m.loss(x, y, w);

describe('chunked pixel loss', () => {
  const B = 5;
  const T = 7;
  const F = 3;
  const rng = new Rng(11);
  const x = Float32Array.from({ length: B * T * F }, () => rng.normal());
  const labels = Int32Array.from({ length: B }, (_, i) => (3 * i + 1) % 10);
  const bits = (t: Float32Array) => Array.from(new Uint32Array(t.buffer, t.byteOffset, t.length));

  function lossAndGrads(model: PixelModel, f: (m: PixelModel, x: Tensor3D, y: Tensor2D, w: Tensor) => Scalar): Float32Array[] {
    const before = tf.memory().numTensors;
    const w = tf.tensor1d(stepWeights(T));
    const xt = tf.tensor3d(x, [B, T, F]);
    const y = oneHot(labels, 10);
    const { value, grads } = tf.variableGrads(() => f(model, xt, y, w), model.variables);
    const out = [value, ...model.variables.map((v) => grads[v.name])].map((t) => (t.dataSync() as Float32Array).slice());
    tf.dispose([value, ...Object.values(grads), w, xt, y]);
    expect(tf.memory().numTensors, 'tensors left after one gradient').toBe(before);
    return out;
  }

  it('gives the plain path loss and state gradients bit for bit, weight gradients to float32 rounding, for chunks dividing T and not', () => {
    const model = new PixelModel({ ...config, checkpointEvery: null }, F, 10, 'sii', 'chunks');
    const plain = lossAndGrads(model, plainLoss);
    // Tensor order: encoder W, b, the field's variables, dec1 W, b, dec2 W, b.
    const enc = 2;
    const dec = model.variables.length - 4;
    for (const chunk of [1, 2, 3, 7, 10, null]) {
      model.decoderChunk = chunk;
      const g = lossAndGrads(model, chunkedLoss);
      expect(bits(g[0]), `loss, chunk ${chunk}`).toEqual(bits(plain[0]));
      // The field's gradients see the same state gradients, hence the same bits.
      for (let i = 1 + enc; i < 1 + dec; i++) expect(bits(g[i]), `field tensor ${i}, chunk ${chunk}`).toEqual(bits(plain[i]));
      // Encoder and decoder weights/biases: the same per-row terms summed in another order (T-major rows,
      // chunk by chunk); a float32 sum of R terms moves by at most ~R·2⁻²⁴ of their absolute sum.
      for (const i of [1, 2, 1 + dec, 2 + dec, 3 + dec, 4 + dec]) {
        const scale = plain[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale, `tensor ${i} nonzero`).toBeGreaterThan(0);
        const worst = g[i].reduce((m, v, j) => Math.max(m, Math.abs(v - plain[i][j])), 0);
        expect(worst, `tensor ${i}, chunk ${chunk}`).toBeLessThanOrEqual(B * T * 2 ** -23 * scale * 4);
      }
    }
    model.dispose();
  });

  it('is a differentiable scalar with the recomputing ODE rollout too (same loss bits as the plain path)', () => {
    const model = new PixelModel({ ...config, checkpointEvery: 2 }, F, 10, 'baseline', 'chunks-ckpt');
    const plain = lossAndGrads(model, plainLoss);
    model.decoderChunk = 3;
    const g = lossAndGrads(model, chunkedLoss);
    expect(bits(g[0])).toEqual(bits(plain[0]));
    model.dispose();
  });

  it('picks ⌈65536 / batch⌉ steps per chunk by default and rejects bad chunk lengths', () => {
    expect(DECODER_CHUNK_ROWS).toBe(65536);
    expect(decoderChunkSteps(null, 512)).toBe(128);
    expect(decoderChunkSteps(null, 100000)).toBe(1);
    expect(decoderChunkSteps(5, 512)).toBe(5);
    expect(() => decoderChunkSteps(0, 512)).toThrow(/decoderChunk.*0/);
    expect(() => decoderChunkSteps(2.5, 512)).toThrow(/decoderChunk.*2\.5/);
  });
});
