/**
 * The two MLP heads of the authors' forecasting model (METHOD.md §7): a Linear layer followed by
 * LayerNorm and an activation, (L − 1) times, then a Linear output layer. The encoder uses tanh,
 * the decoder ReLU; L is the same layer count as the ODE's MLP (their one `n_layers` setting).
 */
import type { Rng } from '@sii/linalg';
import { auxKernelsAvailable, layerNormSimd, linearSimd } from '@sii/neural-ode/internal';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { Linear } from '../nn.js';

/** torch.nn.LayerNorm's default epsilon. */
export const LAYER_NORM_EPS = 1e-5;

/**
 * LayerNorm over the last axis as torch.nn.LayerNorm (biased variance, ε inside the root), with a
 * learnable gain (init 1) and shift (init 0). `apply` is one op on the SIMD kernels where they run
 * on a CPU backend (neural-ode's layerNormSimd: two passes per row forward and backward instead of
 * ~30 kernels over [rows, dim]); the same function as `applyReference`, the composition of
 * mean/sub/square/sqrt/div tfjs kernels kept as the tested reference and the fallback.
 */
export class LayerNorm {
  readonly gamma: Variable;
  readonly beta: Variable;
  constructor(readonly dim: number) {
    [this.gamma, this.beta] = tf.tidy(() => [tf.variable(tf.ones([dim])), tf.variable(tf.zeros([dim]))]);
  }
  apply(x: Tensor2D): Tensor2D {
    if (auxKernelsAvailable() && ['wasm', 'cpu'].includes(tf.getBackend())) return layerNormSimd(x, this.gamma, this.beta, LAYER_NORM_EPS);
    return this.applyReference(x);
  }
  /** The same function from tfjs kernels (their registered gradients): the reference of `apply`. */
  applyReference(x: Tensor2D): Tensor2D {
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true);
      const centered = tf.sub(x, mean);
      const std = tf.sqrt(tf.add(tf.mean(tf.square(centered), -1, true), LAYER_NORM_EPS));
      return tf.add(tf.mul(tf.div(centered, std), this.gamma), this.beta) as Tensor2D;
    });
  }
  get variables(): Variable[] {
    return [this.gamma, this.beta];
  }
  dispose(): void {
    this.gamma.dispose();
    this.beta.dispose();
  }
}

export type HeadActivation = 'tanh' | 'relu';

/**
 * in → H (LayerNorm, activation) → … → H → out with `layers` Linear layers in all (≥ 2), every
 * Linear with PyTorch's default init drawn from `rng`.
 */
export class NormalizedMlp {
  readonly linears: Linear[] = [];
  readonly norms: LayerNorm[] = [];
  constructor(
    readonly inDim: number,
    readonly hidden: number,
    readonly outDim: number,
    readonly layers: number,
    readonly activation: HeadActivation,
    rng: Rng,
  ) {
    if (!Number.isInteger(layers) || layers < 2) throw new RangeError(`layers must be an integer >= 2, got ${layers}`);
    for (let k = 0; k < layers; k++) {
      const i = k === 0 ? inDim : hidden;
      const o = k === layers - 1 ? outDim : hidden;
      this.linears.push(new Linear(i, o, rng.fork(`linear${k}`)));
      if (k < layers - 1) this.norms.push(new LayerNorm(hidden));
    }
  }
  /**
   * The head on x [rows, in]. Where the SIMD kernels run on a CPU backend, every Linear is one op on
   * them (neural-ode's linearSimd: forward and backward of a 4096×128×128 layer took ~30% less CPU
   * time than tfjs' matMul and its gradient) and LayerNorm with its activation one op (layerNormSimd);
   * `reference` uses tfjs kernels throughout (the same function).
   */
  apply(x: Tensor2D, reference = false): Tensor2D {
    const simd = !reference && auxKernelsAvailable() && ['wasm', 'cpu'].includes(tf.getBackend());
    return tf.tidy(() => {
      let h = x;
      for (let k = 0; k < this.layers; k++) {
        const lin = this.linears[k];
        h = simd ? linearSimd(h, lin.w as Tensor2D, lin.b) : lin.apply(h);
        if (k < this.layers - 1) {
          const norm = this.norms[k];
          if (simd) {
            h = layerNormSimd(h, norm.gamma, norm.beta, LAYER_NORM_EPS, this.activation); // activation fused
          } else {
            h = reference ? norm.applyReference(h) : norm.apply(h);
            h = this.activation === 'tanh' ? tf.tanh(h) : tf.relu(h);
          }
        }
      }
      return h;
    });
  }
  get variables(): Variable[] {
    return [...this.linears.flatMap((l) => l.variables), ...this.norms.flatMap((n) => n.variables)];
  }
  get parameterCount(): number {
    return this.variables.reduce((s, v) => s + v.size, 0);
  }
  dispose(): void {
    for (const l of this.linears) l.dispose();
    for (const n of this.norms) n.dispose();
  }
}
