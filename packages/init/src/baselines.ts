/**
 * Baseline initializers. Draw order (for bit-for-bit reproducibility): layer by layer, the weight
 * matrix row-major, then the bias.
 */
import type { Rng } from '@sii/linalg';
import { defaultWeights, layerSizes, type MlpSpec, type MlpWeights, type RngOrSeed, toRng } from '@sii/mlp';

function uniformMatrix(rng: Rng, rows: number, cols: number, bound: number) {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
  return { rows, cols, data };
}

/**
 * The paper's "He" baseline: PyTorch's default nn.Linear initialization, every weight and bias
 * ~ U(−1/√fan_in, 1/√fan_in) (@sii/mlp's defaultWeights; `rng` is required here).
 */
export function heInit(spec: MlpSpec, rng: RngOrSeed): MlpWeights {
  return defaultWeights(spec, toRng(rng));
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
    const bound = Math.sqrt(6 / (sizes[k] + sizes[k + 1]));
    weights.push(uniformMatrix(r, sizes[k], sizes[k + 1], bound));
    biases.push(new Float64Array(sizes[k + 1]));
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
  w.weights[L - 1].data.fill(0);
  w.biases[L - 1].fill(0);
  return w;
}
