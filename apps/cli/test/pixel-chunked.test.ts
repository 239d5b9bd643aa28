/**
 * The pixel model's memory-lean loss (encoder on transposed inputs, decoder + weighted CE over chunks of
 * time steps with recomputation) against the plain path it replaces: the encoder applied before the
 * transpose and nn.ts's weightedCrossEntropy of the full [T, B, classes] logits.
 */
import { Rng } from '@sii/linalg';
import { initBackend } from '@sii/neural-ode';
import { saveShared, wasmTensorHeap, withoutTensorHeap } from '@sii/neural-ode/internal';
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Linear, oneHot, stepWeights, weightedCrossEntropy } from '../src/experiments/nn.js';
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

/** linearRows as it was before the in-place paths: the [R, out] result, dW = xᵀ·g and db = Σ_rows g. */
function copyingLinearRows(x: Tensor2D, layer: Linear): Tensor2D {
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [xi, w, b] = args as Tensor2D[];
    (args[3] as tf.GradSaveFunc)([xi, w]);
    return {
      value: tf.tidy(() => tf.add(tf.matMul(xi, w), b)),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, ws] = saved as Tensor2D[];
        const g = dy as Tensor2D;
        return [tf.matMul(g, tf.transpose(ws)), tf.matMul(tf.transpose(xs), g), tf.sum(g, 0)];
      },
    };
  });
  return f(x, layer.w, layer.b) as Tensor2D;
}

/**
 * decodedCrossEntropy as it was before the in-place paths (every chunk sliced with tf.slice, the inputs
 * saved as copies, the chunks' state gradients concatenated, all of a chunk's temporaries alive until
 * its end): the reference the in-place version must match bit for bit.
 */
function copyingDecodedCrossEntropy(
  states: Tensor3D,
  onehot: Tensor2D,
  weights: Tensor,
  dec1: Linear,
  dec2: Linear,
  chunkSteps: number,
): Scalar {
  const [T, B, n] = states.shape;
  const C = onehot.shape[1];
  const chunks: Array<[number, number]> = [];
  for (let t0 = 0; t0 < T; t0 += chunkSteps) chunks.push([t0, Math.min(chunkSteps, T - t0)]);
  // One chunk's pre-activation a, hidden h and log-probabilities, as the plain path computes them per row.
  const forward = (s: Tensor3D, w1: Tensor2D, b1: Tensor1D, w2: Tensor2D, b2: Tensor1D, t0: number, c: number) => {
    const rows = tf.reshape(tf.slice(s, [t0, 0, 0], [c, B, n]), [c * B, n]) as Tensor2D;
    const a = tf.add(tf.matMul(rows, w1), b1) as Tensor2D;
    const h = tf.relu(a) as Tensor2D;
    const z = tf.reshape(tf.add(tf.matMul(h, w2), b2), [c, B, C]);
    const shifted = tf.sub(z, tf.max(z, -1, true));
    const logp = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
    return { rows, a, h, logp };
  };
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [s, w1, b1, w2, b2] = args as [Tensor3D, Tensor2D, Tensor1D, Tensor2D, Tensor1D];
    const save = args[5] as tf.GradSaveFunc;
    // The targets and step weights are saved with the inputs (saving keeps a copy alive until the backward
    // pass): a caller may create them inside the gradient's scope, which frees them after the forward pass.
    save([s, w1, b1, w2, b2, onehot, weights]);
    const target = () => tf.reshape(onehot, [1, B, C]);
    const value = tf.tidy(() => {
      const means = chunks.map(([t0, c]) =>
        tf.tidy(() => {
          const { logp } = forward(s, w1, b1, w2, b2, t0, c);
          return tf.mean(tf.neg(tf.sum(tf.mul(logp, target()), -1)), 1);
        }),
      );
      return tf.sum(tf.mul(tf.concat(means, 0), weights)) as Scalar;
    });
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [ss, sw1, sb1, sw2, sb2, sy, sweights] = saved as [Tensor3D, Tensor2D, Tensor1D, Tensor2D, Tensor1D, Tensor2D, Tensor];
        const target = () => tf.reshape(sy, [1, B, C]);
        const dStates: Tensor[] = [];
        let acc: Tensor[] | null = null;
        for (const [t0, c] of chunks) {
          const { ds, grads } = tf.tidy(() => {
            const { rows, a, h, logp } = forward(ss, sw1, sb1, sw2, sb2, t0, c);
            // d/dlogits of w_s·mean_b CE = w_s/B · (softmax − onehot), then the decoder's chain rule.
            const scale = tf.reshape(tf.div(tf.slice(sweights, [t0], [c]), B), [c, 1, 1]);
            const dz = tf.reshape(tf.mul(tf.mul(tf.sub(tf.exp(logp), target()), scale), dy), [c * B, C]);
            const da = tf.mul(tf.matMul(dz, tf.transpose(sw2)), tf.step(a));
            const ds = tf.reshape(tf.matMul(da, tf.transpose(sw1)), [c, B, n]);
            const grads = [tf.matMul(tf.transpose(rows), da), tf.sum(da, 0), tf.matMul(tf.transpose(h), dz), tf.sum(dz, 0)];
            return { ds, grads };
          });
          dStates.push(ds);
          if (acc === null) acc = grads;
          else {
            const prev: Tensor[] = acc;
            acc = prev.map((g, i) => tf.add(g, grads[i]));
            tf.dispose([...prev, ...grads]);
          }
        }
        const dS = tf.concat(dStates, 0);
        tf.dispose(dStates);
        return [dS, ...acc!];
      },
    };
  });
  return f(states, dec1.w, dec1.b, dec2.w, dec2.b);
}

/**
 * The model's loss as computed before the in-place paths (run it inside withoutTensorHeap, so that the
 * rollout and the chunked decoder copy through JavaScript arrays and concatenate): the encoder's
 * result reshaped on the tape.
 */
function copyingLoss(m: PixelModel, x: Tensor3D, y: Tensor2D, w: Tensor): Scalar {
  const [B, T, F] = x.shape;
  const n = m.c.states;
  const rows = tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, F]) as Tensor2D;
  const u = tf.reshape(copyingLinearRows(rows, m.encoder), [T, B, n]) as Tensor3D;
  const states = m.ode.rollout(tf.zeros([B, n]) as Tensor2D, u);
  return copyingDecodedCrossEntropy(states, y, w, m.dec1, m.dec2, decoderChunkSteps(m.decoderChunk, B));
}

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

  it('moves tensors in place on the wasm heap with the same loss and gradient bits as the copying path it replaces', () => {
    expect(wasmTensorHeap(), 'the wasm backend is active').not.toBeNull();
    for (const checkpointEvery of [null, 2]) {
      const model = new PixelModel({ ...config, checkpointEvery }, F, 10, 'sii', 'in-place');
      for (const chunk of [3, null]) {
        model.decoderChunk = chunk;
        const inPlace = lossAndGrads(model, chunkedLoss);
        const copied = withoutTensorHeap(() => lossAndGrads(model, copyingLoss));
        expect(inPlace.length).toBe(copied.length);
        inPlace.forEach((a, i) => {
          expect(
            a.some((v) => v !== 0),
            `tensor ${i} nonzero`,
          ).toBe(true);
          expect(bits(a), `tensor ${i}, k ${checkpointEvery}, chunk ${chunk}`).toEqual(bits(copied[i]));
        });
      }
      model.dispose();
    }
  });

  it('picks ⌈65536 / batch⌉ steps per chunk by default and rejects bad chunk lengths', () => {
    expect(DECODER_CHUNK_ROWS).toBe(65536);
    expect(decoderChunkSteps(null, 512)).toBe(128);
    expect(decoderChunkSteps(null, 100000)).toBe(1);
    expect(decoderChunkSteps(5, 512)).toBe(5);
    expect(() => decoderChunkSteps(0, 512)).toThrow(/decoderChunk.*0/);
    expect(() => decoderChunkSteps(2.5, 512)).toThrow(/decoderChunk.*2\.5/);
  });

  it('saves customGrad inputs without copies (no Identity kernel), restores the engine and leaks nothing', () => {
    const engine = tf.engine() as unknown as { clone: unknown };
    const clone = engine.clone;
    const square = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
      const x = args[0] as Tensor;
      saveShared(args[1] as tf.GradSaveFunc, [x]);
      return { value: tf.square(x), gradFunc: (dy: Tensor, [sx]: Tensor[]) => tf.mul(tf.mul(dy, sx), 2) };
    });
    const x = tf.tensor1d([1, -2, 3]);
    const before = tf.memory().numTensors;
    let grad: Tensor | null = null;
    const kernels: string[] = [];
    return tf
      .profile(() => {
        grad = tf.grad((v: Tensor) => tf.sum(square(v)))(x);
      })
      .then((info) => {
        for (const k of info.kernels) kernels.push(k.name);
        // The kernels run inside the operation's forward pass are listed before it (later Identity
        // kernels are the tape's saves of the sum outside).
        const inside = kernels.slice(0, kernels.indexOf('forward'));
        expect(inside).toContain('Square');
        expect(inside).not.toContain('Identity');
        expect(Array.from(grad!.dataSync())).toEqual([2, -4, 6]);
        expect(engine.clone).toBe(clone);
        grad!.dispose();
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
      });
  });
});
