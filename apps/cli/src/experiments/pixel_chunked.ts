/**
 * Memory-lean pieces of the pixel model's training loss (pixel.ts), for long sequences (784 steps ×
 * batch 512 = 401 408 rows): an encoder whose gradient keeps only its input, and the decoder + weighted
 * cross-entropy over chunks of time steps inside one custom gradient that recomputes each chunk's
 * activations in the backward pass. Per row the same tfjs operations as the plain path run, so the
 * loss and the gradient with respect to the states are the same numbers; the weight and bias
 * gradients are sums over rows taken chunk by chunk (the same terms, summed in another order).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { heapTensor, heapView, saveShared, wasmTensorHeap } from '@sii/neural-ode/internal';
import type { Linear } from './nn.js';

/** Rows (time steps × batch) per chunk of the decoder when the chunk length is not given. */
export const DECODER_CHUNK_ROWS = 65536;

/** Time steps per decoder chunk: `steps` when given (a positive integer), else ⌈DECODER_CHUNK_ROWS / batch⌉. */
export function decoderChunkSteps(steps: number | null, batch: number): number {
  if (steps === null) return Math.max(1, Math.ceil(DECODER_CHUNK_ROWS / batch));
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`decoderChunk must be a positive integer or null, got ${steps}`);
  return steps;
}

/**
 * Rows [c·B, n] of time steps t0 … t0 + c − 1 of states [T, B, n]. On the wasm backend copied from the
 * states' heap memory (its Slice kernel first copies the whole input out to JavaScript); elsewhere
 * tf.slice.
 */
function stepRows(s: Tensor3D, t0: number, c: number): Tensor2D {
  const [, B, n] = s.shape;
  const heap = wasmTensorHeap();
  if (heap == null || heapView(heap, s) == null) return tf.reshape(tf.slice(s, [t0, 0, 0], [c, B, n]), [c * B, n]) as Tensor2D;
  const rows = heapTensor(heap, [c * B, n]) as Tensor2D;
  // Views taken after the allocation (a heap growth detaches earlier views).
  heapView(heap, rows)!.set(heapView(heap, s)!.subarray(t0 * B * n, (t0 + c) * B * n));
  return rows;
}

/**
 * y = x·W + b on rows x [R, in] with a hand-written gradient that saves x and W only (the generic Add
 * gradient would keep the [R, out] product alive until the backward pass). `shape` (R·out values)
 * reshapes y inside the operation: a reshape on the tape would save its input, which tfjs' wasm
 * backend copies (its Identity kernel copies: a second [R, out] buffer until the backward pass).
 */
export function linearRows(x: Tensor2D, layer: Linear): Tensor2D;
export function linearRows(x: Tensor2D, layer: Linear, shape: number[]): Tensor;
export function linearRows(x: Tensor2D, layer: Linear, shape?: number[]): Tensor {
  const [R] = x.shape;
  const out = layer.outDim;
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [xi, w, b] = args as Tensor2D[];
    const save = args[3] as tf.GradSaveFunc;
    saveShared(save, [xi, w]);
    return {
      value: tf.tidy(() => {
        const y = tf.add(tf.matMul(xi, w), b);
        return shape ? tf.reshape(y, shape) : y;
      }),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, ws] = saved as Tensor2D[];
        const g = (shape ? tf.reshape(dy, [R, out]) : dy) as Tensor2D;
        // dW = xᵀ·g and db = Σ_rows g from one transposed copy gᵀ [out, R], freed at once: xᵀ·g would
        // have XNNPACK pack g (as large as g, kept while g lives) and the column sum transposes g itself.
        // The same products summed in the same order: the same numbers.
        const [dw, db] = tf.tidy(() => {
          const gT = tf.transpose(g);
          return [tf.transpose(tf.matMul(gT, xs)), tf.sum(gT, 1)];
        });
        return [tf.matMul(g, tf.transpose(ws)), dw, db];
      },
    };
  });
  return f(x, layer.w, layer.b);
}

/**
 * Σ_s w_s · mean_b CE(dec2(relu(dec1(states[s, b]))), y_b) for states [T, B, n], one-hot targets
 * [B, C] and weights [T] — nn.ts's weightedCrossEntropy of the decoder's logits — computed over chunks
 * of `chunkSteps` time steps: the forward pass keeps one [T] vector of per-step means, the backward
 * pass recomputes one chunk at a time and returns the states' gradient [T, B, n] and the decoder's
 * weight and bias gradients summed over the chunks.
 */
export function decodedCrossEntropy(
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
  // One chunk's rows, pre-activation a, hidden h and log-probabilities, as the plain path computes them
  // per row (the products and other temporaries freed as soon as they are used: the same operations on
  // the same values, fewer chunk-sized buffers alive at once).
  const forward = (s: Tensor3D, w1: Tensor2D, b1: Tensor1D, w2: Tensor2D, b2: Tensor1D, t0: number, c: number) => {
    const rows = stepRows(s, t0, c);
    const a = tf.tidy(() => tf.add(tf.matMul(rows, w1), b1)) as Tensor2D;
    const h = tf.relu(a) as Tensor2D;
    const logp = tf.tidy(() => {
      const z = tf.reshape(tf.add(tf.matMul(h, w2), b2), [c, B, C]);
      const shifted = tf.sub(z, tf.max(z, -1, true));
      return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
    });
    return { rows, a, h, logp };
  };
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [s, w1, b1, w2, b2] = args as [Tensor3D, Tensor2D, Tensor1D, Tensor2D, Tensor1D];
    const save = args[5] as tf.GradSaveFunc;
    // The targets and step weights are saved with the inputs (saving keeps a copy alive until the backward
    // pass): a caller may create them inside the gradient's scope, which frees them after the forward pass.
    saveShared(save, [s, w1, b1, w2, b2, onehot, weights]);
    const target = () => tf.reshape(onehot, [1, B, C]);
    const value = tf.tidy(() => {
      const means = chunks.map(([t0, c]) =>
        tf.tidy(() => {
          const { rows, a, h, logp } = forward(s, w1, b1, w2, b2, t0, c);
          tf.dispose([rows, a, h]);
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
        // On the wasm backend each chunk's state gradient is copied into the [T, B, n] result in place
        // (a concatenation would hold every chunk and the result at once); elsewhere concatenated.
        const heap = wasmTensorHeap();
        const dS = heap ? heapTensor(heap, [T, B, n]) : null;
        const dStates: Tensor[] = [];
        let acc: Tensor[] | null = null;
        for (const [t0, c] of chunks) {
          const { ds, grads } = tf.tidy(() => {
            const { rows, a, h, logp } = forward(ss, sw1, sb1, sw2, sb2, t0, c);
            // d/dlogits of w_s·mean_b CE = w_s/B · (softmax − onehot), then the decoder's chain rule; each
            // buffer freed after its last use (XNNPACK keeps a packed copy of a product's right operand
            // while that operand lives).
            const dz = tf.tidy(() => {
              const scale = tf.reshape(tf.div(tf.slice(sweights, [t0], [c]), B), [c, 1, 1]);
              return tf.reshape(tf.mul(tf.mul(tf.sub(tf.exp(logp), target()), scale), dy), [c * B, C]);
            });
            const dW2 = tf.tidy(() => tf.matMul(tf.transpose(h), dz));
            const da = tf.tidy(() => tf.mul(tf.matMul(dz, tf.transpose(sw2)), tf.step(a)));
            tf.dispose([logp, h, a]);
            const ds = tf.tidy(() => tf.reshape(tf.matMul(da, tf.transpose(sw1)), [c, B, n]));
            const dW1 = tf.tidy(() => tf.matMul(tf.transpose(rows), da));
            rows.dispose();
            const grads = [dW1, tf.sum(da, 0), dW2, tf.sum(dz, 0)];
            return { ds, grads };
          });
          if (heap && dS) {
            heap.typedArrayFromHeap(dS).set(heap.typedArrayFromHeap(ds), t0 * B * n);
            ds.dispose();
          } else dStates.push(ds);
          if (acc === null) acc = grads;
          else {
            const prev: Tensor[] = acc;
            acc = prev.map((g, i) => tf.add(g, grads[i]));
            tf.dispose([...prev, ...grads]);
          }
        }
        // The saved states are not needed any more: free them now rather than when the whole gradient
        // is done (the outermost gradient only; a nested one may run this backward pass again).
        if (tf.engine().state.gradientDepth === 0) ss.dispose();
        if (dS) return [dS, ...acc!];
        const joined = tf.concat(dStates, 0);
        tf.dispose(dStates);
        return [joined, ...acc!];
      },
    };
  });
  return f(states, dec1.w, dec1.b, dec2.w, dec2.b);
}
