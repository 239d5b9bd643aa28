/**
 * MLP vector field f([x, u]) in the row-vector convention of METHOD.md §4: each Linear layer computes
 * y = x·W + b with W of shape in × out; an activation follows every layer but the last.
 * Layer sizes: (n + m) → H → … → H → n with L Linear layers ((n + m) → n when L = 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import type { DenseMatrix, RngSeed } from '@sii/linalg';
import { brandClass, hasBrand } from '@sii/linalg';
import {
  type ActivationName,
  assertWeightsMatch,
  defaultWeights,
  LEAKY_RELU_SLOPE,
  layerShapes,
  type MlpSpec,
  type MlpWeights,
} from '@sii/mlp';
import { activate, activationBackward } from './activations.js';
import { requireBackend } from './backend.js';
import { assertTensor, show } from './validate.js';

/** Anything NeuralODE / odeint / jacobian can integrate: dx/dt = f(x, u), batched over rows. */
export interface VectorField {
  readonly states: number;
  readonly inputs: number;
  /** x: [batch, n], u: [batch or 1, m] (omit when m = 0) → dx/dt: [batch, n]. */
  apply(x: Tensor2D, u?: Tensor2D): Tensor2D;
  /** Trainable variables (may be empty). */
  readonly variables: Variable[];
}

/**
 * 'custom': each layer has a hand-written gradient (tf.customGrad) whose products are plain,
 * explicitly transposed matMuls (fast on WASM). 'autodiff': plain ops differentiated by the tape
 * through the registered kernel gradients (reference).
 */
export type GradMode = 'custom' | 'autodiff';

export interface MlpOptions {
  gradMode?: GradMode;
  /** Negative slope of 'leaky_relu' (default LEAKY_RELU_SLOPE = 0.01). */
  leakyReluAlpha?: number;
  /** Seed of the default initialization (@sii/mlp's defaultWeights, PyTorch's) when no weights are given (default 0). */
  seed?: RngSeed;
  /** Variables trainable (default true). */
  trainable?: boolean;
}

type LayerFn = (x: Tensor, w: Tensor, b: Tensor) => Tensor;

/** One Linear layer + activation with a hand-written gradient (plain matMuls only). */
function customLayer(act: ActivationName, alpha: number): LayerFn {
  return tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const [x, w, b, save] = args as [Tensor, Tensor, Tensor, tf.GradSaveFunc];
    const z = tf.add(tf.matMul(x, w), b);
    const y = activate(act, z, alpha);
    save([x, w, z, y]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, ws, zs, ys] = saved as [Tensor, Tensor, Tensor, Tensor];
        const dz = activationBackward(act, dy, zs, ys, alpha);
        // z = x·W + b: dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ_rows dz
        return [tf.matMul(dz, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dz), tf.sum(dz, 0)];
      },
    };
  });
}

function autodiffLayer(act: ActivationName, alpha: number): LayerFn {
  return (x, w, b) => activate(act, tf.add(tf.matMul(x, w), b), alpha);
}

export class MlpVectorField implements VectorField {
  readonly spec: Readonly<MlpSpec>;
  readonly variables: Variable[];
  readonly leakyReluAlpha: number;
  private mode: GradMode;
  private layerFns: { custom: LayerFn[]; autodiff: LayerFn[] };
  private disposed = false;

  constructor(spec: MlpSpec, weights?: MlpWeights, opts: MlpOptions = {}) {
    layerShapes(spec, 'MlpVectorField');
    requireBackend('MlpVectorField');
    const alpha = opts.leakyReluAlpha ?? LEAKY_RELU_SLOPE;
    if (!Number.isFinite(alpha)) throw new RangeError(`MlpVectorField: leakyReluAlpha must be finite, got ${show(alpha)}`);
    this.leakyReluAlpha = alpha;
    this.spec = Object.freeze({ ...spec });
    this.mode = opts.gradMode ?? 'custom';
    this.assertMode(this.mode);
    const acts = layerShapes(spec).map((_, k) => (k === spec.layers - 1 ? 'none' : spec.activation));
    this.layerFns = {
      custom: acts.map((a) => customLayer(a, alpha)),
      autodiff: acts.map((a) => autodiffLayer(a, alpha)),
    };
    const init = weights ?? defaultWeights(spec, opts.seed ?? 0);
    this.checkWeights(init);
    const trainable = opts.trainable ?? true;
    this.variables = [];
    // Inside tidy so the initial-value tensors are released once the variables hold their data.
    tf.tidy(() => {
      layerShapes(spec).forEach(([fanIn, fanOut], k) => {
        this.variables.push(tf.variable(tf.tensor2d(Float32Array.from(init.weights[k].data), [fanIn, fanOut]), trainable));
        this.variables.push(tf.variable(tf.tensor1d(Float32Array.from(init.biases[k])), trainable));
      });
    });
  }

  get states(): number {
    return this.spec.states;
  }

  get inputs(): number {
    return this.spec.inputs;
  }

  get gradMode(): GradMode {
    return this.mode;
  }

  set gradMode(mode: GradMode) {
    this.assertMode(mode);
    this.mode = mode;
  }

  /** Number of trainable scalars. */
  get parameterCount(): number {
    return this.variables.reduce((s, v) => s + v.size, 0);
  }

  private assertMode(mode: unknown): void {
    if (mode !== 'custom' && mode !== 'autodiff') {
      throw new RangeError(`MlpVectorField: gradMode must be 'custom' or 'autodiff', got ${show(mode)}`);
    }
  }

  private checkWeights(w: MlpWeights): void {
    assertWeightsMatch(this.spec, w, { where: 'MlpVectorField.setWeights', finite: true });
  }

  /** Replace all weights (rounded to float32). */
  setWeights(w: MlpWeights): void {
    this.assertAlive('setWeights');
    this.checkWeights(w);
    const shapes = layerShapes(this.spec);
    tf.tidy(() => {
      shapes.forEach(([fanIn, fanOut], k) => {
        this.variables[2 * k].assign(tf.tensor2d(Float32Array.from(w.weights[k].data), [fanIn, fanOut]));
        this.variables[2 * k + 1].assign(tf.tensor1d(Float32Array.from(w.biases[k])));
      });
    });
  }

  /** Current weights as float64 copies of the float32 values. */
  getWeights(): MlpWeights {
    this.assertAlive('getWeights');
    const weights: DenseMatrix[] = [];
    const biases: Float64Array[] = [];
    layerShapes(this.spec).forEach(([fanIn, fanOut], k) => {
      weights.push({ rows: fanIn, cols: fanOut, data: Float64Array.from(this.variables[2 * k].dataSync()) });
      biases.push(Float64Array.from(this.variables[2 * k + 1].dataSync()));
    });
    return { weights, biases };
  }

  /** dx/dt = f(x, u) for a batch: x [batch, n], u [batch or 1, m] → [batch, n]. */
  apply(x: Tensor2D, u?: Tensor2D): Tensor2D {
    this.assertAlive('apply');
    const { states: n, inputs: m } = this.spec;
    assertTensor('MlpVectorField.apply', 'x', x, 2);
    if (x.shape[1] !== n) {
      throw new RangeError(`MlpVectorField.apply: x must have shape [batch, ${n}], got [${x.shape.join(', ')}]`);
    }
    const batch = x.shape[0];
    if (m > 0) {
      if (u == null) throw new RangeError(`MlpVectorField.apply: u is required (the field has ${m} inputs)`);
      assertTensor('MlpVectorField.apply', 'u', u, 2);
      if (u.shape[1] !== m || (u.shape[0] !== batch && u.shape[0] !== 1)) {
        throw new RangeError(`MlpVectorField.apply: u must have shape [${batch} or 1, ${m}], got [${u.shape.join(', ')}]`);
      }
    } else if (u != null && u.size > 0) {
      throw new RangeError(`MlpVectorField.apply: the field has no inputs but u has shape [${u.shape.join(', ')}]`);
    }
    const fns = this.layerFns[this.mode];
    return tf.tidy(() => {
      let h: Tensor = m > 0 ? tf.concat([x, u!.shape[0] === batch ? u! : tf.tile(u!, [batch, 1])], 1) : x;
      fns.forEach((fn, k) => {
        h = fn(h, this.variables[2 * k], this.variables[2 * k + 1]);
      });
      return h as Tensor2D;
    });
  }

  private assertAlive(method: string): void {
    if (this.disposed) throw new Error(`MlpVectorField.${method}: the field was disposed`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables) v.dispose();
  }
}

/** Brand key of {@link MlpVectorField}: `instanceof MlpVectorField` accepts a field from any copy of @sii/neural-ode. */
export const MLP_VECTOR_FIELD_BRAND = 'sii.MlpVectorField';
brandClass(MlpVectorField, MLP_VECTOR_FIELD_BRAND);

/** Whether `value` is an {@link MlpVectorField} from any copy of @sii/neural-ode (brand check, not `instanceof`). */
export function isMlpVectorField(value: unknown): value is MlpVectorField {
  return hasBrand(value, MLP_VECTOR_FIELD_BRAND);
}
