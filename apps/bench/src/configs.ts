/**
 * The benchmark configurations of the PyTorch peer (shared/peers/torch_step.py beside the repository): same sizes,
 * same loss, same optimizer. ELU MLP vector field f([x, u]), L Linear layers, input held over a step.
 */
import { layerShapes, type MlpSpec } from '@sii/mlp';

export type OptimizerName = 'adam' | 'nadam';

export interface BenchConfig {
  name: string;
  n: number;
  m: number;
  hidden: number;
  linears: number;
  method: 'midpoint' | 'rk4';
  h: number;
  T: number;
  batch: number;
  /** MSE over all T predicted states, or of the final state only. */
  loss: 'all' | 'final';
  opt: OptimizerName;
  lr: number;
  /** Global gradient-norm clip (0: none). */
  clip: number;
}

export const CONFIGS: Record<string, BenchConfig> = {
  student: {
    name: 'student',
    n: 4,
    m: 1,
    hidden: 128,
    linears: 3,
    method: 'midpoint',
    h: 0.1,
    T: 10,
    batch: 20,
    loss: 'all',
    opt: 'nadam',
    lr: 1e-4,
    clip: 1,
  },
  pixel: {
    name: 'pixel',
    n: 128,
    m: 128,
    hidden: 256,
    linears: 3,
    method: 'midpoint',
    h: 0.1,
    T: 64,
    batch: 64,
    loss: 'final',
    opt: 'adam',
    lr: 1e-3,
    clip: 0,
  },
  rk4: {
    name: 'rk4',
    n: 4,
    m: 0,
    hidden: 32,
    linears: 2,
    method: 'rk4',
    h: 0.02,
    T: 50,
    batch: 64,
    loss: 'final',
    opt: 'adam',
    lr: 1e-3,
    clip: 0,
  },
};

export const STAGES: Record<BenchConfig['method'], number> = { midpoint: 2, rk4: 4 };

/** The ODE's MLP of a configuration (ELU, as the peer script). */
export function benchSpec(c: BenchConfig): MlpSpec {
  return { states: c.n, inputs: c.m, hidden: c.hidden, layers: c.linears, activation: 'elu' };
}

/**
 * Matrix-product FLOPs of one training step (2 per multiply-add), counting what backpropagation has to
 * compute: per field evaluation and batch row, the forward products Σ in·out, the weight gradients
 * Σ in·out, and the input gradients of every layer except the input columns of the first
 * (only the n state columns of the first layer feed back): Σ_{l≥2} in·out + n·H₁.
 */
export function stepFlops(c: BenchConfig): number {
  const sizes = layerShapes(benchSpec(c));
  const fwd = sizes.reduce((s, [i, o]) => s + i * o, 0);
  const dX = sizes.slice(1).reduce((s, [i, o]) => s + i * o, 0) + c.n * sizes[0][1];
  const evals = c.T * STAGES[c.method] * c.batch;
  return 2 * evals * (2 * fwd + dX);
}
