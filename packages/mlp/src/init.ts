/**
 * PyTorch's default nn.Linear initialization: every weight and bias ~ U(−1/√fan_in, 1/√fan_in)
 * (kaiming_uniform with a = √5 gives the bound √(6/((1 + a²)·fan_in)) = 1/√fan_in). Draw order, fixed
 * so that seeds reproduce weights bit for bit: the weight matrix row-major (in × out), then the bias;
 * an MLP draws its layers in order.
 */
import { type DenseMatrix, Rng } from '@sii/linalg';
import { layerShapes, type MlpSpec, type MlpWeights } from './spec.js';

/** An Rng, or a seed from which one is made. */
export type RngOrSeed = Rng | number | string;

export function toRng(rng: RngOrSeed | undefined, argName = 'rng'): Rng {
  if (rng instanceof Rng) return rng;
  if (typeof rng === 'number' || typeof rng === 'string') return new Rng(rng);
  throw new TypeError(`${argName} must be an Rng from @sii/linalg or a seed (number | string), got ${String(rng)}`);
}

/** One Linear layer (in × out weight, out bias) with PyTorch's default init, drawn from `rng`. */
export function linearInit(fanIn: number, fanOut: number, rng: Rng): { weight: DenseMatrix; bias: Float64Array } {
  for (const [name, v] of [
    ['fanIn', fanIn],
    ['fanOut', fanOut],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`linearInit: ${name} must be an integer >= 1, got ${v}`);
  }
  if (!(rng instanceof Rng)) throw new TypeError(`linearInit: rng must be an Rng from @sii/linalg, got ${String(rng)}`);
  const bound = 1 / Math.sqrt(fanIn);
  const data = rng.fillUniform(new Float64Array(fanIn * fanOut), -bound, bound);
  const bias = rng.fillUniform(new Float64Array(fanOut), -bound, bound);
  return { weight: { rows: fanIn, cols: fanOut, data }, bias };
}

/** PyTorch-default weights of every layer of the MLP (the paper's "He" baseline). */
export function defaultWeights(spec: MlpSpec, rng: RngOrSeed = 0): MlpWeights {
  const shapes = layerShapes(spec);
  const r = toRng(rng);
  const weights: DenseMatrix[] = [];
  const biases: Float64Array[] = [];
  for (const [fanIn, fanOut] of shapes) {
    const { weight, bias } = linearInit(fanIn, fanOut, r);
    weights.push(weight);
    biases.push(bias);
  }
  return { weights, biases };
}
