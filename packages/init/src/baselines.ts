/**
 * Baseline initializers. Draw order (for bit-for-bit reproducibility): layer by layer, the weight
 * matrix row-major, then the bias.
 */
import { Rng } from '@sii/linalg';
import { layerSizes, type MlpSpec, type MlpWeights } from './mlp.js';

/** An Rng, or a seed from which one is made. */
export type RngOrSeed = Rng | number | string;

export function toRng(rng: RngOrSeed | undefined, argName = 'rng'): Rng {
  if (rng instanceof Rng) return rng;
  if (typeof rng === 'number' || typeof rng === 'string') return new Rng(rng);
  throw new TypeError(`${argName} must be an Rng from @sii/linalg or a seed (number | string), got ${String(rng)}`);
}

function uniformMatrix(rng: Rng, rows: number, cols: number, bound: number) {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
  return { rows, cols, data };
}

function uniformVector(rng: Rng, len: number, bound: number): Float64Array {
  const v = new Float64Array(len);
  for (let i = 0; i < len; i++) v[i] = rng.uniform(-bound, bound);
  return v;
}

/**
 * PyTorch's default nn.Linear initialization (the paper's "He" baseline): every weight and bias
 * ~ U(−1/√fan_in, 1/√fan_in), fan_in = the layer's input size. (kaiming_uniform with a = √5 gives
 * bound √(6/((1+a²)·fan_in)) = 1/√fan_in.)
 */
export function heInit(spec: MlpSpec, rng: RngOrSeed): MlpWeights {
  const sizes = layerSizes(spec);
  const r = toRng(rng);
  const weights = [];
  const biases = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    const bound = 1 / Math.sqrt(sizes[k]!);
    weights.push(uniformMatrix(r, sizes[k]!, sizes[k + 1]!, bound));
    biases.push(uniformVector(r, sizes[k + 1]!, bound));
  }
  return { weights, biases };
}

/**
 * Xavier/Glorot uniform: W ~ U(−a, a) with a = √(6/(fan_in + fan_out)); biases zero (as with
 * Keras' glorot_uniform + zeros, and torch.nn.init.xavier_uniform_ applied to weights only).
 */
export function xavierInit(spec: MlpSpec, rng: RngOrSeed): MlpWeights {
  const sizes = layerSizes(spec);
  const r = toRng(rng);
  const weights = [];
  const biases = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    const bound = Math.sqrt(6 / (sizes[k]! + sizes[k + 1]!));
    weights.push(uniformMatrix(r, sizes[k]!, sizes[k + 1]!, bound));
    biases.push(new Float64Array(sizes[k + 1]!));
  }
  return { weights, biases };
}

/**
 * He (PyTorch default) for every layer but the last, whose weights and bias are zero: the model
 * starts as f ≡ 0. The draws for the last layer are still consumed, so the hidden layers equal
 * heInit's for the same seed.
 */
export function zeroLastInit(spec: MlpSpec, rng: RngOrSeed): MlpWeights {
  const w = heInit(spec, rng);
  const L = w.weights.length;
  w.weights[L - 1]!.data.fill(0);
  w.biases[L - 1]!.fill(0);
  return w;
}
